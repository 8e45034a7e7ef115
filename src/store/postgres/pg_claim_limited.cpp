// claim_due with a per-endpoint limit that holds across nodes (ClaimOptions::per_endpoint_limit).
//
// Counting an endpoint's deliveries out under live leases is only exact if no other node claims rows of
// that endpoint between our count and our commit. So a claim first takes, without waiting, a
// transaction-level advisory lock per endpoint it wants rows of (pg_try_advisory_xact_lock): an endpoint
// another node is claiming for right now is left to that node, like SKIP LOCKED leaves its rows. The
// count runs in a later statement, whose snapshot is taken after the lock was granted, so it sees every
// claim committed before (a lock is released only after its transaction's commit is visible).
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "store/postgres/pg_store_impl.hpp"
#include "store/row_mapping.hpp"

namespace hookd::store::postgres {
namespace {

// The first key of the per-endpoint advisory locks (the second is hashtext(endpoint id); two endpoints
// sharing a hash merely share a lock).
constexpr int kEndpointLockClass = 726183742;

// FIFO endpoints: only the oldest unfinished delivery, and none while another is out under a live lease.
constexpr std::string_view kFifoCondition =
    "NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.fifo AND ("
    " EXISTS (SELECT 1 FROM deliveries o WHERE o.endpoint_id = d.endpoint_id AND o.status IN (0, 1)"
    "         AND o.id < d.id)"
    " OR EXISTS (SELECT 1 FROM deliveries o WHERE o.endpoint_id = d.endpoint_id AND o.status = 1"
    "            AND o.id <> d.id AND o.lease_until >= $1)))";

// Step 1: the endpoints of the first due rows (endpoints already at the limit on any node left out, so a
// busy endpoint's backlog cannot crowd out the others), those this transaction could lock.
// $1 now, $2 endpoint ids to skip, $3 limit, $4 per-endpoint limit, $5 lock class.
const std::string kLockEndpoints = fmt::format(
    "WITH full_endpoints AS (SELECT endpoint_id FROM deliveries WHERE status = 1 AND lease_until >= $1 "
    " GROUP BY endpoint_id HAVING COUNT(*) >= $4), "
    "candidates AS ("
    " (SELECT d.endpoint_id FROM deliveries d WHERE d.status = 1 AND d.lease_until < $1"
    "  AND d.endpoint_id <> ALL ($2::text[]) AND d.endpoint_id NOT IN (SELECT endpoint_id FROM "
    "full_endpoints)"
    "  AND {0} ORDER BY d.lease_until LIMIT $3)"
    " UNION ALL"
    " (SELECT d.endpoint_id FROM deliveries d WHERE d.status = 0 AND d.next_attempt_at <= $1"
    "  AND d.endpoint_id <> ALL ($2::text[]) AND d.endpoint_id NOT IN (SELECT endpoint_id FROM "
    "full_endpoints)"
    "  AND {0} ORDER BY d.next_attempt_at, d.id LIMIT $3)) "
    "SELECT c.endpoint_id FROM (SELECT DISTINCT endpoint_id FROM candidates) c "
    "WHERE pg_try_advisory_xact_lock($5::int, hashtext(c.endpoint_id))",
    kFifoCondition);

// Step 2, once per kind of due row: for each locked endpoint, its oldest due rows up to what the limit
// leaves (limit minus rows out under live leases, on every node, this transaction's claims included).
// $1 now, $2 locked endpoint ids, $3 limit, $4 lease_until, $5 owner, $6 per-endpoint limit.
std::string claim_sql(std::string_view status_condition) {
  return fmt::format(
      "WITH due AS ("
      " SELECT s.id FROM ("
      "  SELECT x.id, x.next_attempt_at, b.busy,"
      "   row_number() OVER (PARTITION BY ep.id ORDER BY x.id) AS n"
      "  FROM unnest($2::text[]) AS ep(id)"
      "  CROSS JOIN LATERAL (SELECT COUNT(*) AS busy FROM deliveries o WHERE o.endpoint_id = ep.id"
      "   AND o.status = 1 AND o.lease_until >= $1) b"
      "  CROSS JOIN LATERAL (SELECT d.id, d.next_attempt_at FROM deliveries d"
      "   WHERE d.endpoint_id = ep.id AND {} AND {} ORDER BY d.id LIMIT $6 FOR UPDATE OF d SKIP LOCKED) x"
      " ) s WHERE s.n + s.busy <= $6 ORDER BY s.next_attempt_at, s.id LIMIT $3) "
      "UPDATE deliveries d SET status = 1, lease_until = $4, lease_owner = $5 "
      "FROM due, messages m WHERE d.id = due.id AND m.id = d.msg_id "
      "RETURNING d.id, d.msg_id, d.endpoint_id, d.app_id, d.status, d.attempt_count, d.next_attempt_at, "
      "d.manual, m.id, m.app_id, m.event_id, m.event_type, m.payload, m.channels, m.created_at",
      status_condition, kFifoCondition);
}
// Expired leases first: the work of a dead node should not wait behind new work.
const std::string kClaimLeaseExpired = claim_sql("d.status = 1 AND d.lease_until < $1");
const std::string kClaimPending = claim_sql("d.status = 0 AND d.next_attempt_at <= $1");

}  // namespace

Result<std::vector<ClaimedDelivery>> claim_due_limited(PgConnection& conn, TimePoint now,
                                                       const ClaimOptions& options) {
  auto locked = conn.exec(kLockEndpoints, Params(now, text_array(options.skip_endpoint_ids), options.limit,
                                                 options.per_endpoint_limit, kEndpointLockClass));
  if (!locked) return std::unexpected(locked.error());
  std::vector<std::string> endpoints;
  for (int i = 0; i < locked->rows(); ++i) endpoints.push_back(locked->row(i).text(0));
  if (endpoints.empty()) return std::vector<ClaimedDelivery>{};
  const std::string endpoint_array = text_array(endpoints);
  return claim_expired_then_pending(
      kClaimLeaseExpired, kClaimPending, options.limit, [&](const std::string& sql, int room) {
        return conn.exec(sql, Params(now, endpoint_array, room, now + options.lease, options.owner,
                                     options.per_endpoint_limit));
      });
}

}  // namespace hookd::store::postgres
