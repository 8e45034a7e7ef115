// The HTTP server's threading contract: handlers run on the server's worker threads and may block; a blocked
// handler holds only its own worker, so the other workers keep serving other connections. A handler may also
// answer later, from another thread, and one that says it will not block runs on the I/O thread.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/http.hpp"
#include "api/server.hpp"

namespace hookd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

// Bounds every wait: a server that never answers fails the test instead of hanging it.
constexpr auto kBound = 20s;

// A gate handlers wait at until the test opens it; counts who is waiting.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait_for(lock, kBound, [&] { return open_; });
  }
  bool wait_for_waiting(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kBound, [&] { return waiting_ >= n; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

// One GET on its own connection; returns the status and body.
std::pair<int, std::string> get(std::uint16_t port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(kBound);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(int workers, RequestHandler handler) {
    ServerOptions options;
    options.port = 0;
    options.worker_threads = workers;
    server_ = std::make_unique<HttpServer>(options, std::move(handler));
    ASSERT_TRUE(server_->listen().has_value());
    runner_ = std::thread([this] { server_->run(); });
  }
  void start_async(int workers, AsyncRequestHandler handler, InlineCheck runs_inline = {}) {
    ServerOptions options;
    options.port = 0;
    options.worker_threads = workers;
    server_ = std::make_unique<HttpServer>(options, std::move(handler), std::move(runs_inline));
    ASSERT_TRUE(server_->listen().has_value());
    runner_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override { destroy(); }
  void destroy() {
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
  }
  std::uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
};

TEST_F(HttpServerTest, BlockedHandlersHoldOnlyTheirOwnWorkers) {
  constexpr int kWorkers = 4;
  Gate gate;
  start(kWorkers, [&](Request& req) {
    if (req.path == "/block") gate.wait();
    return json_response(200, req.path);
  });
  // Three of the four workers block in a handler at once: they must all be inside it together.
  std::vector<std::future<std::pair<int, std::string>>> blocked;
  for (int i = 0; i < kWorkers - 1; ++i)
    blocked.push_back(std::async(std::launch::async, [this] { return get(port(), "/block"); }));
  ASSERT_TRUE(gate.wait_for_waiting(kWorkers - 1));
  // The last worker still serves other connections, one after another.
  for (int i = 0; i < 5; ++i) {
    auto [status, body] = get(port(), "/free");
    EXPECT_EQ(status, 200);
    EXPECT_EQ(body, "/free");
  }
  gate.open();
  for (auto& f : blocked) {
    ASSERT_EQ(f.wait_for(kBound), std::future_status::ready);
    EXPECT_EQ(f.get(), std::make_pair(200, std::string("/block")));
  }
}

TEST_F(HttpServerTest, AHandlerThatThrowsAnswers500WithAnErrorCode) {
  start(2, [](Request&) -> Response { throw std::runtime_error("boom"); });
  auto [status, body] = get(port(), "/anything");
  EXPECT_EQ(status, 500);
  EXPECT_NE(body.find(R"("code":"internal")"), std::string::npos) << body;
  EXPECT_EQ(body.find("boom"), std::string::npos) << "the exception's text is not shown to clients";
}

// The answer comes from a thread of the handler's own, after the handler returned: the worker is free at
// once, so one worker takes every request while all their answers are still to come.
TEST_F(HttpServerTest, AnAnswerMayComeLaterFromAnotherThread) {
  std::mutex mutex;
  std::vector<std::pair<std::string, Responder>> pending;
  start_async(1, [&](Request& req, Responder respond) {
    std::lock_guard lock(mutex);
    pending.emplace_back(req.path, std::move(respond));
  });
  std::vector<std::future<std::pair<int, std::string>>> answers;
  for (int i = 0; i < 3; ++i)
    answers.push_back(
        std::async(std::launch::async, [this, i] { return get(port(), "/later/" + std::to_string(i)); }));
  auto taken = [&] {
    std::lock_guard lock(mutex);
    return pending.size();
  };
  for (int i = 0; i < 20'000 && taken() < 3; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(taken(), 3u) << "the single worker was held by a request whose answer had not come";
  std::thread answerer([&] {
    std::lock_guard lock(mutex);
    for (auto& [path, respond] : pending) respond(json_response(202, path));
  });
  answerer.join();
  std::set<std::string> bodies;
  for (auto& f : answers) {
    ASSERT_EQ(f.wait_for(kBound), std::future_status::ready);
    auto [status, body] = f.get();
    EXPECT_EQ(status, 202);
    bodies.insert(body);
  }
  EXPECT_EQ(bodies, (std::set<std::string>{"/later/0", "/later/1", "/later/2"}));
}

// A handler that lets go of its Responder without answering costs its client a 500, not a connection that
// waits for ever.
TEST_F(HttpServerTest, AnAnswerNeverGivenIsA500) {
  start_async(1, [](Request&, Responder) {});
  auto [status, body] = get(port(), "/dropped");
  EXPECT_EQ(status, 500);
  EXPECT_NE(body.find(R"("code":"internal")"), std::string::npos) << body;
}

// Requests the handler says will not block run on the I/O thread: they are answered while the only worker
// is blocked in another request.
TEST_F(HttpServerTest, InlineRequestsAreServedWhileEveryWorkerIsBlocked) {
  Gate gate;
  start_async(
      1,
      [&](Request& req, const Responder& respond) {
        if (req.path == "/block") gate.wait();
        respond(json_response(200, req.path));
      },
      [](const Request& req) { return req.path == "/inline"; });
  auto blocked = std::async(std::launch::async, [this] { return get(port(), "/block"); });
  ASSERT_TRUE(gate.wait_for_waiting(1));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(port(), "/inline"), std::make_pair(200, std::string("/inline")));
  gate.open();
  ASSERT_EQ(blocked.wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(blocked.get(), std::make_pair(200, std::string("/block")));
}

// A server stopped and destroyed while another thread still holds an answer to give waits for that answer:
// the answer posts to the server's io_context, which must outlive it (AddressSanitizer checks the rest).
TEST_F(HttpServerTest, DestroyingTheServerWaitsForAnswersStillHeldElsewhere) {
  std::mutex mutex;
  Responder held;
  start_async(1, [&](Request&, Responder respond) {
    std::lock_guard lock(mutex);
    held = std::move(respond);
  });
  auto client = std::async(std::launch::async, [this] {
    try {
      return get(port(), "/held").first;
    } catch (const std::exception&) {
      return 0;  // the connection closed with the server
    }
  });
  auto taken = [&] {
    std::lock_guard lock(mutex);
    return static_cast<bool>(held);
  };
  for (int i = 0; i < 20'000 && !taken(); ++i) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(taken());
  std::atomic<bool> answered = false;
  std::thread answerer([&] {
    std::this_thread::sleep_for(200ms);
    std::lock_guard lock(mutex);
    answered = true;
    held(json_response(200, "late"));
    held = nullptr;
  });
  destroy();
  EXPECT_TRUE(answered.load()) << "the server was destroyed while an answer to it was still held";
  answerer.join();
  ASSERT_EQ(client.wait_for(kBound), std::future_status::ready);
}

}  // namespace
}  // namespace hookd::api
