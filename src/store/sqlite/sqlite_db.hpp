#pragma once
// The one thin RAII layer over sqlite3 that the SQLite store uses everywhere: a connection that caches its
// prepared statements, a statement with bind/step/column helpers, and transaction/savepoint guards.
// A connection (and its statements) is used by one thread at a time; sharing is the caller's business.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/string_keyed_map.hpp"

namespace hookd::store::sqlite {

// A value for a dynamically built query (filters), bound by position.
using BindValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

// Maps an SQLite result code to our error kinds: disk full / I/O / busy -> unavailable
// ("store_unavailable", the API answers 503), UNIQUE and PRIMARY KEY violations -> conflict ("conflict";
// callers give it a better code and detail), everything else -> internal.
Error sqlite_error(sqlite3* db, int rc, std::string_view context);

template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds the arguments to parameters 1..N. Accepts integers, bool, TimePoint (as milliseconds), strings,
  // nullptr (NULL), BindValue and std::optional of any of these (nullopt -> NULL). Text is not copied: the
  // values must stay alive until the statement is reset (a StatementRef going out of scope).
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
    return *this;
  }

  template <class T>
  void bind(int index, const T& value) {
    if constexpr (std::is_same_v<T, std::nullptr_t> || std::is_same_v<T, std::nullopt_t>) {
      sqlite3_bind_null(stmt_, index);
    } else if constexpr (std::is_same_v<T, bool>) {
      sqlite3_bind_int64(stmt_, index, value ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
    } else if constexpr (std::is_same_v<T, TimePoint>) {
      sqlite3_bind_int64(stmt_, index, to_millis(value));
    } else if constexpr (kIsOptional<T>) {
      if (value) {
        bind(index, *value);
      } else {
        sqlite3_bind_null(stmt_, index);
      }
    } else if constexpr (std::is_same_v<T, BindValue>) {
      std::visit([&](const auto& v) { bind(index, v); }, value);
    } else {
      bind_text(index, std::string_view(value));
    }
  }

  // One step: true when a row is available, false when the statement is done.
  Result<bool> step();
  // Steps to completion (for statements that return no rows).
  Result<void> run();
  void reset();

  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  int int32(int col) const { return sqlite3_column_int(stmt_, col); }
  bool boolean(int col) const { return sqlite3_column_int64(stmt_, col) != 0; }
  std::string text(int col) const;
  TimePoint time(int col) const { return from_millis(int64(col)); }
  std::optional<std::string> optional_text(int col) const;
  std::optional<std::int64_t> optional_int64(int col) const;
  std::optional<TimePoint> optional_time(int col) const;

 private:
  void bind_text(int index, std::string_view value);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A borrowed cached statement; resets it (and clears its bindings) when it goes out of scope, so the
// next user starts clean and no read transaction is held open by a half-stepped statement.
class StatementRef {
 public:
  explicit StatementRef(Statement& statement, bool& in_use) : statement_(&statement), in_use_(&in_use) {}
  StatementRef(StatementRef&& other) noexcept
      : statement_(std::exchange(other.statement_, nullptr)), in_use_(other.in_use_) {}
  StatementRef& operator=(StatementRef&&) = delete;
  ~StatementRef() {
    if (statement_ != nullptr) {
      statement_->reset();
      *in_use_ = false;
    }
  }
  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
  bool* in_use_;
};

class Database {
 public:
  enum class Mode { read_write, read_only };

  // Opens (read_write: creating) the file and sets the busy timeout.
  static Result<Database> open(const std::string& path, Mode mode, int busy_timeout_ms);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  // Runs one or more statements without results (pragmas, migration scripts).
  Result<void> exec(std::string_view sql);
  // Prepares (cached) and runs one statement without results.
  Result<void> run(std::string_view sql);
  // The cached prepared statement for `sql`, prepared on first use. A statement is borrowed by one user
  // at a time; asking for one that is still borrowed (a nested use of the same SQL) is an internal error.
  Result<StatementRef> prepare(std::string_view sql);

  std::int64_t changes() const { return sqlite3_changes64(db_.get()); }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  // True when no transaction is open (e.g. SQLite rolled one back by itself after SQLITE_FULL).
  bool autocommit() const { return sqlite3_get_autocommit(db_.get()) != 0; }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct Cached {
    std::unique_ptr<Statement> statement;
    bool in_use = false;
  };
  explicit Database(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, Closer> db_;
  // Declared after db_ so statements are finalized before the handle is closed. Looked up by the SQL's view:
  // a statement run copies no string.
  StringKeyedMap<Cached> cache_;
};

// BEGIN [IMMEDIATE] … COMMIT; rolls back in the destructor unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db, bool immediate);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() { rollback(); }
  Result<void> commit();
  void rollback();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

// A named savepoint inside a transaction; rolled back (to its start) in the destructor unless released.
class Savepoint {
 public:
  static Result<Savepoint> begin(Database& db);
  Savepoint(Savepoint&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Savepoint& operator=(Savepoint&&) = delete;
  ~Savepoint() { rollback(); }
  Result<void> release();
  void rollback();

 private:
  explicit Savepoint(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace hookd::store::sqlite
