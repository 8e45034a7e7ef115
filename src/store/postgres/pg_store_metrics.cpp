// Reads for /metrics that must stay cheap whatever the store holds: one indexed MIN over pending
// deliveries, and the endpoints table (small next to deliveries) for failing streaks.
#include <algorithm>

#include "store/postgres/pg_store_impl.hpp"

namespace hookd::store::postgres {

Result<std::optional<TimePoint>> PgStore::oldest_pending_due() {
  return read([&](PgConnection& conn) -> Result<std::optional<TimePoint>> {
    auto result = conn.exec("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 0");
    if (!result) return std::unexpected(result.error());
    return result->row(0).optional_time(0);
  });
}

Result<FailingEndpoints> PgStore::failing_endpoints(int limit) {
  return read([&](PgConnection& conn) -> Result<FailingEndpoints> {
    FailingEndpoints out;
    auto total = conn.exec("SELECT COUNT(*) FROM endpoints WHERE failing_since IS NOT NULL AND NOT disabled");
    if (!total) return std::unexpected(total.error());
    out.total = total->row(0).int64(0);
    auto rows = conn.exec(
        "SELECT app_id, id, failing_since FROM endpoints WHERE failing_since IS NOT NULL AND NOT disabled "
        "ORDER BY failing_since, id LIMIT $1",
        Params(static_cast<std::int64_t>(std::max(limit, 0))));
    if (!rows) return std::unexpected(rows.error());
    for (int i = 0; i < rows->rows(); ++i) {
      auto row = rows->row(i);
      out.oldest.push_back({row.text(0), row.text(1), row.time(2)});
    }
    return out;
  });
}

}  // namespace hookd::store::postgres
