#pragma once
// The one RAII layer over libpq: a connection, a result, text parameters and error mapping.
// Every statement is sent with PQexecParams and its values as text parameters; no value is ever spliced
// into SQL text.
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace hookd::store::postgres {

// Positional text parameters ($1, $2, …); nullopt is SQL NULL. Times are bound as integer milliseconds,
// booleans as "t"/"f".
class Params {
 public:
  Params() = default;
  template <class... Values>
  explicit Params(const Values&... values) {
    (add(values), ...);
  }

  Params& add(std::string_view value) { return push(std::string(value)); }
  Params& add(const std::string& value) { return push(value); }
  Params& add(const char* value) { return push(std::string(value)); }
  Params& add(std::int64_t value) { return push(std::to_string(value)); }
  Params& add(int value) { return push(std::to_string(value)); }
  Params& add(bool value) { return push(std::string(value ? "t" : "f")); }
  Params& add(TimePoint value) { return push(std::to_string(to_millis(value))); }
  Params& add(std::nullopt_t) { return push(std::nullopt); }
  template <class T>
  Params& add(const std::optional<T>& value) {
    if (!value) return push(std::nullopt);
    return add(*value);
  }

  // The number the next parameter gets: "$" + next_index() in SQL built alongside.
  int next_index() const { return static_cast<int>(values_.size()) + 1; }
  int size() const { return static_cast<int>(values_.size()); }
  // Pointers for PQexecParams; valid until the next add().
  std::vector<const char*> pointers() const;

 private:
  Params& push(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    return *this;
  }
  std::vector<std::optional<std::string>> values_;
};

// A PostgreSQL array literal ({"a","b",NULL}) built element by element. Every element is quoted, so the
// literal reads as an array of any type whose text forms they are ($1::bigint[], $2::text[]).
class ArrayLiteral {
 public:
  void add(std::string_view value);
  void add(std::int64_t value) { add(std::string_view(std::to_string(value))); }
  void add(int value) { add(static_cast<std::int64_t>(value)); }
  void add(TimePoint value) { add(to_millis(value)); }
  void add_null() { separate() += "NULL"; }
  template <class T>
  void add(const std::optional<T>& value) {
    if (value)
      add(*value);
    else
      add_null();
  }
  std::string str() const { return text_ + '}'; }

 private:
  std::string& separate() { return text_ += text_.size() > 1 ? "," : ""; }
  std::string text_ = "{";
};

// A PostgreSQL array literal ({"a","b"}) for a text[] parameter.
std::string text_array(const std::vector<std::string>& values);

// One row of a result; columns are read from their text form.
class Row {
 public:
  Row(const PGresult* result, int row) : result_(result), row_(row) {}
  bool is_null(int col) const { return PQgetisnull(result_, row_, col) != 0; }
  std::string text(int col) const;
  std::optional<std::string> optional_text(int col) const;
  std::int64_t int64(int col) const;
  std::optional<std::int64_t> optional_int64(int col) const;
  int int32(int col) const { return static_cast<int>(int64(col)); }
  bool boolean(int col) const;  // BOOLEAN ("t") or an integer other than 0
  TimePoint time(int col) const { return from_millis(int64(col)); }
  std::optional<TimePoint> optional_time(int col) const;

 private:
  const PGresult* result_;
  int row_;
};

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  int rows() const { return PQntuples(result_.get()); }
  Row row(int i) const { return Row(result_.get(), i); }
  // Rows changed by INSERT/UPDATE/DELETE.
  std::int64_t affected() const;
  const PGresult* get() const { return result_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

class PgConnection {
 public:
  // `conninfo`: a libpq URL (postgres://…) or key=value string. Fails with unavailable/store_unavailable.
  static Result<PgConnection> connect(const std::string& conninfo);

  // One statement with parameters. Errors: 23505 (unique) -> conflict; connection loss and server
  // shutdown -> unavailable; anything else -> internal, each with the server's message as detail.
  Result<PgResult> exec(std::string_view sql, const Params& params = Params());
  // Several statements without parameters (migrations, BEGIN/COMMIT).
  Result<void> exec_script(std::string_view sql);

  // False once libpq lost the connection; the pool then drops it instead of reusing it.
  bool healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  // For the listener (PQsocket, PQnotifies); ownership stays here.
  PGconn* raw() const { return conn_.get(); }

 private:
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  Error error_of(const PGresult* result, std::string_view sql) const;
  // The name of `sql` prepared on this session, preparing it on first use; nullopt past kMaxPrepared
  // statements (the statement then runs unnamed, parsed and planned each time).
  Result<std::optional<std::string>> prepared_name(const std::string& sql, int params);

  // Statements built with varying text (list filters) are few, but a bound keeps a server session small
  // whatever a caller builds.
  static constexpr std::size_t kMaxPrepared = 256;
  std::unique_ptr<PGconn, Finish> conn_;
  std::unordered_map<std::string, std::string> prepared_;  // statement text -> its name on this session
};

// The error kind for a SQLSTATE; also used by tests.
Error pg_error(std::string_view sqlstate, std::string detail, bool connection_lost);

// True for errors after which running the whole transaction again may succeed (deadlock, serialization).
bool is_retryable(const Error& error);

}  // namespace hookd::store::postgres
