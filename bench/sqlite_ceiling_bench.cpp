// Ceiling baseline: how fast SQLite itself commits on this machine, in WAL mode with synchronous=FULL (the
// durability hookd promises by default). One row per transaction, and 100 rows per transaction.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace {

struct Db {
  sqlite3* handle = nullptr;
  std::filesystem::path dir;
  Db() {
    dir = std::filesystem::temp_directory_path() / ("hookd-ceiling-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    sqlite3_open((dir / "ceiling.db").c_str(), &handle);
    sqlite3_exec(handle,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);",
                 nullptr, nullptr, nullptr);
  }
  ~Db() {
    sqlite3_close(handle);
    std::filesystem::remove_all(dir);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
};

void insert_rows(benchmark::State& state) {
  Db db;
  const int rows_per_tx = static_cast<int>(state.range(0));
  const std::string payload(1024, 'x');
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db.handle, "INSERT INTO t (payload) VALUES (?)", -1, &stmt, nullptr);
  for (auto _ : state) {
    sqlite3_exec(db.handle, "BEGIN", nullptr, nullptr, nullptr);
    for (int i = 0; i < rows_per_tx; ++i) {
      sqlite3_bind_text(stmt, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
      sqlite3_step(stmt);
      sqlite3_reset(stmt);
    }
    sqlite3_exec(db.handle, "COMMIT", nullptr, nullptr, nullptr);
  }
  sqlite3_finalize(stmt);
  state.SetItemsProcessed(state.iterations() * rows_per_tx);
}
BENCHMARK(insert_rows)->Arg(1)->Arg(100)->MinTime(2.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
