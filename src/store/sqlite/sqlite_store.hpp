#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace hookd::store {

// Opens (creating if needed) the SQLite database at `path`, in WAL mode, and applies pending migrations.
Result<std::unique_ptr<Store>> open_sqlite_store(std::string_view path, const StoreOptions& options);

// ---- SQLite-specific extras (diagnostics and tests); other code sticks to the Store interface. ----

// Group-commit counters of the single writer.
struct SqliteWriterStats {
  std::uint64_t batches = 0;        // committed transactions
  std::uint64_t jobs = 0;           // jobs in them (succeeded, or failed and undone alone)
  std::uint64_t largest_batch = 0;  // most jobs in one transaction
  std::uint64_t rerun = 0;          // jobs queued again because SQLite rolled back their whole group
  std::uint64_t regrouped = 0;      // groups run again with a savepoint a job, after one of their jobs failed
  std::uint64_t queued = 0;         // jobs waiting for a group now
  // How long the COMMIT of a group with a durable job took (its fsync, under --sync full): the time every
  // caller of that group waited on the disk. Per bucket (not cumulative), with the count and sum.
  static constexpr std::array<std::uint64_t, 10> kCommitBucketsUs{250,    500,    1'000,  2'000,   5'000,
                                                                  10'000, 25'000, 50'000, 100'000, 250'000};
  std::array<std::uint64_t, kCommitBucketsUs.size() + 1> durable_commit_us_buckets{};  // the last: +Inf
  std::uint64_t durable_commit_us_sum = 0;
};
// nullopt when `store` is not an SQLite store.
std::optional<SqliteWriterStats> sqlite_writer_stats(Store& store);
// Read transactions started so far (connections lent by the read pool); nullopt when not an SQLite store.
std::optional<std::uint64_t> sqlite_reads(Store& store);

// Test hook: runs `sql` on the write connection, as one writer job. Used to provoke SQLITE_FULL with
// PRAGMA max_page_count; not for production code.
Result<void> sqlite_exec_in_writer(Store& store, std::string sql);
// Test hook: runs `job` on the writer thread, as one writer job (to hold the writer while others queue).
Result<void> sqlite_run_in_writer(Store& store, std::function<Result<void>()> job);

}  // namespace hookd::store
