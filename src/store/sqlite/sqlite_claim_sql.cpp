#include "store/sqlite/sqlite_claim_sql.hpp"

#include <fmt/format.h>

#include <string_view>

namespace hookd::store::sqlite::claim_sql {
namespace {

// Due rows are pending and due, or sending under a lease that ran out (the node that held it died). Each
// statement walks an index in its ORDER BY's order and stops at its limit instead of sorting every due row.
// FIFO endpoints: only the oldest unfinished delivery is eligible, and none while another one of the
// endpoint's deliveries is out under a live lease.
std::string select_due(std::string_view from, std::string_view where, std::string_view order_and_limit = "") {
  return fmt::format(
      "SELECT d.id, d.msg_id, d.endpoint_id, d.app_id, d.status, d.attempt_count, d.next_attempt_at, "
      "d.manual, "
      "m.id, m.app_id, m.event_id, m.event_type, m.payload, m.channels, m.created_at "
      "FROM {} JOIN messages m ON m.id = d.msg_id "
      "WHERE {} "
      "AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.fifo = 1 AND ("
      "  EXISTS (SELECT 1 FROM deliveries o INDEXED BY deliveries_pending "
      "          WHERE o.endpoint_id = d.endpoint_id AND o.status = 0 AND o.id < d.id) "
      "  OR EXISTS (SELECT 1 FROM deliveries o INDEXED BY deliveries_leased "
      "             WHERE o.endpoint_id = d.endpoint_id AND o.status = 1 "
      "             AND (o.id < d.id OR (o.id <> d.id AND o.lease_until >= ?1))))) "
      "{}",
      from, where, order_and_limit);
}

// Read from the index alone. A filter over the whole queue would walk every due row of a skipped endpoint
// before reaching anyone else's: with 1,000,000 rows behind one endpoint at its limit, every claim did, and
// the drain fell to 175 deliveries/s.
const std::string kDueHeadIds =
    "(SELECT id FROM deliveries WHERE status = 0 AND next_attempt_at <= ?1 "
    " ORDER BY next_attempt_at, id LIMIT ?2)";

}  // namespace

// No ORDER BY: the head is materialized in due order and read in that order, and the claim sorts what it
// takes. An ORDER BY here sorted in a temporary B-tree, so every row of the head was joined to its message
// and copied (payload included) before the first came back, though the claim needs only `limit` of them:
// 128 rows read for 52 taken.
const std::string kDueHead = select_due(kDueHeadIds + " h JOIN deliveries d ON d.id = h.id",
                                        "d.endpoint_id NOT IN (SELECT value FROM json_each(?3))");
const std::string kCountDueHead = "SELECT COUNT(*) FROM " + kDueHeadIds;
// A skip-scan by hand: SQLite skips through an index only with statistics (ANALYZE), which this store does
// not keep.
const std::string kNextEndpointWithPending =
    "SELECT endpoint_id FROM deliveries INDEXED BY deliveries_pending "
    "WHERE status = 0 AND endpoint_id > ?1 ORDER BY endpoint_id LIMIT 1";
// INDEXED BY: left to itself, the planner took the due-time index (status, next_attempt_at) for this one,
// and each endpoint's claim walked every due row of every endpoint: with a stuck endpoint's backlog at the
// head of the queue, that was every claim, and the writer thread ran at 88 % for 1,000 deliveries/s. The
// index of each endpoint's pending rows is walked in id order; its rows not yet due (retries waiting) are
// read and passed.
const std::string kDueForEndpoint =
    select_due("deliveries d INDEXED BY deliveries_pending",
               "d.endpoint_id = ?2 AND d.status = 0 AND d.next_attempt_at <= ?1", "ORDER BY d.id LIMIT ?3");
const std::string kLeaseExpired = select_due(
    "deliveries d",
    "d.status = 1 AND d.lease_until < ?1 AND d.endpoint_id NOT IN (SELECT value FROM json_each(?2))",
    "ORDER BY d.next_attempt_at, d.id LIMIT ?3");
// The sending rows' own index (partial, status = 1), read alone and already in endpoint order: as many
// entries as deliveries are out, no table row and no sort.
const std::string kBusyEndpoints =
    "SELECT endpoint_id, COUNT(*) FROM deliveries INDEXED BY deliveries_leased "
    "WHERE status = 1 AND lease_until >= ?1 GROUP BY endpoint_id";

// /metrics reads this on every scrape. A GROUP BY status stepped through every row of the store, succeeded
// ones included (10 million instructions a scrape with 20,000 deliveries stored, so seconds at 10 million).
// A bare COUNT(*) is answered by counting B-tree cells page by page, and the other three read partial
// indexes that hold only those rows (deliveries_claim, deliveries_leased, deliveries_failed).
const std::string kQueueDepth =
    "SELECT (SELECT COUNT(*) FROM deliveries), (SELECT COUNT(*) FROM deliveries WHERE status = 0), "
    "(SELECT COUNT(*) FROM deliveries WHERE status = 1), (SELECT COUNT(*) FROM deliveries WHERE status = 3)";

}  // namespace hookd::store::sqlite::claim_sql
