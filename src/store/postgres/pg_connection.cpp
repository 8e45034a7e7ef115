#include "store/postgres/pg_connection.hpp"

#include <fmt/format.h>

#include <charconv>

namespace hookd::store::postgres {

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

void ArrayLiteral::add(std::string_view value) {
  std::string& out = separate();
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string text_array(const std::vector<std::string>& values) {
  ArrayLiteral array;
  for (const auto& value : values) array.add(std::string_view(value));
  return array.str();
}

std::string Row::text(int col) const {
  return std::string(PQgetvalue(result_, row_, col),
                     static_cast<std::size_t>(PQgetlength(result_, row_, col)));
}

std::optional<std::string> Row::optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::int64_t Row::int64(int col) const {
  const char* begin = PQgetvalue(result_, row_, col);
  const char* end = begin + PQgetlength(result_, row_, col);
  std::int64_t value = 0;
  std::from_chars(begin, end, value);  // NULL and non-numbers read as 0, like sqlite3_column_int64
  return value;
}

std::optional<std::int64_t> Row::optional_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

bool Row::boolean(int col) const {
  if (is_null(col)) return false;
  std::string_view v(PQgetvalue(result_, row_, col));
  return v == "t" || v == "true" || (!v.empty() && v != "f" && v != "false" && v != "0");
}

std::optional<TimePoint> Row::optional_time(int col) const {
  if (is_null(col)) return std::nullopt;
  return time(col);
}

std::int64_t PgResult::affected() const {
  std::string_view tuples(PQcmdTuples(result_.get()));
  std::int64_t value = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), value);
  return value;
}

Error pg_error(std::string_view sqlstate, std::string detail, bool connection_lost) {
  // Class 08: connection exceptions; 57P0x: the server is shutting down or restarting; 53xxx: out of
  // resources (disk full, too many connections). All are worth a retry later: 503, not 500.
  if (connection_lost || sqlstate.starts_with("08") || sqlstate.starts_with("57P") ||
      sqlstate.starts_with("53")) {
    return Error{ErrorKind::unavailable, "store_unavailable", std::move(detail), {}};
  }
  if (sqlstate == "23505") return Error{ErrorKind::conflict, "conflict", std::move(detail), {}};
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Error{ErrorKind::unavailable, "store_busy", std::move(detail), {}};
  }
  return Error{ErrorKind::internal, "store_error", std::move(detail), {}};
}

bool is_retryable(const Error& error) {
  return error.kind == ErrorKind::unavailable && error.code == "store_busy";
}

Result<PgConnection> PgConnection::connect(const std::string& conninfo) {
  // connect_timeout first, so a value in the URL itself wins: a server that does not answer makes
  // connect() fail after 10 s instead of blocking a caller (or the listener's shutdown) indefinitely.
  const char* keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"10", conninfo.c_str(), nullptr};
  PgConnection conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn.conn_) return fail(ErrorKind::unavailable, "store_unavailable", "libpq: out of memory");
  if (PQstatus(conn.conn_.get()) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn.conn_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return fail(ErrorKind::unavailable, "store_unavailable",
                fmt::format("cannot connect to PostgreSQL: {}", message));
  }
  // Server notices ("relation … already exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      conn.conn_.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

Error PgConnection::error_of(const PGresult* result, std::string_view sql) const {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message =
      result != nullptr ? PQresultErrorMessage(result) : std::string(PQerrorMessage(conn_.get()));
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
  std::string_view head = sql.substr(0, 60);
  return pg_error(state != nullptr ? state : "", fmt::format("{} (in: {}…)", message, head), lost);
}

// Every statement hookd runs often is the same text each time (values go in parameters), and PostgreSQL
// spent more of a message create parsing and planning its statements than running them: a statement is
// prepared once per session and then executed by name (PostgreSQL still re-plans it when a table it reads
// changes). Unnamed Parse/Bind costs the same round trips, so nothing is lost on a statement run once.
Result<std::optional<std::string>> PgConnection::prepared_name(const std::string& sql, int params) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  if (prepared_.size() >= kMaxPrepared) return std::nullopt;
  std::string name = fmt::format("hookd_{}", prepared_.size());
  PgResult prepared(PQprepare(conn_.get(), name.c_str(), sql.c_str(), params, nullptr));
  if (prepared.get() == nullptr) return std::unexpected(error_of(nullptr, sql));
  if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK)
    return std::unexpected(error_of(prepared.get(), sql));
  return prepared_.emplace(sql, std::move(name)).first->second;
}

Result<PgResult> PgConnection::exec(std::string_view sql, const Params& params) {
  std::string text(sql);
  auto values = params.pointers();
  auto name = prepared_name(text, params.size());
  if (!name) return std::unexpected(name.error());
  PgResult result(*name ? PQexecPrepared(conn_.get(), (*name)->c_str(), params.size(), values.data(), nullptr,
                                         nullptr, /*resultFormat=text*/ 0)
                        : PQexecParams(conn_.get(), text.c_str(), params.size(), nullptr, values.data(),
                                       nullptr, nullptr, /*resultFormat=text*/ 0));
  // A null result means out of memory or a lost connection; PQerrorMessage then says which.
  if (result.get() == nullptr) return std::unexpected(error_of(nullptr, sql));
  auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(error_of(result.get(), sql));
  }
  return result;
}

Result<void> PgConnection::exec_script(std::string_view sql) {
  std::string text(sql);
  PgResult result(PQexec(conn_.get(), text.c_str()));
  if (result.get() == nullptr) return std::unexpected(error_of(nullptr, sql));
  auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(error_of(result.get(), sql));
  }
  return {};
}

}  // namespace hookd::store::postgres
