// Benchmark receiver: answers every request 200 "ok" and records, per path, the time from the send timestamp
// embedded in the body ("bench_t=<ns>;", CLOCK_MONOTONIC, written by bench_loadgen) to the arrival of the
// whole request. CLOCK_MONOTONIC (std::chrono::steady_clock on Linux) is shared by every process on the
// machine, so the two clocks agree.
//   bench_receiver --port P [--stuck-port Q]
// GET /stats?prefix=/hook&reset=1 -> {count, untimed, p50_ms, p99_ms, p999_ms, max_ms, slow_seconds} over the
// paths that start with the prefix (reset=1 then drops them). slow_seconds says when the slowest hundredth
// were sent: [[second, count], ...], seconds counted from the first send, so a tail from one stall shows as
// one or two seconds and a tail spread over the run as many. --stuck-port also opens a listener that accepts
// connections, reads everything and never answers. Loopback only; one thread.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench_asio.hpp"

namespace {

// The shared names of bench_asio.hpp.
using namespace bench;  // NOLINT(google-build-using-namespace)

constexpr std::size_t kMaxSamples = 5'000'000;  // bounded memory: about 80 MB per path at most
constexpr std::uint64_t kBodyLimit = 64 << 20;  // Beast's default (1 MB) would drop larger deliveries
constexpr auto kIdleTimeout = std::chrono::seconds(120);  // longer than any pause in a scenario

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

// Latencies in ms by request target (path and query), and the requests whose body had no timestamp.
class Samples {
 public:
  void record(std::string_view path, std::string_view body, Clock::time_point arrived) {
    auto it = buckets_.find(path);
    if (it == buckets_.end()) it = buckets_.emplace(std::string(path), Bucket{}).first;
    Bucket& b = it->second;
    std::int64_t sent = 0;
    auto at = body.find(kMarker);
    const char* end = body.data() + body.size();
    const char* digits = at == std::string_view::npos ? end : body.data() + at + kMarker.size();
    auto [stop, ec] = std::from_chars(digits, end, sent);
    if (ec != std::errc{} || stop == end || *stop != ';') {
      ++b.untimed;
      return;
    }
    if (b.values.size() >= kMaxSamples) return;
    // Grow by doubling ourselves: the vector's own growth would overshoot the cap.
    if (b.values.size() == b.values.capacity())
      b.values.reserve(std::min(std::max<std::size_t>(1024, 2 * b.values.capacity()), kMaxSamples));
    b.values.push_back(Sample{static_cast<double>(monotonic_ns(arrived) - sent) / 1e6, sent});
  }

  // The JSON answer of GET /stats; quantile p is the sorted samples' element min(n - 1, floor(p * n)).
  std::string stats(std::string_view prefix, bool reset) {
    std::vector<Sample> all;
    long long untimed = 0;
    auto first = buckets_.lower_bound(prefix), last = first;
    for (; last != buckets_.end() && last->first.starts_with(prefix); ++last) {
      all.insert(all.end(), last->second.values.begin(), last->second.values.end());
      untimed += last->second.untimed;
    }
    std::sort(all.begin(), all.end(), [](const Sample& a, const Sample& b) { return a.ms < b.ms; });
    auto index = [&](double p) { return std::min(all.size() - 1, static_cast<std::size_t>(p * all.size())); };
    auto q = [&](double p) -> std::string {
      return all.empty() ? "null" : fmt::format("{}", all[index(p)].ms);
    };
    if (reset) buckets_.erase(first, last);
    return fmt::format(
        R"({{"count":{},"untimed":{},"p50_ms":{},"p99_ms":{},"p999_ms":{},"max_ms":{},"slow_seconds":{}}})",
        all.size(), untimed, q(0.5), q(0.99), q(0.999), q(1) /* the last: max */,
        slow_seconds(all, index(0.99)));
  }

 private:
  struct Sample {
    double ms;
    std::int64_t sent_ns;
  };

