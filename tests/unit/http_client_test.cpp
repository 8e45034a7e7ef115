#include "delivery/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_receiver.hpp"

extern char** environ;

namespace hookd::delivery {
namespace {

using namespace std::chrono_literals;
using test_support::TestReceiver;

HttpClientOptions loopback_options() {
  HttpClientOptions options;
  options.policy.allow_private = true;
  return options;
}

// Submits one request and waits (bounded) for its completion.
OutboundResponse fetch(HttpClient& client, OutboundRequest request, std::chrono::seconds limit = 20s) {
  auto promise = std::make_shared<std::promise<OutboundResponse>>();
  auto future = promise->get_future();
  client.submit(std::move(request), [promise](OutboundResponse r) { promise->set_value(std::move(r)); });
  if (future.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "request did not complete in time";
    OutboundResponse r;
    r.error_detail = "test timeout";
    return r;
  }
  return future.get();
}

OutboundRequest post(std::string url, Millis timeout = 5000ms) {
  OutboundRequest r;
  r.url = std::move(url);
  r.body = R"({"hello":"world"})";
  r.headers = {{"content-type", "application/json"}};
  r.timeout = timeout;
  return r;
}

TEST(HttpClient, SuccessWithBodyAndHeaders) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  auto request = post(receiver.url("/echo"));
  request.headers.emplace_back("X-Test", "signed-value");
  auto response = fetch(client, request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.error, ErrorClass::none) << response.error_detail;
  EXPECT_EQ(response.body, R"({"hello":"world"})");
  EXPECT_FALSE(response.body_truncated);
  bool saw_test = false, saw_type = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "x-got-test") saw_test = value == "signed-value";
    if (name == "x-got-content-type") saw_type = value == "application/json";
  }
  EXPECT_TRUE(saw_test) << "header sent and response header name lower-cased";
  EXPECT_TRUE(saw_type);
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(HttpClient, ServerErrorIsReturnedAsStatus) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  auto response = fetch(client, post(receiver.url("/status/500")));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.error, ErrorClass::http_status);
  EXPECT_EQ(response.body, "boom");
  auto gone = fetch(client, post(receiver.url("/status/410")));
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(gone.error, ErrorClass::http_status);
}

TEST(HttpClient, RedirectIsNotFollowed) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  auto response = fetch(client, post(receiver.url("/redirect")));
  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.error, ErrorClass::http_status);
  EXPECT_EQ(receiver.requests(), 1);
}

TEST(HttpClient, NeverAnsweringReceiverTimesOut) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  const auto started = std::chrono::steady_clock::now();
  auto response = fetch(client, post(receiver.url("/hang"), 300ms));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.error, ErrorClass::timeout) << response.error_detail;
  EXPECT_EQ(response.status, 0);
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_GE(response.duration, 290ms);
}

TEST(HttpClient, HugeBodyIsCappedNotBuffered) {
  TestReceiver receiver;
  auto options = loopback_options();
  options.max_response_body = 1000;
  HttpClient client(options);
  auto response = fetch(client, post(receiver.url("/huge"), 10000ms));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.error, ErrorClass::none) << response.error_detail;
  EXPECT_TRUE(response.body_truncated);
  EXPECT_EQ(response.body, std::string(1000, 'x'));
  // The client stopped reading: far less than the 100 MB announced left the receiver (socket buffers only).
  std::this_thread::sleep_for(100ms);
  EXPECT_LT(receiver.huge_bytes_sent(), 50LL * 1024 * 1024);
}

TEST(HttpClient, BodyExactlyAtCapIsNotTruncated) {
  TestReceiver receiver;
  auto options = loopback_options();
  options.max_response_body = 5;  // "hello"
  HttpClient client(options);
  auto response = fetch(client, post(receiver.url("/ok")));
  EXPECT_EQ(response.body, "hello");
  EXPECT_FALSE(response.body_truncated);
}

TEST(HttpClient, RetryAfterIsParsed) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  auto response = fetch(client, post(receiver.url("/retry-after")));
  EXPECT_EQ(response.status, 429);
  ASSERT_TRUE(response.retry_after.has_value());
  EXPECT_EQ(*response.retry_after, 7000ms);
}

TEST(HttpClient, ParseRetryAfterValues) {
  const TimePoint now = from_millis(1445412480000);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(parse_retry_after("120", now), Millis(120000));
  EXPECT_EQ(parse_retry_after(" 0 ", now), Millis(0));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now), Millis(120000));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Millis(0));  // in the past
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
  EXPECT_FALSE(parse_retry_after("99999999999999", now));
}

