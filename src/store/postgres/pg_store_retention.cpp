// Retention (Store::prune) on PostgreSQL. One short transaction per call, on one node at a time (a
// transaction-level advisory try-lock: a node that does not get it skips the batch instead of waiting).
// Every row it changes is taken with FOR UPDATE SKIP LOCKED, so it never waits on a row another transaction
// holds, and claims and outcomes never wait on it: delivery goes on at full speed (docs/DESIGN.md).
#include <set>
#include <vector>

#include "store/postgres/pg_store_impl.hpp"
#include "store/retention_plan.hpp"

namespace hookd::store::postgres {
namespace {

// Messages past the cursor whose payload is not cleared yet, in id order, and whether a pending or sending
// delivery still needs each (deliveries_by_msg).
constexpr std::string_view kScanPayloads =
    "SELECT m.id, m.app_id, m.created_at, EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id "
    "AND d.status IN (0, 1)) FROM messages m WHERE m.id > $1 AND m.payload <> '{}' ORDER BY m.id LIMIT $2";

// The held check is repeated under the row lock: a resend may have made a delivery pending meanwhile.
constexpr std::string_view kClearPayloads =
    "UPDATE messages m SET payload = '{}' WHERE m.id IN (SELECT id FROM messages WHERE id = ANY ($1::text[]) "
    "FOR UPDATE SKIP LOCKED) AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id "
    "AND d.status IN (0, 1)) RETURNING m.id";

// Form bodies recorded on attempts carry the payload too; NULL reads as the (now empty) payload.
constexpr std::string_view kClearAttemptBodies =
    "UPDATE attempts a SET request_body = NULL FROM unnest($1::text[], $2::text[]) AS c(app_id, msg_id) "
    "WHERE a.app_id = c.app_id AND a.msg_id = c.msg_id AND a.request_body IS NOT NULL";

// The oldest attempts by id (ids follow time), deleted when older than the cutoff. Only the head of the
// table is read, so a batch costs the same however many attempts are kept.
constexpr std::string_view kDeleteAttempts =
    "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE id IN (SELECT h.id FROM (SELECT id, "
    "attempted_at FROM attempts ORDER BY id LIMIT $1) h WHERE h.attempted_at < $2) FOR UPDATE SKIP LOCKED)";

constexpr std::string_view kDeleteIdempotency =
    "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE expires_at <= $1 LIMIT $2 "
    "FOR UPDATE SKIP LOCKED)";

Result<int> clear_payloads(PgConnection& conn, TimePoint cutoff, int limit, bool& more) {
  auto cursor =
      query_one<std::string>(conn, "SELECT value FROM settings WHERE key = $1", Params(kPayloadCursorKey), "",
                             [](const Row& row) { return row.text(0); });
  if (!cursor && cursor.error().kind != ErrorKind::not_found) return std::unexpected(cursor.error());
  auto scanned = conn.exec(kScanPayloads, Params(cursor ? *cursor : std::string(), limit));
  if (!scanned) return std::unexpected(scanned.error());
  std::vector<PayloadScanRow> rows;
  for (int i = 0; i < scanned->rows(); ++i) {
    Row row = scanned->row(i);
    rows.push_back({row.text(0), row.text(1), row.time(2), row.boolean(3)});
  }
  std::vector<std::string> ids, app_ids, msg_ids;
  for (const PayloadScanRow* row : payload_rows_to_clear(rows, cutoff)) ids.push_back(row->id);
  std::set<std::string> cleared;
  if (!ids.empty()) {
    auto updated = conn.exec(kClearPayloads, Params(text_array(ids)));
    if (!updated) return std::unexpected(updated.error());
    for (int i = 0; i < updated->rows(); ++i) cleared.insert(updated->row(i).text(0));
    for (const auto& row : rows) {
      if (!cleared.contains(row.id)) continue;
      app_ids.push_back(row.app_id);
      msg_ids.push_back(row.id);
    }
    if (!msg_ids.empty()) {
      auto bodies = conn.exec(kClearAttemptBodies, Params(text_array(app_ids), text_array(msg_ids)));
      if (!bodies) return std::unexpected(bodies.error());
    }
  }
  if (auto next = payload_cursor_after(rows, cutoff, cleared)) {
    auto r = conn.exec(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = "
        "excluded.value",
        Params(kPayloadCursorKey, *next));
    if (!r) return std::unexpected(r.error());
  }
  // Full batch with every row old enough: there may be more right behind it.
  more = static_cast<int>(rows.size()) == limit && (rows.empty() || rows.back().created_at < cutoff);
  return static_cast<int>(cleared.size());
}

}  // namespace

Result<PruneResult> PgStore::prune(TimePoint now, const RetentionPolicy& policy, int batch_limit) {
  if (batch_limit <= 0) return PruneResult{};
  return write([&](WriteTx& tx) -> Result<PruneResult> {
    PruneResult result;  // built afresh: a transaction may be run again
    auto locked = tx.conn.exec("SELECT pg_try_advisory_xact_lock($1::bigint)", Params(kRetentionLockKey));
    if (!locked) return std::unexpected(locked.error());
    if (!locked->row(0).boolean(0)) {
      result.skipped = true;  // another node is pruning
      return result;
    }
    // Belt and braces: SKIP LOCKED means no row lock is waited for; nothing else should be either.
    if (auto r = tx.conn.exec_script("SET LOCAL lock_timeout = '2s'"); !r) return std::unexpected(r.error());
    if (policy.payload) {
      auto cleared = clear_payloads(tx.conn, now - *policy.payload, batch_limit, result.more);
      if (!cleared) return std::unexpected(cleared.error());
      result.payloads_cleared = *cleared;
    }
    if (policy.attempts) {
      auto deleted = execute(tx.conn, kDeleteAttempts, Params(batch_limit, now - *policy.attempts));
      if (!deleted) return std::unexpected(deleted.error());
      result.attempts_deleted = static_cast<int>(*deleted);
      result.more = result.more || *deleted == batch_limit;
    }
    auto expired = execute(tx.conn, kDeleteIdempotency, Params(now, batch_limit));
    if (!expired) return std::unexpected(expired.error());
    result.idempotency_deleted = static_cast<int>(*expired);
    result.more = result.more || *expired == batch_limit;
    return result;
  });
}

}  // namespace hookd::store::postgres
