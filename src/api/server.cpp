#include "api/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast.hpp>
#include <boost/url.hpp>
#include <thread>
#include <vector>

#include "api/errors.hpp"

namespace hookd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::experimental::as_tuple(use_awaitable);

namespace {

Request to_request(http::request<http::string_body>&& in) {
  Request out;
  out.method = std::string(in.method_string());
  std::string_view target = in.target();
  auto parsed = boost::urls::parse_origin_form(target);
  if (parsed) {
    out.path = std::string(parsed->encoded_path().decode());
    for (auto param : parsed->params()) out.query.emplace_back(param.key, param.value);
  } else {
    out.path = std::string(target.substr(0, target.find('?')));
  }
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(in.body());
  return out;
}

http::response<http::string_body> to_beast(Response&& in, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(in.status), version};
  out.set(http::field::server, "hookd");
  if (!in.content_type.empty()) out.set(http::field::content_type, in.content_type);
  for (auto& [k, v] : in.headers) out.set(k, v);
  out.body() = std::move(in.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  RequestHandler handler;
  asio::io_context io;
  asio::thread_pool workers;
  tcp::acceptor acceptor{io};
  std::uint16_t bound_port = 0;

  Impl(ServerOptions o, RequestHandler h)
      : options(std::move(o)),
        handler(std::move(h)),
        io(options.io_threads),
        workers(options.worker_threads) {}

  awaitable<Response> handle_on_worker(Request& request) {
    // Runs the (possibly blocking) handler on the worker pool; the session resumes on its own executor.
    co_return co_await asio::co_spawn(
        workers,
        [this, &request]() -> awaitable<Response> {
          try {
            co_return handler(request);
          } catch (const std::exception& e) {
            spdlog::error("handler threw: {}", e.what());
            co_return error_response(500, "internal", "internal server error");
          }
        },
        use_awaitable);
  }

  awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (true) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      stream.expires_after(std::chrono::seconds(60));
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
        if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::eof &&
            ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
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
      Response response = co_await handle_on_worker(request);
      auto res = to_beast(std::move(response), version, keep_alive);
      stream.expires_after(std::chrono::seconds(60));
      auto [wec, wbytes] = co_await http::async_write(stream, res, kTuple);
      (void)wbytes;
      if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
  }
};

HttpServer::HttpServer(ServerOptions options, RequestHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
  impl_->workers.join();
}

Result<void> HttpServer::listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return invalid("listen", "not an IP address: " + impl_->options.host);
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(ErrorKind::unavailable, "listen_failed",
                "cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) + ": " +
                    ec.message());
  }
  impl_->bound_port = acceptor.local_endpoint().port();
  return {};
}

std::uint16_t HttpServer::port() const {
  return impl_->bound_port;
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
