#pragma once
// A small pool of read-only connections. In WAL mode readers never wait for the writer (and the writer
// never waits for them), so reads do not queue behind the group-commit writer.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookd::store::sqlite {

class ReadPool {
 public:
  static Result<std::unique_ptr<ReadPool>> open(const std::string& path, std::size_t size,
                                                int busy_timeout_ms);

  // A connection borrowed for one call; returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<Database> db) : pool_(&pool), db_(std::move(db)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_) pool_->give_back(std::move(db_));
    }
    Database& db() { return *db_; }

   private:
    ReadPool* pool_;
    std::unique_ptr<Database> db_;
  };

  Lease acquire();  // waits while every connection is lent out
  std::uint64_t lent() const { return lent_.load(std::memory_order_relaxed); }  // leases so far

 private:
  void give_back(std::unique_ptr<Database> db);

  std::mutex mutex_;  // guards idle_
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Database>> idle_;
  std::atomic<std::uint64_t> lent_{0};
};

}  // namespace hookd::store::sqlite
