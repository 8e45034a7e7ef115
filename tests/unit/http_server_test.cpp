// The HTTP server's threading contract: handlers run on the server's worker threads and may block; a blocked
// handler holds only its own worker, so the other workers keep serving other connections.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

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
  void TearDown() override {
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
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

}  // namespace
}  // namespace hookd::api
