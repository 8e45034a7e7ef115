#pragma once
// Dynamic queries for lists with optional filters, and keyset pagination shared by every list.
// Each distinct filter combination yields one SQL text, so the statement cache stays small.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"

namespace hookd::store::sqlite {

class QueryBuilder {
 public:
  explicit QueryBuilder(std::string select_from) : sql_(std::move(select_from)) {}

  // Appends `condition` with AND; its `?` placeholders take the values given, in order.
  template <class... Values>
  QueryBuilder& where(std::string_view condition, Values&&... values) {
    sql_ += has_where_ ? " AND " : " WHERE ";
    has_where_ = true;
    sql_ += condition;
    (binds_.push_back(BindValue(std::forward<Values>(values))), ...);
    return *this;
  }

  // Keyset page on `column` (unique, the list's sort key): the condition past page.after_id, ORDER BY and
  // LIMIT page.limit + 1 (the extra row tells whether more exist). `list_ascending` is the list's own order.
  QueryBuilder& page(std::string_view column, bool list_ascending, const PageRequest& page) {
    walking_backwards_ = page.backwards && page.after_id.has_value();
    bool ascending = list_ascending != walking_backwards_;
    if (page.after_id) where(std::string(column) + (ascending ? " > ?" : " < ?"), *page.after_id);
    limit_ = std::max(page.limit, 1);
    sql_ += " ORDER BY " + std::string(column) + (ascending ? " ASC" : " DESC");
    sql_ += " LIMIT " + std::to_string(limit_ + 1);
    return *this;
  }

  // Runs the query and reads each row with `read(statement)`.
  template <class T, class Read>
  Result<Page<T>> run_page(Database& db, Read read) const {
    auto statement = db.prepare(sql_);
    if (!statement) return std::unexpected(statement.error());
    for (std::size_t i = 0; i < binds_.size(); ++i) (*statement)->bind(static_cast<int>(i) + 1, binds_[i]);
    Page<T> out;
    while (true) {
      auto row = (*statement)->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.items.push_back(read(**statement));
    }
    out.done = out.items.size() <= static_cast<std::size_t>(limit_);
    if (!out.done) out.items.resize(static_cast<std::size_t>(limit_));
    // A backwards walk reads nearest-first; the page is still returned in the list's own order.
    if (walking_backwards_) std::reverse(out.items.begin(), out.items.end());
    return out;
  }

 private:
  std::string sql_;
  std::vector<BindValue> binds_;
  bool has_where_ = false;
  bool walking_backwards_ = false;
  int limit_ = 50;
};

}  // namespace hookd::store::sqlite
