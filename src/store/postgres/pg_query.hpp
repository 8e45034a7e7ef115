#pragma once
// Dynamic queries for lists with optional filters, and the keyset pagination every list shares (the same
// rules as the SQLite store's QueryBuilder, with $n placeholders).
#include <algorithm>
#include <string>
#include <string_view>

#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace hookd::store::postgres {

class QueryBuilder {
 public:
  explicit QueryBuilder(std::string select_from) : sql_(std::move(select_from)) {}

  // Appends `condition` with AND; each "$?" in it becomes the next parameter, bound to `value`.
  template <class Value>
  QueryBuilder& where(std::string_view condition, const Value& value) {
    std::string placeholder = "$" + std::to_string(params_.next_index());
    params_.add(value);
    std::string text(condition);
    for (auto pos = text.find("$?"); pos != std::string::npos; pos = text.find("$?", pos)) {
      text.replace(pos, 2, placeholder);
    }
    return where(text);
  }
  QueryBuilder& where(std::string_view condition) {
    sql_ += has_where_ ? " AND " : " WHERE ";
    has_where_ = true;
    sql_ += condition;
    return *this;
  }

  // Keyset page on `column` (unique, the list's sort key): the condition past page.after_id, ORDER BY and
  // LIMIT page.limit + 1 (the extra row tells whether more exist). `list_ascending` is the list's own order.
  QueryBuilder& page(std::string_view column, bool list_ascending, const PageRequest& page) {
    walking_backwards_ = page.backwards && page.after_id.has_value();
    bool ascending = list_ascending != walking_backwards_;
    if (page.after_id) where(std::string(column) + (ascending ? " > $?" : " < $?"), *page.after_id);
    limit_ = std::max(page.limit, 1);
    sql_ += " ORDER BY " + std::string(column) + (ascending ? " ASC" : " DESC");
    sql_ += " LIMIT " + std::to_string(limit_ + 1);
    return *this;
  }

  template <class T, class Read>
  Result<Page<T>> run_page(PgConnection& conn, Read read) const {
    auto result = conn.exec(sql_, params_);
    if (!result) return std::unexpected(result.error());
    Page<T> out;
    for (int i = 0; i < result->rows(); ++i) out.items.push_back(read(result->row(i)));
    out.done = out.items.size() <= static_cast<std::size_t>(limit_);
    if (!out.done) out.items.resize(static_cast<std::size_t>(limit_));
    // A backwards walk reads nearest-first; the page is still returned in the list's own order.
    if (walking_backwards_) std::reverse(out.items.begin(), out.items.end());
    return out;
  }

 private:
  std::string sql_;
  Params params_;
  bool has_where_ = false;
  bool walking_backwards_ = false;
  int limit_ = 50;
};

}  // namespace hookd::store::postgres