TEST(HttpClient, ClosedPortGivesConnect) {
  int port = 0;
  {
    // Take a free port, then close it: nothing listens there.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  HttpClient client(loopback_options());
  auto response = fetch(client, post(fmt::format("http://127.0.0.1:{}/", port)));
  EXPECT_EQ(response.error, ErrorClass::connect) << response.error_detail;
  EXPECT_EQ(response.status, 0);
}

TEST(HttpClient, UnresolvableNameGivesDns) {
  HttpClient client(loopback_options());
  auto response = fetch(client, post("http://hookd-test.invalid/", 10000ms));
  EXPECT_EQ(response.error, ErrorClass::dns) << response.error_detail;
}

// Many requests opening connections to one name at once: one looks it up, the others wait for that lookup
// (a broken hand-over would leave them to time out), and the answer, good or bad, reaches them all.
TEST(HttpClient, ConcurrentRequestsToANameShareItsLookup) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  constexpr int kRequests = 40;
  std::atomic<int> ok{0}, dns{0}, completed{0};
  std::promise<void> all_done;
  for (int i = 0; i < kRequests; ++i) {
    const bool good = i % 2 == 0;
    auto request = post(
        good ? fmt::format("http://localhost:{}/ok", receiver.port()) : "http://hookd-test.invalid/", 5000ms);
    client.submit(std::move(request), [&, good](OutboundResponse r) {
      if (good && r.status == 200) ++ok;
      if (!good && r.error == ErrorClass::dns) ++dns;
      if (++completed == kRequests) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(30s), std::future_status::ready)
      << completed.load() << " completed";
  EXPECT_EQ(ok.load(), kRequests / 2);
  EXPECT_EQ(dns.load(), kRequests / 2);
}

TEST(HttpClient, DefaultPolicyBlocksLoopbackBeforeConnecting) {
  TestReceiver receiver;
  HttpClient client(HttpClientOptions{});  // allow_private = false
  auto response = fetch(client, post(receiver.url("/ok")));
  EXPECT_EQ(response.error, ErrorClass::blocked_target) << response.error_detail;
  EXPECT_NE(response.error_detail.find("127.0.0.1"), std::string::npos) << response.error_detail;
  // A name that resolves to loopback is caught at connect time too (the DNS-rebinding case).
  auto by_name = fetch(client, post(fmt::format("http://localhost:{}/ok", receiver.port())));
  EXPECT_EQ(by_name.error, ErrorClass::blocked_target) << by_name.error_detail;
  std::this_thread::sleep_for(100ms);  // the receiver polls every 20 ms
  EXPECT_EQ(receiver.connections(), 0);
}

TEST(HttpClient, AllowListPermitsLoopback) {
  TestReceiver receiver;
  HttpClientOptions options;
  options.policy.allow_list.push_back(*Cidr::parse("127.0.0.0/8"));
  HttpClient client(options);
  auto response = fetch(client, post(receiver.url("/ok")));
  EXPECT_EQ(response.error, ErrorClass::none) << response.error_detail;
  EXPECT_EQ(response.status, 200);
}

TEST(HttpClient, OnlyHttpAndHttps) {
  HttpClient client(loopback_options());
  auto response = fetch(client, post("file:///etc/passwd"));
  EXPECT_NE(response.error, ErrorClass::none);
  EXPECT_TRUE(response.body.empty());
}

TEST(HttpClient, HeaderInjectionIsRefused) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  auto request = post(receiver.url("/echo"));
  request.headers.emplace_back("X-Test", "a\r\nX-Injected: yes");
  auto response = fetch(client, request);
  EXPECT_EQ(response.error, ErrorClass::other);
  EXPECT_EQ(response.status, 0);
  auto bad_name = post(receiver.url("/echo"));
  bad_name.headers.emplace_back("X-Te st", "v");
  EXPECT_EQ(fetch(client, bad_name).error, ErrorClass::other);
  EXPECT_EQ(receiver.requests(), 0);
}

TEST(HttpClient, ManyConcurrentRequestsReuseConnections) {
  TestReceiver receiver;
  auto options = loopback_options();
  options.max_host_connections = 4;
  HttpClient client(options);
  constexpr int kRequests = 200;
  std::atomic<int> ok{0}, completed{0};
  std::promise<void> all_done;
  for (int i = 0; i < kRequests; ++i) {
    client.submit(post(receiver.url("/ok")), [&](OutboundResponse r) {
      if (r.status == 200 && r.error == ErrorClass::none && r.body == "hello") ++ok;
      if (++completed == kRequests) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(30s), std::future_status::ready)
      << completed.load() << " completed";
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_EQ(receiver.requests(), kRequests);
  EXPECT_LE(receiver.connections(), 8) << "keep-alive: connections are reused";
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(HttpClient, SequentialRequestsShareOneConnection) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  for (int i = 0; i < 20; ++i) {
    auto response = fetch(client, post(receiver.url(i % 2 == 0 ? "/ok" : "/status/500")));
    ASSERT_NE(response.status, 0) << response.error_detail;
  }
  EXPECT_EQ(receiver.requests(), 20);
  EXPECT_EQ(receiver.connections(), 1);
}

TEST(HttpClient, DestructorFailsPendingRequestsExactlyOnce) {
  TestReceiver receiver;
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  {
    HttpClient client(loopback_options());
    for (int i = 0; i < 5; ++i) {
      client.submit(post(receiver.url("/hang"), 60000ms), [&](OutboundResponse r) {
        ++calls;
        if (r.error == ErrorClass::other) ++failures;
      });
    }
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(client.in_flight(), 5u);
  }
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(failures.load(), 5);
}

TEST(HttpClient, CallbackMaySubmitAgain) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  std::promise<int> second_status;
  client.submit(post(receiver.url("/status/503")), [&](OutboundResponse) {
    client.submit(post(receiver.url("/ok")), [&](OutboundResponse r) { second_status.set_value(r.status); });
  });
  auto future = second_status.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get(), 200);
}

TEST(HttpClient, AKeptAliveConnectionTheReceiverClosedIsReplacedUnseen) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  auto first = fetch(client, post(receiver.url("/then-close")));
  ASSERT_EQ(first.error, ErrorClass::none) << first.error_detail;
  std::this_thread::sleep_for(50ms);  // the close reaches the client's socket
  auto second = fetch(client, post(receiver.url("/ok")));
  EXPECT_EQ(second.error, ErrorClass::none) << second.error_detail;
  EXPECT_EQ(second.body, "hello");
  EXPECT_EQ(receiver.requests(), 2) << "the request is sent once to the receiver";
  EXPECT_EQ(receiver.connections(), 2);
}

