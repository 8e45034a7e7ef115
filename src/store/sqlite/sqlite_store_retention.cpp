// Retention (Store::prune) on SQLite. Each call is one small job of the group-commit writer: it runs between
// the ingest and delivery jobs, holds the write lock for a few milliseconds, and the caller pauses between
// calls, so a large backlog of expired data never starves ingest or delivery (docs/DESIGN.md, Retention).
#include <set>
#include <vector>

#include "store/retention_plan.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace hookd::store::sqlite {
namespace {

// Messages past the cursor whose payload is not cleared yet, in id order, and whether a pending or sending
// delivery still needs each (deliveries_by_msg).
constexpr std::string_view kScanPayloads =
    "SELECT m.id, m.app_id, m.created_at, EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_id = m.id "
    "AND d.status IN (0, 1)) FROM messages m WHERE m.id > ? AND m.payload <> '{}' ORDER BY m.id LIMIT ?";

Result<int> clear_payloads(Database& db, TimePoint cutoff, int limit, bool& more) {
  auto cursor = query_one<std::string>(
      db, "SELECT value FROM settings WHERE key = ?", "", [](const Statement& row) { return row.text(0); },
      kPayloadCursorKey);
  if (!cursor && cursor.error().kind != ErrorKind::not_found) return std::unexpected(cursor.error());
  std::vector<PayloadScanRow> rows;
  auto scanned = for_each_row(
      db, kScanPayloads,
      [&](const Statement& row) {
        rows.push_back({row.text(0), row.text(1), row.time(2), row.boolean(3)});
      },
      cursor ? *cursor : std::string(), limit);
  if (!scanned) return std::unexpected(scanned.error());
  std::set<std::string> cleared;
  for (const PayloadScanRow* row : payload_rows_to_clear(rows, cutoff)) {
    if (auto r = execute(db, "UPDATE messages SET payload = '{}' WHERE id = ?", row->id); !r)
      return std::unexpected(r.error());
    // Form bodies recorded on attempts carry the payload too; NULL reads as the (now empty) payload.
    if (auto r = execute(db,
                         "UPDATE attempts SET request_body = NULL WHERE app_id = ? AND msg_id = ? "
                         "AND request_body IS NOT NULL",
                         row->app_id, row->id);
        !r) {
      return std::unexpected(r.error());
    }
    cleared.insert(row->id);
  }
  if (auto next = payload_cursor_after(rows, cutoff, cleared)) {
    if (auto r = execute(db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", kPayloadCursorKey,
                         *next);
        !r) {
      return std::unexpected(r.error());
    }
  }
  // Full batch with every row old enough: there may be more right behind it.
  more = static_cast<int>(rows.size()) == limit && (rows.empty() || rows.back().created_at < cutoff);
  return static_cast<int>(cleared.size());
}

// The oldest attempts by id (ids follow time), deleted when older than the cutoff. Only the head of the
// table is read, so a batch costs the same however many attempts are kept.
Result<int> delete_attempts(Database& db, TimePoint cutoff, int limit, bool& more) {
  auto deleted = execute(db,
                         "DELETE FROM attempts WHERE id IN (SELECT id FROM (SELECT id, attempted_at FROM "
                         "attempts ORDER BY id LIMIT ?) WHERE attempted_at < ?)",
                         limit, cutoff);
  if (!deleted) return std::unexpected(deleted.error());
  more = more || *deleted == limit;
  return static_cast<int>(*deleted);
}

Result<int> delete_idempotency(Database& db, TimePoint now, int limit, bool& more) {
  auto deleted = execute(
      db, "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE expires_at <= ? LIMIT ?)",
      now, limit);
  if (!deleted) return std::unexpected(deleted.error());
  more = more || *deleted == limit;
  return static_cast<int>(*deleted);
}

}  // namespace

Result<PruneResult> SqliteStore::prune(TimePoint now, const RetentionPolicy& policy, int batch_limit) {
  if (batch_limit <= 0) return PruneResult{};
  return write([&](WriteTx& tx) -> Result<PruneResult> {
    PruneResult result;  // built afresh: a job may run twice (the writer re-runs a rolled-back group)
    if (policy.payload) {
      auto cleared = clear_payloads(tx.db, now - *policy.payload, batch_limit, result.more);
      if (!cleared) return std::unexpected(cleared.error());
      result.payloads_cleared = *cleared;
    }
    if (policy.attempts) {
      auto deleted = delete_attempts(tx.db, now - *policy.attempts, batch_limit, result.more);
      if (!deleted) return std::unexpected(deleted.error());
      result.attempts_deleted = *deleted;
    }
    auto expired = delete_idempotency(tx.db, now, batch_limit, result.more);
    if (!expired) return std::unexpected(expired.error());
    result.idempotency_deleted = *expired;
    return result;
  });
}

}  // namespace hookd::store::sqlite
