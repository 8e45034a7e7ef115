// Rate-limited (open-loop) load generator: POSTs `--body-file` to `--url` at a fixed `--rate` per second for
// `--seconds`, over keep-alive connections, whatever the answers' latency (wrk in Debian is not wrk2).
//   bench_loadgen --url URL --body-file F --rate 5000 --seconds 30 [--token T] [--connections 128]
// Request k (k = 1 … rate × seconds) is due at start + k / rate. The schedule is checked when the next
// request is due, at most once a millisecond; each due request is then stamped with the time
// (CLOCK_MONOTONIC, std::chrono::steady_clock on Linux) and queued until a connection is free, so both
// latencies below include the wait for a connection. The body's "bench_t=<digits>;" marker is replaced by
// that stamp in ns, which bench_receiver reads back on arrival.
// Prints one JSON line: sent, ok, failed, statuses, seconds, rate_target, rate_achieved (ok / max(elapsed,
// seconds)), answer_p50_ms / answer_p99_ms (stamp to the end of the answer, answered requests only) and
// worst_lag_ms (the largest backlog of due but unstamped requests, in ms of schedule, when over rate/100
// requests: this process falling behind its own schedule).
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_asio.hpp"

namespace {

// The shared names of bench_asio.hpp.
using namespace bench;  // NOLINT(google-build-using-namespace)
constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr auto kTick = std::chrono::milliseconds(1);
// Answers still missing this long after the last request was due are given up and counted as failed.
constexpr auto kGiveUpAfter = std::chrono::seconds(60);

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "bench_loadgen: {}\n", what);
  std::exit(2);
}

struct Options {
  std::string url;
  std::string body_file;
  std::string token;
  double rate = 1000;
  double seconds = 10;
  std::size_t connections = 128;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) fail("missing value for " + arg);
    std::string value = argv[++i];
    if (arg == "--url")
      o.url = value;
    else if (arg == "--body-file")
      o.body_file = value;
    else if (arg == "--token")
      o.token = value;
    else if (arg == "--rate")
      o.rate = std::stod(value);
    else if (arg == "--seconds")
      o.seconds = std::stod(value);
    else if (arg == "--connections")
      o.connections = std::stoul(value);
    else
      fail("unknown option " + arg);
  }
  if (o.url.empty() || o.body_file.empty()) fail("--url and --body-file are required");
  if (o.rate <= 0 || o.seconds < 0 || o.connections == 0) fail("--rate, --connections must be positive");
  return o;
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A keep-alive connection and the request it sends over and over (only the body changes).
struct Connection {
  explicit Connection(asio::io_context& ioc) : stream(ioc) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
};

