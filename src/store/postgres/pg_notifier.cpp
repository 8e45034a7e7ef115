#include "store/postgres/pg_notifier.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_listener.hpp"

namespace hookd::store::postgres {
namespace {
// After a failed notice: other nodes still find the work at their next poll, so there is no hurry.
constexpr std::chrono::seconds kRetryAfterFailure{1};
}  // namespace

WorkNotifier::WorkNotifier(std::string conninfo, std::string token, std::chrono::milliseconds min_interval)
    : conninfo_(std::move(conninfo)), token_(std::move(token)), min_interval_(min_interval) {
  thread_ = std::thread([this] { run(); });
}

WorkNotifier::~WorkNotifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WorkNotifier::request() {
  {
    std::lock_guard lock(mutex_);
    if (pending_) return;
    pending_ = true;
  }
  wake_.notify_all();
}

std::uint64_t WorkNotifier::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

// A connection the server dropped while it was idle (a restart, an admin, a proxy's timeout) fails its next
// statement: the notice is then sent once more, on a new connection, as the pool does for writes.
Result<void> WorkNotifier::send(std::optional<PgConnection>& conn) {
  for (int attempt = 1;; ++attempt) {
    if (!conn || !conn->healthy()) {
      auto connected = PgConnection::connect(conninfo_);
      if (!connected) return std::unexpected(connected.error());
      conn.emplace(std::move(*connected));
    }
    auto notified = conn->exec("SELECT pg_notify($1, $2)", Params(kWorkChannel, token_));
    if (notified) return {};
    if (attempt == 2 || conn->healthy()) return std::unexpected(notified.error());
  }
}

void WorkNotifier::run() {
  std::optional<PgConnection> conn;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || pending_; });
    if (!pending_) return;  // stopping, nothing left to say
    pending_ = false;
    lock.unlock();
    auto sent = send(conn);
    lock.lock();
    auto pause = min_interval_;
    if (sent) {
      ++sent_;
    } else {
      spdlog::warn("postgres: cannot notify other nodes of new work ({}); they find it at their next poll",
                   sent.error().detail);
      conn.reset();
      pending_ = true;  // tried again after the pause
      pause = std::chrono::duration_cast<std::chrono::milliseconds>(kRetryAfterFailure);
    }
    // Work committed meanwhile waits for the pause: one notice then stands for all of it.
    wake_.wait_for(lock, pause, [&] { return stopping_; });
    if (stopping_ && !sent) return;  // the server is unreachable: do not hold the shutdown for it
  }
}

}  // namespace hookd::store::postgres
