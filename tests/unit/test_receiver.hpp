#pragma once
// A small blocking HTTP/1.1 receiver for unit tests of the delivery layer (loopback only).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hookd::test_support {

// A small HTTP/1.1 receiver on 127.0.0.1 (port 0) whose answer depends on the path:
//   /ok -> 200 "hello"; /status/N -> N; /echo -> 200 with the request body and `x-got-test: <x-test>`;
//   /hang -> never answers; /huge -> 200 announcing and streaming 100 MB; /retry-after -> 429 retry-after: 7;
//   /redirect -> 302 to /ok; /early-hints -> 103 then 200 "hello"; /then-close -> 200 "hello", then the
//   connection is closed without notice; /held -> 200 "hello" once release_held() was called. Connections are
//   kept alive; every loop is bounded by the stop flag.
class TestReceiver {
 public:
  TestReceiver() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 512) != 0) {
      ADD_FAILURE() << "test receiver cannot listen";
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestReceiver() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      workers.swap(workers_);
    }
    for (auto& w : workers) w.join();
    ::close(listen_fd_);
  }

  std::string url(std::string_view path) const { return fmt::format("http://127.0.0.1:{}{}", port_, path); }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  int requests_to(const std::string& path) {
    std::lock_guard lock(mutex_);
    auto it = by_path_.find(path);
    return it == by_path_.end() ? 0 : it->second;
  }
  // Requests to /held wait for this; later ones are answered at once.
  void release_held() { held_released_ = true; }
  long long huge_bytes_sent() const { return huge_bytes_sent_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      std::lock_guard lock(mutex_);
      workers_.emplace_back([this, fd] {
        serve(fd);
        ::close(fd);
      });
    }
  }

  // Reads into `buffer` until `pred` holds; false on close, error or stop.
  template <class Pred>
  bool read_until(int fd, std::string& buffer, Pred pred) {
    char chunk[8192];
    while (!pred()) {
      if (stop_) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      if (stop_) return false;
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  static std::string header_value(std::string_view head, std::string_view name) {
    std::string lower_head(head);
    for (auto& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower_head.find(fmt::format("\r\n{}:", name));
    if (at == std::string::npos) return {};
    const auto start = at + 2 + name.size() + 1;
    const auto end = lower_head.find("\r\n", start);
    std::string_view v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return std::string(v);
  }

  void serve(int fd) {
    std::string buffer;
    while (!stop_) {
      if (!read_until(fd, buffer, [&] { return buffer.find("\r\n\r\n") != std::string::npos; })) return;
      const auto head_end = buffer.find("\r\n\r\n") + 4;
      const std::string head = buffer.substr(0, head_end);
      const std::string length_text = header_value(head, "content-length");
      const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
      if (!read_until(fd, buffer, [&] { return buffer.size() >= head_end + length; })) return;
      const std::string body = buffer.substr(head_end, length);
      buffer.erase(0, head_end + length);
      ++requests_;

      const auto path_start = head.find(' ') + 1;
      const std::string path = head.substr(path_start, head.find(' ', path_start) - path_start);
      {
        std::lock_guard lock(mutex_);
        ++by_path_[path];
      }
      if (path == "/held") {
        while (!stop_ && !held_released_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (path == "/hang") {
        // Never answer; wait for the client to give up (close) or the test to end.
        std::string ignored;
        read_until(fd, ignored, [] { return false; });
        return;
      }
      if (path == "/huge") {
        constexpr long long kTotal = 100LL * 1024 * 1024;
        if (!send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", kTotal))) return;
        const std::string chunk(64 * 1024, 'x');
        for (long long sent = 0; sent < kTotal; sent += static_cast<long long>(chunk.size())) {
          if (!send_all(fd, chunk)) return;
          huge_bytes_sent_ += static_cast<long long>(chunk.size());
        }
        return;
      }
      int status = 200;
      std::string extra;
      std::string reply_body = "hello";
      if (path.starts_with("/status/")) {
        status = std::stoi(path.substr(8));
        reply_body = "boom";
      } else if (path == "/echo") {
        reply_body = body;
        extra = fmt::format("X-Got-Test: {}\r\nX-Got-Content-Type: {}\r\n", header_value(head, "x-test"),
                            header_value(head, "content-type"));
      } else if (path == "/retry-after") {
        status = 429;
        extra = "Retry-After: 7\r\n";
      } else if (path == "/redirect") {
        status = 302;
        extra = "Location: /ok\r\n";
      } else if (path == "/early-hints") {
        if (!send_all(fd, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n")) return;
      }
      const std::string reply = fmt::format("HTTP/1.1 {} X\r\nContent-Length: {}\r\n{}\r\n{}", status,
                                            reply_body.size(), extra, reply_body);
      if (!send_all(fd, reply)) return;
      // Closes without saying so (no "Connection: close"), as a receiver whose keep-alive ran out does.
      if (path == "/then-close") return;
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::atomic<long long> huge_bytes_sent_{0};
  std::atomic<bool> held_released_{false};
  std::thread acceptor_;
  std::mutex mutex_;  // guards workers_ and by_path_
  std::vector<std::thread> workers_;
  std::map<std::string, int> by_path_;
};

}  // namespace hookd::test_support
