// The SQLite connection wrapper's process-wide settings.
#include "store/sqlite/sqlite_db.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace hookd::store::sqlite {
namespace {

// SQLite's allocation statistics cost a global mutex on every allocation it makes (a profile of ingest
// found the writer thread 14 % faster in instructions without them); hookd never reads them, so the first
// open turns them off. Every connection in this process is opened by Database::open, so whichever test runs
// first, that open came before SQLite initialized.
TEST(SqliteDb, AllocationStatisticsAreOff) {
  const auto path =
      std::filesystem::temp_directory_path() / ("hookd-db-test-" + std::to_string(::getpid()) + ".db");
  {
    auto db = Database::open(path.string(), Database::Mode::read_write, 1000);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES (hex(randomblob(4096)));"));
    // With statistics on, this counts every byte SQLite holds (its page cache alone is kilobytes).
    EXPECT_EQ(sqlite3_memory_used(), 0);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hookd::store::sqlite
