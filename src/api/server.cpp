#include "api/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/beast_convert.hpp"
#include "api/errors.hpp"
#include "api/tls_context.hpp"

namespace hookd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::experimental::as_tuple(use_awaitable);
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(5);

namespace {

// Ways a connection ends that are the client's business, not a malformed request worth a 400.
bool quiet_end(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::ssl::error::stream_truncated || ec.category() == asio::error::get_ssl_category();
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  AsyncRequestHandler handler;
  InlineCheck runs_inline;
  asio::io_context io;
  asio::thread_pool workers;
  tcp::acceptor acceptor{io};
  std::optional<asio::ssl::context> tls;
  std::uint16_t bound_port = 0;

  Impl(ServerOptions o, AsyncRequestHandler h, InlineCheck i)
      : options(std::move(o)),
        handler(std::move(h)),
        runs_inline(std::move(i)),
        io(options.io_threads),
        workers(options.worker_threads) {}

  // Answers not yet let go of (their Responders may be held by the store's writer): the io_context they
  // post to must outlive them, so the destructor waits for none to be left.
  std::mutex answers_mutex;
  std::condition_variable answers_gone;
  std::size_t answers_out = 0;

  // Where a request's answer goes: resumes the session on its own executor, once. An answer that never
  // comes (a handler that dropped its Responder) is a 500 rather than a session that waits for ever.
  template <class Completion>
  struct Answer {
    Answer(Impl& server, Completion c) : owner(server), completion(std::move(c)) {
      std::lock_guard lock(owner.answers_mutex);
      ++owner.answers_out;
    }
    Answer(const Answer&) = delete;
    Answer& operator=(const Answer&) = delete;
    ~Answer() {
      give(error_response(500, "internal", "internal server error"));
      std::lock_guard lock(owner.answers_mutex);
      if (--owner.answers_out == 0) owner.answers_gone.notify_all();
    }
    void give(Response response) {
      if (given.exchange(true)) return;
      auto executor = asio::get_associated_executor(completion);
      asio::post(executor, [c = std::move(completion), r = std::move(response)]() mutable {
        std::move(c)(std::move(r));
      });
    }
    Impl& owner;
    Completion completion;
    std::atomic<bool> given{false};
  };

  awaitable<Response> handle(Request& request) {
    // A handler that may block runs on the worker pool, the others here; either may answer later, from
    // another thread.
    return asio::async_initiate<decltype(use_awaitable), void(Response)>(
        [this, &request](auto completion) {
          auto answer = std::make_shared<Answer<decltype(completion)>>(*this, std::move(completion));
          auto run = [this, &request, answer] {
            try {
              handler(request, [answer](Response r) { answer->give(std::move(r)); });
            } catch (const std::exception& e) {
              spdlog::error("handler threw: {}", e.what());
              answer->give(error_response(500, "internal", "internal server error"));
            }
          };
          if (runs_inline && runs_inline(request)) {
            run();
          } else {
            asio::post(workers, std::move(run));
          }
        },
        use_awaitable);
  }

  // The request loop, shared by plain and TLS connections: limits, timeouts and error answers are the same.
  template <class Stream>
  awaitable<void> serve_requests(Stream& stream) {
    auto& transport = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    while (true) {
      RequestParser parser;
      apply_limits(parser, options);
      transport.expires_after(options.idle_timeout);
      auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kTuple);
      (void)bytes;
      if (ec == http::error::body_limit || ec == http::error::header_limit) {
        bool body = ec == http::error::body_limit;
        auto res = to_beast(error_response(body ? 413 : 431, body ? "payload_too_large" : "headers_too_large",
                                           body ? "request body exceeds the configured limit"
                                                : "request headers exceed the configured limit"),
                            11, false);
        co_await http::async_write(stream, res, kTuple);
        break;
      }
      if (ec) {
        if (!quiet_end(ec)) {
          auto res = to_beast(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()),
                              11, false);
          co_await http::async_write(stream, res, kTuple);
        }
        break;
      }
      auto beast_request = parser.release();
      unsigned version = beast_request.version();
      bool keep_alive = beast_request.keep_alive();
      Request request = to_request(std::move(beast_request));
      Response response = co_await handle(request);
      auto res = to_beast(std::move(response), version, keep_alive);
      transport.expires_after(options.idle_timeout);
      auto [wec, wbytes] = co_await http::async_write(stream, res, kTuple);
      (void)wbytes;
      if (wec || !keep_alive) break;
    }
  }

  awaitable<void> plain_session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve_requests(stream);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  awaitable<void> tls_session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
    // The handshake has its own deadline: a client that connects and stalls holds one socket until then and
    // nothing else (each connection is its own coroutine).
    beast::get_lowest_layer(stream).expires_after(options.tls_handshake_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (ec) {
      spdlog::debug("TLS handshake failed: {}", ec.message());
      co_return;
    }
    co_await serve_requests(stream);
    beast::get_lowest_layer(stream).expires_after(kTlsShutdownTimeout);
    auto [sec] = co_await stream.async_shutdown(kTuple);  // close_notify; the peer may already be gone
    (void)sec;
  }

  awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      socket.set_option(tcp::no_delay(true));
      if (tls) {
        asio::co_spawn(acceptor.get_executor(), tls_session(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(acceptor.get_executor(), plain_session(std::move(socket)), asio::detached);
      }
    }
  }
};

HttpServer::HttpServer(ServerOptions options, AsyncRequestHandler handler, InlineCheck runs_inline)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(runs_inline))) {}

HttpServer::HttpServer(ServerOptions options, RequestHandler handler)
    : HttpServer(std::move(options), AsyncRequestHandler([handler = std::move(handler)](
                                                             Request& request, const Responder& respond) {
                   respond(handler(request));
                 })) {}

HttpServer::~HttpServer() {
  stop();
  impl_->workers.join();
  std::unique_lock lock(impl_->answers_mutex);
  impl_->answers_gone.wait(lock, [this] { return impl_->answers_out == 0; });
}

Result<void> HttpServer::listen() {
  const auto& options = impl_->options;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return invalid("tls", "a TLS certificate and a TLS key go together: give both or neither");
  }
  if (!options.tls_cert_file.empty()) {
    auto context = make_server_tls_context(options.tls_cert_file, options.tls_key_file);
    if (!context) return std::unexpected(context.error());
    impl_->tls.emplace(std::move(*context));
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return invalid("listen", "not an IP address: " + options.host);
  tcp::endpoint endpoint(address, options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(
        ErrorKind::unavailable, "listen_failed",
        "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " + ec.message());
  }
  impl_->bound_port = acceptor.local_endpoint().port();
  return {};
}

std::uint16_t HttpServer::port() const {
  return impl_->bound_port;
}

bool HttpServer::tls() const {
  return impl_->tls.has_value();
}

void HttpServer::run() {
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.io_threads; ++i) threads.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : threads) t.join();
}

void HttpServer::stop() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->io.stop();
}

}  // namespace hookd::api
