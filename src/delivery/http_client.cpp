#include "delivery/http_client.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <ctime>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "delivery/http_origin.hpp"

namespace hookd::delivery {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
// Everything runs on one io_context, so its concrete executor type is used throughout: the default,
// type-erased any_io_executor costs a virtual dispatch and an allocation on every completion.
using Executor = asio::io_context::executor_type;
template <class T>
using awaitable = asio::awaitable<T, Executor>;
using Stream = beast::basic_stream<tcp, Executor, beast::unlimited_rate_policy>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Resolver = asio::ip::basic_resolver<tcp, Executor>;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable_t<Executor>{});

constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;
// As many as the dispatcher can have in flight (its max_in_flight): many endpoints may share one origin, and
// a lower cap would close and reopen connections under that load. Idle ones are closed after kIdleLifetime.
constexpr std::size_t kMaxIdlePerOrigin = 4096;
constexpr auto kIdleLifetime = std::chrono::seconds(60);  // idle connections older than this are closed
constexpr auto kSweepEvery = std::chrono::seconds(10);
// A connection idle for longer is checked for a close by the receiver before it is reused. Shorter idles
// skip that system call; the retry on a fresh connection covers the rare close in between.
constexpr auto kCheckIdleAfter = std::chrono::seconds(2);
constexpr std::size_t kBodyChunk = 4096;
constexpr auto kDnsCacheLifetime = std::chrono::seconds(60);

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Endpoint headers come from API users: a CR or LF would let them smuggle extra headers or requests.
std::optional<std::string> invalid_header(const std::vector<std::pair<std::string, std::string>>& headers) {
  auto has_control = [](std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
  };
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.find(':') != std::string::npos || name.find(' ') != std::string::npos ||
        has_control(name) || has_control(value)) {
      return fmt::format("invalid request header '{}'", name);
    }
  }
  return std::nullopt;
}

Ipv6Bytes address_bytes(const asio::ip::address& address) {
  if (address.is_v4()) {
    const auto v4 = address.to_v4().to_bytes();
    return ipv4_mapped(Ipv4Bytes{v4[0], v4[1], v4[2], v4[3]});
  }
  Ipv6Bytes bytes{};
  const auto v6 = address.to_v6().to_bytes();
  std::copy(v6.begin(), v6.end(), bytes.begin());
  return bytes;
}

struct Failure {
  ErrorClass error = ErrorClass::other;
  std::string detail;
};

ErrorClass timeout_or(const beast::error_code& ec, ErrorClass otherwise) {
  return ec == beast::error::timeout ? ErrorClass::timeout : otherwise;
}

// One kept-alive connection to an origin: plain TCP, or TLS over it.
struct Connection {
  Connection(asio::io_context& io, std::string key) : plain(std::in_place, io), pool_key(std::move(key)) {}

  Stream& transport() { return secure ? secure->next_layer() : *plain; }

  std::optional<Stream> plain;  // moved into `secure` once TLS is set up
  std::optional<beast::ssl_stream<Stream>> secure;
  beast::flat_buffer buffer;  // bytes read past the previous response stay here (there should be none)
  std::string pool_key;
  SteadyTime idle_since;
  bool reused = false;
};

// One request in progress. What it is waiting on is noted so that shutdown can cancel it.
struct Transfer {
  OutboundRequest request;
  std::function<void(OutboundResponse)> done;
  OutboundResponse response;
  SteadyTime started;
  bool finished = false;  // `done` has been called (by the transfer or by shutdown)
  Connection* connection = nullptr;
  Timer* timer = nullptr;
  std::shared_ptr<Resolver> resolver;
};

// Connections to one origin (scheme, host, port).
struct OriginPool {
  std::vector<std::unique_ptr<Connection>> idle;  // most recently used last
  std::size_t open = 0;                           // idle, in use, or being opened
  std::deque<Timer*> waiters;                     // requests waiting for room under max_host_connections
};

