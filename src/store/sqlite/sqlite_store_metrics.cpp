// Reads for /metrics that must stay cheap whatever the store holds: one indexed MIN over pending
// deliveries, and the endpoints table (small next to deliveries) for failing streaks.
#include <algorithm>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace hookd::store::sqlite {

Result<std::optional<TimePoint>> SqliteStore::oldest_pending_due() {
  return read([&](Database& db) -> Result<std::optional<TimePoint>> {
    // MIN on the leading columns of deliveries_claim (pending rows by due time): one index seek.
    return query_one<std::optional<TimePoint>>(db,
                                               "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 0",
                                               "", [](const Statement& row) { return row.optional_time(0); });
  });
}

Result<FailingEndpoints> SqliteStore::failing_endpoints(int limit) {
  return read([&](Database& db) -> Result<FailingEndpoints> {
    FailingEndpoints out;
    auto total = query_one<std::int64_t>(
        db, "SELECT COUNT(*) FROM endpoints WHERE failing_since IS NOT NULL AND disabled = 0", "",
        [](const Statement& row) { return row.int64(0); });
    if (!total) return std::unexpected(total.error());
    out.total = *total;
    auto rows = for_each_row(
        db,
        "SELECT app_id, id, failing_since FROM endpoints WHERE failing_since IS NOT NULL AND disabled = 0 "
        "ORDER BY failing_since, id LIMIT ?",
        [&](const Statement& row) {
          out.oldest.push_back({row.text(0), row.text(1), row.time(2)});
        },
        std::max(limit, 0));
    if (!rows) return std::unexpected(rows.error());
    return out;
  });
}

}  // namespace hookd::store::sqlite
