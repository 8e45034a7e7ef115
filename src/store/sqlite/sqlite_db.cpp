#include "store/sqlite/sqlite_db.hpp"

#include <fmt/format.h>

namespace hookd::store::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view context) {
  // With extended result codes on, `rc` usually is the extended code already.
  int extended = rc > 0xff || db == nullptr ? rc : sqlite3_extended_errcode(db);
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string detail = fmt::format("{}: {}", context, message);
  switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return Error{ErrorKind::unavailable, "store_unavailable", std::move(detail), {}};
    case SQLITE_CONSTRAINT:
      if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error{ErrorKind::conflict, "conflict", std::move(detail), {}};
      }
      break;
    default:
      break;
  }
  return Error{ErrorKind::internal, "internal", std::move(detail), {}};
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(sqlite_error(db_, rc, sqlite3_sql(stmt_)));
}

Result<void> Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::bind_text(int index, std::string_view value) {
  // SQLITE_STATIC: SQLite reads the caller's bytes instead of copying them (a malloc, a copy and a free
  // for every text bound, the 1 KB payload among them, on the writer's thread). Safe because every caller
  // binds, steps and resets the statement (StatementRef) while the values it bound are still alive.
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
}

std::string Statement::text(int col) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::string> Statement::optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::optional<std::int64_t> Statement::optional_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::optional<TimePoint> Statement::optional_time(int col) const {
  if (is_null(col)) return std::nullopt;
  return time(col);
}

Result<Database> Database::open(const std::string& path, Mode mode, int busy_timeout_ms) {
  // SQLite counts every allocation it makes under a global mutex unless told not to; hookd never reads those
  // counts (sqlite3_memory_used). Only possible before SQLite initializes, so on the first open.
  static const int kNoMemoryStatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kNoMemoryStatus;
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(raw, rc, fmt::format("open {}", path)));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

Database::~Database() {
  cache_.clear();
}

Result<void> Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (message != nullptr) sqlite3_free(message);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db_.get(), rc, text.substr(0, 80)));
  return {};
}

Result<void> Database::run(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  return (*statement)->run();
}

Result<StatementRef> Database::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return std::unexpected(sqlite_error(db_.get(), rc, fmt::format("prepare {}", sql)));
    }
    it = cache_.emplace(std::string(sql), Cached{std::make_unique<Statement>(db_.get(), stmt), false}).first;
  }
  if (it->second.in_use) return internal_error(fmt::format("statement already in use: {}", sql));
  it->second.in_use = true;
  return StatementRef(*it->second.statement, it->second.in_use);
}

Result<Transaction> Transaction::begin(Database& db, bool immediate) {
  if (auto r = db.run(immediate ? "BEGIN IMMEDIATE" : "BEGIN"); !r) return std::unexpected(r.error());
  return Transaction(db);
}

Result<void> Transaction::commit() {
  if (db_ == nullptr) return internal_error("commit without a transaction");
  auto r = db_->run("COMMIT");
  if (!r) {
    rollback();
    return r;
  }
  db_ = nullptr;
  return {};
}

void Transaction::rollback() {
  if (db_ == nullptr) return;
  if (!db_->autocommit()) (void)db_->run("ROLLBACK");
  db_ = nullptr;
}

Result<Savepoint> Savepoint::begin(Database& db) {
  if (auto r = db.run("SAVEPOINT job"); !r) return std::unexpected(r.error());
  return Savepoint(db);
}

Result<void> Savepoint::release() {
  if (db_ == nullptr) return internal_error("release without a savepoint");
  auto r = db_->run("RELEASE job");
  if (!r) return r;
  db_ = nullptr;
  return {};
}

void Savepoint::rollback() {
  if (db_ == nullptr) return;
  // After SQLite rolled the whole transaction back by itself, the savepoint is gone too.
  if (!db_->autocommit()) {
    (void)db_->run("ROLLBACK TO job");
    (void)db_->run("RELEASE job");
  }
  db_ = nullptr;
}

}  // namespace hookd::store::sqlite