// What a lookup of one name (and port) found, shared by the requests that need it.
struct Lookup {
  std::vector<tcp::endpoint> endpoints;
  SteadyTime expires;
  std::optional<Failure> failure;  // of the last lookup, given to the requests that waited for it
  bool pending = false;
  std::vector<Timer*> waiters;
};

// What an exchange on a connection ended with.
struct Exchanged {
  std::optional<Failure> failure;
  bool nothing_received = false;  // failed before any byte of a response: safe to try a fresh connection
  bool reusable = false;
};

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  asio::io_context io{1};
  ssl::context tls{ssl::context::tls_client};
  std::atomic<std::size_t> in_flight{0};

  std::mutex mutex;  // guards queue and closed
  std::vector<std::unique_ptr<Transfer>> queue;
  bool closed = false;

  // Only touched on the client's thread.
  bool stopping = false;
  std::unordered_set<Transfer*> active;
  std::unordered_map<std::string, OriginPool> pools;
  std::unordered_map<std::string, Lookup> lookups;  // by "host:port"
  Timer sweeper{io};

  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;  // last: started once everything above exists

  explicit Impl(HttpClientOptions opts) : options(std::move(opts)) {
    tls.set_default_verify_paths();  // the system's roots (/etc/ssl/certs on Debian)
    if (!options.ca_file.empty()) tls.load_verify_file(options.ca_file);
    tls.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    work.emplace(io.get_executor());
    sweep_later();
    thread = std::thread([this] {
      pthread_setname_np(pthread_self(), "hookd-http");  // shows in top -H and /proc
      // A receiver closing mid-send must not raise SIGPIPE in the process (asio sends with MSG_NOSIGNAL;
      // this also covers anything that does not).
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
      io.run();
    });
  }

  ~Impl() {
    asio::post(io, [this] { shut_down(); });
    work.reset();
    if (thread.joinable()) thread.join();
  }

  void submit(std::unique_ptr<Transfer> t) {
    in_flight.fetch_add(1);
    bool first = false;
    {
      std::lock_guard lock(mutex);
      if (!closed) {
        first = queue.empty();
        queue.push_back(std::move(t));
        t = nullptr;
      }
    }
    if (t) {
      fail(*t, ErrorClass::other, "client shutting down");
      return;
    }
    // One post per batch: the queue became non-empty after the thread last took it, so the post made then
    // is still ahead, and it takes the whole queue when it runs.
    if (first) asio::post(io, [this] { start_queued(); });
  }

  void start_queued() {
    std::vector<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard lock(mutex);
      incoming.swap(queue);
    }
    for (auto& t : incoming) {
      t->started = std::chrono::steady_clock::now();
      asio::co_spawn(io.get_executor(), run(std::move(t)), [](const std::exception_ptr&) {});
    }
  }

  awaitable<void> run(std::unique_ptr<Transfer> owned) {
    Transfer& t = *owned;
    active.insert(&t);
    try {
      co_await perform(t);
    } catch (const std::exception& e) {
      fail(t, ErrorClass::other, fmt::format("http client: {}", e.what()));
    }
    active.erase(&t);
    if (!t.finished) fail(t, ErrorClass::other, "request ended without an outcome");
  }

  awaitable<void> perform(Transfer& t) {
    if (stopping) co_return fail(t, ErrorClass::other, "client shutting down");
    if (auto bad = invalid_header(t.request.headers)) co_return fail(t, ErrorClass::other, *bad);
    auto origin = parse_http_origin(t.request.url);
    if (!origin) co_return fail(t, ErrorClass::other, origin.error());
    const std::string head = http_request_head(t.request.method, *origin, options.user_agent,
                                               t.request.headers, t.request.body.size());
    const SteadyTime deadline = t.started + std::max<Millis>(Millis(1), t.request.timeout);
    for (int attempt = 0;; ++attempt) {
      auto acquired = co_await acquire(t, *origin, deadline);
      if (!acquired) co_return fail(t, acquired.error().error, acquired.error().detail);
      std::unique_ptr<Connection> c = std::move(*acquired);
      c->transport().expires_at(deadline);
      t.connection = c.get();
      // (Not a conditional expression: g++ 12 miscompiles co_await inside ?:.)
      Exchanged x;
      if (c->secure) {
        x = co_await exchange(*c->secure, *c, t, head);
      } else {
        x = co_await exchange(*c->plain, *c, t, head);
      }
      t.connection = nullptr;
      const bool was_reused = c->reused;
      if (x.reusable) {
        release(std::move(c));
      } else {
        discard(std::move(c));
      }
      // A kept-alive connection the receiver had closed: the request never reached it, so send it once more
      // on a new connection, as browsers and curl do.
      if (x.failure && x.nothing_received && was_reused && attempt == 0 && !t.finished &&
          x.failure->error != ErrorClass::timeout) {
        t.response = OutboundResponse{};
        continue;
      }
      if (x.failure) co_return fail(t, x.failure->error, x.failure->detail);
      co_return complete(t);
    }
  }

  // An idle connection to the origin, or a new one when the origin has room; waits for room otherwise.
  awaitable<std::expected<std::unique_ptr<Connection>, Failure>> acquire(Transfer& t,
                                                                         const HttpOrigin& origin,
                                                                         SteadyTime deadline) {
    while (true) {
      if (stopping) co_return std::unexpected(Failure{ErrorClass::other, "client shutting down"});
      OriginPool& pool = pools[origin.pool_key];
      if (auto c = take_idle(pool)) co_return c;
      const auto limit = static_cast<std::size_t>(std::max(0L, options.max_host_connections));
      if (limit == 0 || pool.open < limit) {
        ++pool.open;
        auto opened = co_await open_connection(t, origin, deadline);
        if (!opened) connection_gone(origin.pool_key);
        co_return opened;
      }
      Timer timer(io, deadline);
      pool.waiters.push_back(&timer);
      t.timer = &timer;
      auto [ec] = co_await timer.async_wait(kTuple);
      t.timer = nullptr;
      std::erase(pools[origin.pool_key].waiters, &timer);
      if (!ec)
        co_return std::unexpected(Failure{ErrorClass::timeout, "timed out waiting for a free connection"});
    }
  }

  std::unique_ptr<Connection> take_idle(OriginPool& pool) {
    const auto now = std::chrono::steady_clock::now();
    while (!pool.idle.empty()) {
      std::unique_ptr<Connection> c = std::move(pool.idle.back());
      pool.idle.pop_back();
      if (now - c->idle_since < kCheckIdleAfter || still_open(*c)) return c;
      --pool.open;  // the receiver closed it while it was idle
    }
    return nullptr;
  }

  static bool still_open(Connection& c) {
    char byte = 0;
    const ssize_t n = ::recv(c.transport().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    // Nothing to read is the only healthy state: end of stream, an error or unasked-for bytes all end it.
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  awaitable<std::expected<std::unique_ptr<Connection>, Failure>> open_connection(Transfer& t,
                                                                                 const HttpOrigin& origin,
                                                                                 SteadyTime deadline) {
    std::vector<tcp::endpoint> candidates;
    beast::error_code ec;
    const auto literal = asio::ip::make_address(origin.host, ec);
    const bool is_literal = !ec;
    if (is_literal) {
      candidates.emplace_back(literal, origin.port);
    } else {
      auto resolved = co_await resolve(t, origin, deadline);
      if (!resolved) co_return std::unexpected(resolved.error());
      candidates = std::move(*resolved);
    }
    // The policy sees every address that will be dialled, whatever DNS said when the endpoint was created.
    std::vector<tcp::endpoint> permitted;
    std::string refused;
    for (const auto& candidate : candidates) {
      const Ipv6Bytes bytes = address_bytes(candidate.address());
      if (options.policy.permits(bytes)) {
        permitted.push_back(candidate);
      } else if (refused.empty()) {
        refused = fmt::format("refused to connect to {} ({} address)", format_ip(bytes),
                              to_string(classify_ipv6(bytes)));
      }
    }
    if (permitted.empty()) co_return std::unexpected(Failure{ErrorClass::blocked_target, refused});

    auto c = std::make_unique<Connection>(io, origin.pool_key);
    c->plain->expires_at(deadline);
    t.connection = c.get();
    auto [connect_ec, endpoint] = co_await c->plain->async_connect(permitted, kTuple);
    t.connection = nullptr;
    if (connect_ec) {
      co_return std::unexpected(Failure{timeout_or(connect_ec, ErrorClass::connect),
                                        fmt::format("could not connect to {} port {}: {}", origin.host,
                                                    origin.port, connect_ec.message())});
    }
    c->plain->socket().set_option(tcp::no_delay(true), ec);
    if (!origin.tls) co_return c;

    c->secure.emplace(std::move(*c->plain), tls);
    c->plain.reset();
    if (!is_literal) SSL_set_tlsext_host_name(c->secure->native_handle(), origin.host.c_str());
    c->secure->set_verify_mode(ssl::verify_peer);
    c->secure->set_verify_callback(ssl::host_name_verification(origin.host));
    t.connection = c.get();
    auto [handshake_ec] = co_await c->secure->async_handshake(ssl::stream_base::client, kTuple);
    t.connection = nullptr;
    if (handshake_ec) {
      co_return std::unexpected(
          Failure{timeout_or(handshake_ec, ErrorClass::tls),
                  fmt::format("TLS handshake with {} failed: {}", origin.host, handshake_ec.message())});
    }
    co_return c;
  }

  // A name's addresses, from the cache when a lookup of it is under a minute old (curl's default too).
  // Requests that need a name already being looked up wait for that lookup instead of queueing their own
  // behind it: asio runs lookups one at a time on its resolver thread.
  awaitable<std::expected<std::vector<tcp::endpoint>, Failure>> resolve(Transfer& t, const HttpOrigin& origin,
                                                                        SteadyTime deadline) {
    const std::string key = fmt::format("{}:{}", origin.host, origin.port);
    while (true) {
      if (stopping) co_return std::unexpected(Failure{ErrorClass::other, "client shutting down"});
      Lookup& lookup = lookups[key];
      if (!lookup.pending && !lookup.endpoints.empty() && std::chrono::steady_clock::now() < lookup.expires) {
        co_return lookup.endpoints;
      }
      if (!lookup.pending) break;
      Timer timer(io, deadline);
      lookup.waiters.push_back(&timer);
      t.timer = &timer;
      auto [ec] = co_await timer.async_wait(kTuple);
      t.timer = nullptr;
      Lookup& after = lookups[key];
      std::erase(after.waiters, &timer);
      if (!ec)
        co_return std::unexpected(
            Failure{ErrorClass::timeout, fmt::format("resolving {} timed out", origin.host)});
      if (!after.pending && after.failure) co_return std::unexpected(*after.failure);
    }
    lookups[key].pending = true;
    auto result = co_await look_up(t, origin, deadline);
    Lookup& lookup = lookups[key];
    lookup.pending = false;
    if (result) {
      lookup.endpoints = *result;
      lookup.expires = std::chrono::steady_clock::now() + kDnsCacheLifetime;
      lookup.failure.reset();
    } else {
      lookup.endpoints.clear();
      lookup.failure = result.error();
    }
    for (Timer* waiter : std::exchange(lookup.waiters, {})) waiter->cancel();
    co_return result;
  }

  awaitable<std::expected<std::vector<tcp::endpoint>, Failure>> look_up(Transfer& t, const HttpOrigin& origin,
                                                                        SteadyTime deadline) {
    // The lookup runs on asio's resolver thread; the deadline cancels the wait for it.
    auto resolver = std::make_shared<Resolver>(io);
    Timer timer(io, deadline);
    timer.async_wait([resolver](const beast::error_code& e) {
      if (!e) resolver->cancel();
    });
    t.resolver = resolver;
    auto [ec, results] = co_await resolver->async_resolve(origin.host, std::to_string(origin.port), kTuple);
    t.resolver.reset();
    timer.cancel();
    if (ec == asio::error::operation_aborted && std::chrono::steady_clock::now() >= deadline) {
      co_return std::unexpected(
          Failure{ErrorClass::timeout, fmt::format("resolving {} timed out", origin.host)});
    }
    if (ec) {
      co_return std::unexpected(
          Failure{ErrorClass::dns, fmt::format("could not resolve {}: {}", origin.host, ec.message())});
    }
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    co_return endpoints;
  }

  // Sends the request and reads the response into t.response, keeping at most max_response_body bytes of it.
  template <class PlainOrSecure>
  awaitable<Exchanged> exchange(PlainOrSecure& stream, Connection& c, Transfer& t, const std::string& head) {
    Exchanged x;
    const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(t.request.body)};
    auto [write_ec, written] = co_await asio::async_write(stream, request, kTuple);
    if (write_ec) {
      x.nothing_received = true;
      x.failure = Failure{timeout_or(write_ec, ErrorClass::other),
                          fmt::format("sending the request failed: {}", write_ec.message())};
      co_return x;
    }
    std::optional<http::response_parser<http::buffer_body>> parser;
    do {  // an interim 1xx response (103 Early Hints, say) precedes the real one
      parser.emplace();
      parser->header_limit(kMaxResponseHeaderBytes);
      parser->body_limit(boost::none);  // the cap below stops reading instead
      if (t.request.method == "HEAD") parser->skip(true);
      auto [read_ec, n] = co_await http::async_read_header(stream, c.buffer, *parser, kTuple);
      if (read_ec) {
        x.nothing_received = !parser->got_some();
        x.failure = Failure{timeout_or(read_ec, ErrorClass::other),
                            fmt::format("reading the response failed: {}", read_ec.message())};
        co_return x;
      }
    } while (parser->get().result_int() / 100 == 1 && parser->get().result_int() != 101);

    auto& message = parser->get();
    OutboundResponse& response = t.response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.emplace_back(lower(field.name_string()), std::string(trim(field.value())));
    }
    std::array<char, kBodyChunk> chunk;
    while (!parser->is_done()) {
      message.body().data = chunk.data();
      message.body().size = chunk.size();
      auto [read_ec, n] = co_await http::async_read(stream, c.buffer, *parser, kTuple);
      const std::size_t got = chunk.size() - message.body().size;
      const std::size_t room = options.max_response_body - response.body.size();
      response.body.append(chunk.data(), std::min(got, room));
      if (got > room) {
        // Keep what fits and stop: the rest of a huge body is never read, and the connection is dropped.
        response.body_truncated = true;
        co_return x;
      }
      if (read_ec == http::error::need_buffer) continue;
      if (read_ec == ssl::error::stream_truncated && parser->need_eof()) {
        // A TLS receiver that ends an unframed body by closing without close_notify.
        beast::error_code eof_ec;
        parser->put_eof(eof_ec);
        if (!eof_ec) break;
      }
      if (read_ec) {
        x.failure = Failure{timeout_or(read_ec, ErrorClass::other),
                            fmt::format("reading the response body failed: {}", read_ec.message())};
        co_return x;
      }
    }
    x.reusable = message.keep_alive() && parser->is_done() && c.buffer.size() == 0;
    co_return x;
  }

  void release(std::unique_ptr<Connection> c) {
    if (stopping) return;
    OriginPool& pool = pools[c->pool_key];
    if (pool.idle.size() >= kMaxIdlePerOrigin) {
      discard(std::move(c));
      return;
    }
    c->transport().expires_never();
    c->idle_since = std::chrono::steady_clock::now();
    c->reused = true;
    pool.idle.push_back(std::move(c));
    wake_one(pool);
  }

  void discard(std::unique_ptr<Connection> c) {
    if (stopping) return;
    connection_gone(c->pool_key);
  }

  void connection_gone(const std::string& key) {
    if (stopping) return;
    OriginPool& pool = pools[key];
    --pool.open;
    wake_one(pool);
  }

  static void wake_one(OriginPool& pool) {
    if (pool.waiters.empty()) return;
    Timer* waiter = pool.waiters.front();
    pool.waiters.pop_front();
    waiter->cancel();  // the waiting request looks again
  }

  // Closes connections idle past their lifetime and forgets origins with no connection left.
  void sweep_later() {
    sweeper.expires_after(kSweepEvery);
    sweeper.async_wait([this](const beast::error_code& ec) {
      if (ec || stopping) return;
      const auto oldest = std::chrono::steady_clock::now() - kIdleLifetime;
      for (auto it = pools.begin(); it != pools.end();) {
        auto& idle = it->second.idle;
        const auto before = idle.size();
        std::erase_if(idle, [&](const std::unique_ptr<Connection>& c) { return c->idle_since < oldest; });
        it->second.open -= before - idle.size();
        it = it->second.open == 0 && it->second.waiters.empty() ? pools.erase(it) : std::next(it);
      }
      const auto now = std::chrono::steady_clock::now();
      std::erase_if(lookups, [&](const auto& entry) {
        const Lookup& l = entry.second;
        return !l.pending && l.waiters.empty() && l.expires < now;
      });
      sweep_later();
    });
  }

  void shut_down() {
    stopping = true;
    std::vector<std::unique_ptr<Transfer>> leftovers;
    {
      std::lock_guard lock(mutex);
      closed = true;
      leftovers.swap(queue);
    }
    for (auto& t : leftovers) fail(*t, ErrorClass::other, "client shutting down");
    // Fail every request in progress now, then cancel what each waits on: they wind down on their own.
    for (Transfer* t : active) {
      fail(*t, ErrorClass::other, "client shutting down");
      beast::error_code ignored;
      if (t->connection != nullptr) t->connection->transport().socket().close(ignored);
      if (t->timer != nullptr) t->timer->cancel();
      if (t->resolver) t->resolver->cancel();
    }
    pools.clear();
    lookups.clear();
    sweeper.cancel();
  }

  void complete(Transfer& t) {
    OutboundResponse& response = t.response;
    response.error =
        (response.status >= 200 && response.status < 300) ? ErrorClass::none : ErrorClass::http_status;
    if (response.error == ErrorClass::http_status)
      response.error_detail = fmt::format("HTTP {}", response.status);
    for (const auto& [name, value] : response.headers) {
      if (name == "retry-after") response.retry_after = parse_retry_after(value, SystemClock().now());
    }
    deliver(t);
  }

  void fail(Transfer& t, ErrorClass error, std::string detail) {
    t.response.status = 0;
    t.response.error = error;
    t.response.error_detail = std::move(detail);
    deliver(t);
  }

  void deliver(Transfer& t) {
    if (t.finished) return;
    t.finished = true;
    if (t.started != SteadyTime{}) {
      t.response.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t.started);
    }
    in_flight.fetch_sub(1);
    try {
      t.done(std::move(t.response));
    } catch (const std::exception& e) {
      // A throwing callback must not take the thread (and every other delivery) down with it.
      spdlog::error("http client: completion callback threw: {}", e.what());
    }
  }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

void HttpClient::submit(OutboundRequest request, std::function<void(OutboundResponse)> done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  impl_->submit(std::move(t));
}

std::size_t HttpClient::in_flight() const {
  return impl_->in_flight.load();
}

std::optional<Millis> parse_retry_after(std::string_view value, TimePoint now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;  // over 31 years: not a real instruction
    std::int64_t seconds = 0;
    std::from_chars(value.data(), value.data() + value.size(), seconds);
    return Millis(seconds * 1000);
  }
  // An HTTP date in its preferred form (RFC 9110 IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
  const std::string text(value);
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::int64_t when = static_cast<std::int64_t>(::timegm(&tm));
  const std::int64_t delta = when * 1000 - to_millis(now);
  return Millis(std::max<std::int64_t>(0, delta));
}

}  // namespace hookd::delivery