TEST(HttpClient, InterimResponsesAreSkipped) {
  TestReceiver receiver;
  HttpClient client(loopback_options());
  auto response = fetch(client, post(receiver.url("/early-hints")));
  EXPECT_EQ(response.error, ErrorClass::none) << response.error_detail;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  for (const auto& [name, value] : response.headers) EXPECT_NE(name, "link") << "only the final response's";
  auto next = fetch(client, post(receiver.url("/ok")));
  EXPECT_EQ(next.body, "hello");
  EXPECT_EQ(receiver.connections(), 1);
}

TEST(HttpClient, ARequestWaitingForAConnectionKeepsItsDeadline) {
  TestReceiver receiver;
  auto options = loopback_options();
  options.max_host_connections = 1;
  HttpClient client(options);
  std::promise<OutboundResponse> hung;
  client.submit(post(receiver.url("/hang"), 3000ms),
                [&](OutboundResponse r) { hung.set_value(std::move(r)); });
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  auto waiting = fetch(client, post(receiver.url("/ok"), 300ms));
  EXPECT_EQ(waiting.error, ErrorClass::timeout) << waiting.error_detail;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms) << "it did not wait for the hung request";
  auto future = hung.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().error, ErrorClass::timeout);
  // The slot is free again once the hung request gave up.
  EXPECT_EQ(fetch(client, post(receiver.url("/ok"))).status, 200);
}

// HTTPS against `openssl s_server` with a certificate from a throw-away CA made for this test.
class TlsServer {
 public:
  TlsServer() {
    dir_ = std::filesystem::temp_directory_path() / fmt::format("hookd-tls-{}", ::getpid());
    std::filesystem::create_directories(dir_);
    const std::string d = dir_.string();
    const std::string script = fmt::format(
        "cd {} && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
        "-out ca.pem -days 2 -subj /CN=hookd-test-ca >/dev/null 2>&1 && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.csr "
        "-subj /CN=127.0.0.1 >/dev/null 2>&1 && "
        "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf && "
        "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 "
        "-extfile ext.cnf >/dev/null 2>&1",
        d);
    if (std::system(script.c_str()) != 0) return;
    port_ = free_port();
    const std::string accept = fmt::format("127.0.0.1:{}", port_);
    const std::string cert = d + "/srv.pem", key = d + "/srv.key";
    std::vector<std::string> args = {"openssl", "s_server", "-quiet", "-accept", accept,
                                     "-cert",   cert,       "-key",   key,       "-www"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, "openssl", &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
    // Ready when it accepts connections (bounded wait).
    for (int i = 0; pid_ > 0 && i < 100 && !ready_; ++i) {
      ready_ = can_connect(port_);
      if (!ready_) std::this_thread::sleep_for(50ms);
    }
  }
  ~TlsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  bool ready() const { return ready_; }
  std::string url() const { return fmt::format("https://127.0.0.1:{}/", port_); }
  std::string ca_file() const { return (dir_ / "ca.pem").string(); }

 private:
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }
  static bool can_connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = 0;
  bool ready_ = false;
};

TEST(HttpClient, HttpsVerifiesCertificatesAgainstLocalCa) {
  TlsServer server;
  if (!server.ready()) GTEST_SKIP() << "openssl command line not available";
  OutboundRequest request;
  request.url = server.url();
  request.method = "GET";
  request.timeout = 5000ms;
  {
    auto options = loopback_options();
    options.ca_file = server.ca_file();
    HttpClient trusting(options);
    auto response = fetch(trusting, request);
    EXPECT_EQ(response.error, ErrorClass::none) << response.error_detail;
    EXPECT_EQ(response.status, 200);
  }
  {
    HttpClient default_store(loopback_options());
    auto response = fetch(default_store, request);
    EXPECT_EQ(response.error, ErrorClass::tls) << response.error_detail;
    EXPECT_EQ(response.status, 0);
  }
}

}  // namespace
}  // namespace hookd::delivery
