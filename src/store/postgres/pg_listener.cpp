#include "store/postgres/pg_listener.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "store/postgres/pg_connection.hpp"

namespace hookd::store::postgres {
namespace {
constexpr int kPollMs = 200;
constexpr int kReconnectPolls = 5;  // wait about 1 s between reconnect attempts
}  // namespace

WorkNotificationListener::WorkNotificationListener(std::string conninfo, std::string own_token,
                                                   std::function<void()> on_notice)
    : conninfo_(std::move(conninfo)), own_token_(std::move(own_token)), on_notice_(std::move(on_notice)) {
  thread_ = std::thread([this] { run(); });
}

WorkNotificationListener::~WorkNotificationListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void WorkNotificationListener::run() {
  // After any failed or lost connection, notices may have been sent while nobody listened: the node is
  // woken once to look for itself. Only a first attempt that succeeds has nothing to catch up on.
  bool tried_before = false;
  while (!stop_) {
    auto conn = PgConnection::connect(conninfo_);
    auto listen = conn ? conn->exec_script(std::string("LISTEN ") + std::string(kWorkChannel))
                       : Result<void>(std::unexpected(conn.error()));
    if (!listen) {
      tried_before = true;
      spdlog::warn("postgres: work listener cannot listen ({}); retrying", listen.error().detail);
      for (int i = 0; i < kReconnectPolls && !stop_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      }
      continue;
    }
    listening_ = true;
    if (tried_before) on_notice_();
    tried_before = true;
    PGconn* raw = conn->raw();
    while (!stop_) {
      pollfd fd{PQsocket(raw), POLLIN, 0};
      int ready = ::poll(&fd, 1, kPollMs);
      if (ready < 0) continue;  // EINTR
      if (ready == 0) continue;
      if (PQconsumeInput(raw) == 0) break;  // the connection is gone: reconnect
      bool wake = false;
      while (PGnotify* notice = PQnotifies(raw)) {
        std::unique_ptr<PGnotify, decltype(&PQfreemem)> owned(notice, &PQfreemem);
        if (own_token_ != notice->extra) wake = true;
      }
      if (wake) on_notice_();
    }
    listening_ = false;
  }
}

}  // namespace hookd::store::postgres
