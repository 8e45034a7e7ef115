#pragma once
#include <cstdint>
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
  std::uint64_t jobs = 0;           // jobs in them (succeeded or rolled back to their savepoint)
  std::uint64_t largest_batch = 0;  // most jobs in one transaction
  std::uint64_t rerun = 0;          // jobs queued again because SQLite rolled back their whole group
};
// nullopt when `store` is not an SQLite store.
std::optional<SqliteWriterStats> sqlite_writer_stats(Store& store);

// Test hook: runs `sql` on the write connection, as one writer job. Used to provoke SQLITE_FULL with
// PRAGMA max_page_count; not for production code.
Result<void> sqlite_exec_in_writer(Store& store, std::string sql);

}  // namespace hookd::store