// A kept-alive connection the server closed while it sat idle (its FIN is waiting to be read): a new one is
// opened instead of failing a request on it (Node's agent dropped such sockets when the FIN arrived).
bool closed_by_peer(Connection& c) {
  char byte;
  return ::recv(c.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

class Loadgen {
 public:
  Loadgen(asio::io_context& ioc, const Options& o) : ioc_(ioc), options_(o) {
    auto url = boost::urls::parse_uri(o.url);
    if (!url || url->scheme() != "http") fail("--url must be an http:// URL: " + o.url);
    std::string port = url->has_port() ? std::string(url->port()) : "80";
    endpoints_ = tcp::resolver(ioc).resolve(std::string(url->host()), port);
    host_ = std::string(url->encoded_host_and_port());
    target_ = std::string(url->encoded_target());
    if (target_.empty()) target_ = "/";

    std::ifstream in(o.body_file, std::ios::binary);
    if (!in) fail("cannot read " + o.body_file);
    std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto marker = body.find(kMarker);
    if (marker == std::string::npos) fail("body has no bench_t= marker");
    auto end = body.find(';', marker);
    if (end == std::string::npos) fail("body's bench_t= marker has no ';'");
    head_ = body.substr(0, marker + kMarker.size());
    tail_ = body.substr(end);

    total_ = std::llround(o.rate * o.seconds);
    answer_ms_.reserve(total_);
  }

  void start() {
    start_ = Clock::now();
    asio::co_spawn(ioc_, schedule(), asio::detached);
  }

 private:
  // Stamps and queues every request that is due, then sleeps until the next one is due.
  asio::awaitable<void> schedule() {
    asio::steady_timer timer(ioc_);
    while (sent_ < total_) {
      auto now = Clock::now();
      double elapsed = std::chrono::duration<double>(now - start_).count();
      auto due = std::min(total_, static_cast<long long>(std::floor(elapsed * options_.rate)));
      if (due - sent_ > options_.rate / 100)
        worst_lag_ms_ = std::max(worst_lag_ms_, (due - sent_) / options_.rate * 1000);
      for (; sent_ < due; ++sent_) queue_.push_back(now);
      pump();
      if (sent_ == total_) break;
      // Wake when the next request is due, but at most once per kTick: above 1,000/s requests then leave in
      // bursts of rate / 1,000, as from the Node tool's 1 ms interval. Waking for every request instead
      // doubled this process's CPU and added a third to the receiver's at 5,000/s (each wake-up from idle
      // costs more than the request it sends), for the sake of a smoother schedule.
      auto next_due = start_ + std::chrono::nanoseconds(
                                   static_cast<long long>(std::ceil((sent_ + 1) * 1e9 / options_.rate)));
      timer.expires_at(std::max(next_due, now + kTick));
      co_await timer.async_wait(kTuple);
    }
    if (total_ == 0) {
      report();
      co_return;
    }
    // Answers still missing then count as failed; if they all come first, report() stops the io_context and
    // this coroutine is never resumed.
    timer.expires_after(kGiveUpAfter);
    co_await timer.async_wait(kTuple);
    failed_ += total_ - done_;
    report();
  }

  // Hands queued requests (oldest first) to free connections, opening new ones up to --connections.
  void pump() {
    while (!queue_.empty()) {
      std::shared_ptr<Connection> c;
      if (!idle_.empty()) {
        // Most recently used first, as Node's agent did (scheduling: 'lifo'): as few connections as the load
        // needs stay in use.
        c = std::move(idle_.back());
        idle_.pop_back();
      } else if (open_ < options_.connections) {
        ++open_;
        c = std::make_shared<Connection>(ioc_);
        c->request = {http::verb::post, target_, 11};
        c->request.set(http::field::host, host_);
        c->request.set(http::field::content_type, "application/json");
        if (!options_.token.empty()) c->request.set(http::field::authorization, "Bearer " + options_.token);
      } else {
        return;  // every connection is busy: the rest waits, its latency running
      }
      auto stamp = queue_.front();
      queue_.pop_front();
      asio::co_spawn(ioc_, exchange(std::move(c), stamp), asio::detached);
    }
  }

  asio::awaitable<void> exchange(std::shared_ptr<Connection> c, Clock::time_point stamp) {
    auto& stream = c->stream;
    stream.expires_after(kRequestTimeout);  // covers connect, write and read
    beast::error_code ec;
    if (stream.socket().is_open() && closed_by_peer(*c)) {
      stream.socket().close(ec);
      c->buffer.clear();
    }
    if (!stream.socket().is_open()) {
      std::tie(ec, std::ignore) = co_await stream.async_connect(endpoints_, kTuple);
      if (!ec) stream.socket().set_option(tcp::no_delay(true), ec);
    }
    if (!ec) {
      c->request.body() = fmt::format("{}{}{}", head_, monotonic_ns(stamp), tail_);
      c->request.prepare_payload();
      std::tie(ec, std::ignore) = co_await http::async_write(stream, c->request, kTuple);
    }
    http::response<http::string_body> response;
    if (!ec) std::tie(ec, std::ignore) = co_await http::async_read(stream, c->buffer, response, kTuple);
    if (ec) {
      ++failed_;
      --open_;  // the connection is dropped; pump() opens a fresh one when it needs it
    } else {
      answer_ms_.push_back(ms_between(stamp, Clock::now()));
      ++statuses_[response.result_int()];
      if (response.result_int() / 100 == 2)
        ++ok_;
      else
        ++failed_;
      if (response.keep_alive()) {
        stream.expires_never();
        idle_.push_back(std::move(c));
      } else {
        --open_;
      }
    }
    if (++done_ == total_)
      report();
    else
      pump();
  }

  void report() {
    double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    std::sort(answer_ms_.begin(), answer_ms_.end());
    auto q = [&](double p) -> std::string {
      if (answer_ms_.empty()) return "null";
      auto n = answer_ms_.size();
      return fmt::format("{}", answer_ms_[std::min(n - 1, static_cast<std::size_t>(p * n))]);
    };
    std::string statuses;
    for (auto [status, n] : statuses_)
      statuses += fmt::format("{}\"{}\":{}", statuses.empty() ? "" : ",", status, n);
    fmt::print(
        "{{\"sent\":{},\"ok\":{},\"failed\":{},\"statuses\":{{{}}},\"seconds\":{},\"rate_target\":{},"
        "\"rate_achieved\":{},\"answer_p50_ms\":{},\"answer_p99_ms\":{},\"worst_lag_ms\":{}}}\n",
        sent_, ok_, failed_, statuses, elapsed, options_.rate, ok_ / std::max(elapsed, options_.seconds),
        q(0.5), q(0.99), worst_lag_ms_);
    std::fflush(stdout);
    ioc_.stop();
  }

  asio::io_context& ioc_;
  Options options_;
  tcp::resolver::results_type endpoints_;
  std::string host_, target_, head_, tail_;
  long long total_ = 0, sent_ = 0, ok_ = 0, failed_ = 0, done_ = 0;
  double worst_lag_ms_ = 0;
  std::map<unsigned, long long> statuses_;
  std::vector<double> answer_ms_;
  Clock::time_point start_;
  std::deque<Clock::time_point> queue_;            // stamps of due requests waiting for a connection
  std::vector<std::shared_ptr<Connection>> idle_;  // open, kept-alive, not in use
  std::size_t open_ = 0;                           // idle or in use
};

}  // namespace

int main(int argc, char** argv) {
  auto options = parse(argc, argv);
  asio::io_context ioc(1);
  try {
    Loadgen loadgen(ioc, options);
    loadgen.start();
    ioc.run();
  } catch (const std::exception& e) {  // the host does not resolve, say
    fail(e.what());
  }
  return 0;
}
