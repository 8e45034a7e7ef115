#include "store/sqlite/sqlite_read_pool.hpp"

#include <algorithm>

namespace hookd::store::sqlite {

Result<std::unique_ptr<ReadPool>> ReadPool::open(const std::string& path, std::size_t size,
                                                 int busy_timeout_ms) {
  auto pool = std::make_unique<ReadPool>();
  for (std::size_t i = 0; i < std::max<std::size_t>(size, 1); ++i) {
    auto db = Database::open(path, Database::Mode::read_only, busy_timeout_ms);
    if (!db) return std::unexpected(db.error());
    pool->idle_.push_back(std::make_unique<Database>(std::move(*db)));
  }
  return pool;
}

ReadPool::Lease ReadPool::acquire() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty(); });
  auto db = std::move(idle_.back());
  idle_.pop_back();
  lent_.fetch_add(1, std::memory_order_relaxed);
  return Lease(*this, std::move(db));
}

void ReadPool::give_back(std::unique_ptr<Database> db) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(db));
  }
  returned_.notify_one();
}

}  // namespace hookd::store::sqlite