  // When the samples from `from` on (sorted by latency: the slowest) were sent, by second since the first
  // send.
  static std::string slow_seconds(const std::vector<Sample>& sorted, std::size_t from) {
    if (sorted.empty()) return "[]";
    auto first_sent = std::min_element(sorted.begin(), sorted.end(), [](const Sample& a, const Sample& b) {
                        return a.sent_ns < b.sent_ns;
                      })->sent_ns;
    std::map<std::int64_t, long long> by_second;
    for (auto i = from; i < sorted.size(); ++i) ++by_second[(sorted[i].sent_ns - first_sent) / 1'000'000'000];
    std::string out = "[";
    for (const auto& [second, count] : by_second)
      out += fmt::format("{}[{},{}]", out.size() > 1 ? "," : "", second, count);
    return out + "]";
  }

  struct Bucket {
    std::vector<Sample> values;
    long long untimed = 0;
  };
  std::map<std::string, Bucket, std::less<>> buckets_;  // ordered: a prefix's paths are one range
};

std::string stats_answer(Samples& samples, std::string_view target) {
  std::string prefix = "/";
  bool reset = false;
  if (auto url = boost::urls::parse_origin_form(target)) {
    auto params = url->params();
    if (auto it = params.find("prefix"); it != params.end()) prefix = (*it).value;
    if (auto it = params.find("reset"); it != params.end()) reset = (*it).value == "1";
  }
  return samples.stats(prefix, reset);
}

asio::awaitable<void> serve(tcp::socket socket, Samples& samples) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    stream.expires_after(kIdleTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) break;
    auto arrived = Clock::now();
    const auto& request = parser.get();
    http::response<http::string_body> response{http::status::ok, request.version()};
    if (request.method() == http::verb::get && request.target().starts_with("/stats")) {
      response.set(http::field::content_type, "application/json");
      response.body() = stats_answer(samples, sv(request.target()));
    } else {
      samples.record(sv(request.target()), request.body(), arrived);
      response.set(http::field::content_type, "text/plain");
      response.body() = "ok";
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
    if (write_ec || !response.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// The stuck endpoint: reads and discards until the peer goes away, never answers.
asio::awaitable<void> swallow(tcp::socket socket) {
  std::array<char, 4096> sink;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), kTuple);
    if (ec) break;
  }
}

template <class Serve>
asio::awaitable<void> accept_loop(tcp::acceptor acceptor, Serve serve) {
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors, say: try again shortly rather than spinning on the error.
      asio::steady_timer pause(executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(kTuple);
      continue;
    }
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

tcp::acceptor listen_on(asio::io_context& ioc, const std::string& port, std::string_view name) {
  tcp::acceptor acceptor(ioc,
                         {asio::ip::address_v4::loopback(), static_cast<unsigned short>(std::stoul(port))});
  // Printed once the port accepts connections (start_receiver in bench/lib.sh polls /stats; people read it).
  fmt::print("{} on {}\n", name, acceptor.local_endpoint().port());
  std::fflush(stdout);
  return acceptor;
}

}  // namespace

int main(int argc, char** argv) {
  std::string port, stuck_port;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    if (arg == "--port")
      port = argv[i + 1];
    else if (arg == "--stuck-port")
      stuck_port = argv[i + 1];
  }
  if (port.empty()) {
    fmt::print(stderr, "usage: bench_receiver --port P [--stuck-port Q]\n");
    return 2;
  }
  Samples samples;
  asio::io_context ioc(1);
  try {
    asio::co_spawn(ioc,
                   accept_loop(listen_on(ioc, port, "receiver"),
                               [&samples](tcp::socket s) { return serve(std::move(s), samples); }),
                   asio::detached);
    if (!stuck_port.empty())
      asio::co_spawn(ioc, accept_loop(listen_on(ioc, stuck_port, "stuck"), swallow), asio::detached);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_receiver: {}\n", e.what());
    return 1;
  }
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](const beast::error_code&, int) { ioc.stop(); });
  ioc.run();
  return 0;
}
