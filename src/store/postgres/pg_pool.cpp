#include "store/postgres/pg_pool.hpp"

namespace hookd::store::postgres {

ConnectionPool::ConnectionPool(std::string conninfo, std::size_t max_size,
                               std::function<Result<void>(PgConnection&)> on_connect)
    : conninfo_(std::move(conninfo)), max_size_(max_size), on_connect_(std::move(on_connect)) {}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->give_back(std::move(conn_));
}

Result<ConnectionPool::Lease> ConnectionPool::acquire(std::chrono::milliseconds wait) {
  {
    std::unique_lock lock(mutex_);
    bool ready = available_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < max_size_; });
    if (!ready) {
      return fail(ErrorKind::unavailable, "store_unavailable", "all PostgreSQL connections are busy");
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(conn));
    }
    ++open_;  // reserve the slot, then connect without holding the lock
  }
  auto release_slot = [&] {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
  };
  auto conn = PgConnection::connect(conninfo_);
  if (!conn) {
    release_slot();
    return std::unexpected(conn.error());
  }
  auto owned = std::make_unique<PgConnection>(std::move(*conn));
  if (on_connect_) {
    if (auto r = on_connect_(*owned); !r) {
      release_slot();
      return std::unexpected(r.error());
    }
  }
  return Lease(*this, std::move(owned));
}

void ConnectionPool::give_back(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mutex_);
  if (conn->healthy() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // lost, or left inside a transaction: close it rather than hand it to someone else
  }
  available_.notify_one();
}

}  // namespace hookd::store::postgres
