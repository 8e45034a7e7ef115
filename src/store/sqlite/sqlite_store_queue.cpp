// The delivery queue: claims under a lease, outcomes, manual resends and recovery.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "store/row_mapping.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace hookd::store::sqlite {
namespace {

// Due rows are pending and due, or sending under a lease that ran out (the node that held it died). Each
// statement walks an index in its ORDER BY's order and stops at its limit instead of sorting every due row.
// FIFO endpoints: only the oldest unfinished delivery is eligible, and none while another one of the
// endpoint's deliveries is out under a live lease.
std::string select_due(std::string_view from, std::string_view where, std::string_view order_and_limit) {
  return fmt::format(
      "SELECT d.id, d.msg_id, d.endpoint_id, d.app_id, d.status, d.attempt_count, d.next_attempt_at, "
      "d.manual, "
      "m.id, m.app_id, m.event_id, m.event_type, m.payload, m.channels, m.created_at "
      "FROM {} JOIN messages m ON m.id = d.msg_id "
      "WHERE {} "
      "AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.fifo = 1 AND ("
      "  EXISTS (SELECT 1 FROM deliveries o WHERE o.endpoint_id = d.endpoint_id AND o.status IN (0, 1) "
      "          AND o.id < d.id) "
      "  OR EXISTS (SELECT 1 FROM deliveries o WHERE o.endpoint_id = d.endpoint_id AND o.status = 1 "
      "             AND o.id <> d.id AND o.lease_until >= ?1))) "
      "ORDER BY {}",
      from, where, order_and_limit);
}
// The head of the queue: at most ?2 due rows, read from the index alone; rows of skipped endpoints (?3) are
// dropped before their message is read. A filter over the whole queue would walk every due row of a skipped
// endpoint before reaching anyone else's: with 1,000,000 rows behind one endpoint at its limit, every claim
// did, and the drain fell to 175 deliveries/s.
const std::string kDueHeadIds =
    "(SELECT id FROM deliveries WHERE status = 0 AND next_attempt_at <= ?1 "
    " ORDER BY next_attempt_at, id LIMIT ?2)";
const std::string kSelectDueHead =
    select_due(kDueHeadIds + " h JOIN deliveries d ON d.id = h.id",
               "d.endpoint_id NOT IN (SELECT value FROM json_each(?3))", "d.next_attempt_at, d.id");
// Whether the head above was cut at ?2 rows (more due rows wait behind it).
const std::string kCountDueHead = "SELECT COUNT(*) FROM " + kDueHeadIds;
// One endpoint's due rows, oldest first (the deliveries_by_endpoint index): used when the head is all held
// by endpoints at their limit, so that the others are not starved behind them.
const std::string kSelectDueForEndpoint = select_due(
    "deliveries d", "d.endpoint_id = ?2 AND d.status = 0 AND d.next_attempt_at <= ?1", "d.id LIMIT ?3");
const std::string kSelectLeaseExpired = select_due(
    "deliveries d",
    "d.status = 1 AND d.lease_until < ?1 AND d.endpoint_id NOT IN (SELECT value FROM json_each(?2))",
    "d.next_attempt_at, d.id LIMIT ?3");

Result<std::string> resolve_endpoint_id(Database& db, std::string_view app_id, std::string_view id_or_uid) {
  return query_one<std::string>(
      db,
      "SELECT id FROM endpoints WHERE app_id = ?1 AND (id = ?2 OR uid = ?2) ORDER BY id = ?2 DESC LIMIT 1",
      "endpoint not found", [](const Statement& row) { return row.text(0); }, app_id, id_or_uid);
}

// Deliveries out under a live lease, by endpoint (the limit counts them).
Result<std::map<std::string, int>> count_busy_endpoints(Database& db, TimePoint now) {
  auto statement = db.prepare(
      "SELECT endpoint_id, COUNT(*) FROM deliveries WHERE status = 1 AND lease_until >= ? "
      "GROUP BY endpoint_id");
  if (!statement) return std::unexpected(statement.error());
  (*statement)->bind_all(now);
  std::map<std::string, int> busy;
  while (true) {
    auto row = (*statement)->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    busy[(*statement)->text(0)] = static_cast<int>((*statement)->int64(1));
  }
  return busy;
}

Result<void> check(const Result<std::int64_t>& r) {
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace

// A claim is written without waiting for an fsync (Durability::volatile_ok): if it is lost in a power cut
// the deliveries are pending again and are sent again, which is what happens to a claim that survived a
// crash anyway (release_leases at start). At-least-once either way; see docs/DESIGN.md.
Result<std::vector<ClaimedDelivery>> SqliteStore::claim_due(TimePoint now, const ClaimOptions& options) {
  if (options.limit <= 0) return std::vector<ClaimedDelivery>{};
  auto result = write(
      [&](WriteTx& tx) -> Result<std::vector<ClaimedDelivery>> {
        std::vector<ClaimedDelivery> claimed;
        std::vector<std::string> skip_ids = options.skip_endpoint_ids;
        std::map<std::string, int> busy;  // per endpoint: deliveries out under a live lease
        if (options.per_endpoint_limit > 0) {
          auto counts = count_busy_endpoints(tx.db, now);
          if (!counts) return std::unexpected(counts.error());
          busy = std::move(*counts);
          for (const auto& [id, n] : busy)
            if (n >= options.per_endpoint_limit) skip_ids.push_back(id);
        }
        const bool first_scan = !lease_scans_started();
        const bool scan_leases = lease_scan_due(now);
        if (first_scan) {
          // Leases left by an earlier run of this store: the earliest one still live is the next to end.
          auto earliest = query_one<std::optional<TimePoint>>(
              tx.db, "SELECT MIN(lease_until) FROM deliveries WHERE status = 1 AND lease_until >= ?", "",
              [](const Statement& row) { return row.optional_time(0); }, now);
          if (!earliest) return std::unexpected(earliest.error());
          if (*earliest) lease_granted(**earliest);
        }
        const std::set<std::string> skipped(skip_ids.begin(), skip_ids.end());
        std::set<std::int64_t> taken;
        // Takes the statement's current row unless its endpoint is skipped or full (or, `capped`, the claim
        // is full); the payload is copied only for rows taken.
        auto take_row = [&](Statement& row, bool capped) {
          if (capped && claimed.size() >= static_cast<std::size_t>(options.limit)) return;
          const std::string endpoint_id = row.text(2);
          if (skipped.contains(endpoint_id)) return;
          int& out = busy[endpoint_id];
          if (options.per_endpoint_limit > 0 && out >= options.per_endpoint_limit) return;
          if (!taken.insert(row.int64(0)).second) return;
          claimed.push_back(ClaimedDelivery{read_delivery(row, 0), read_message(row, 8)});
          ++out;
        };
        auto walk = [&](const std::string& sql, auto... args) -> Result<int> {
          auto statement = tx.db.prepare(sql);
          if (!statement) return std::unexpected(statement.error());
          (*statement)->bind_all(args...);
          int rows = 0;
          while (true) {
            auto row = (*statement)->step();
            if (!row) return std::unexpected(row.error());
            if (!*row) return rows;
            ++rows;
            take_row(**statement, /*capped=*/true);
          }
        };
        const int budget = std::max(2 * options.limit, 128);
        const std::string skip_list = encode_list(skip_ids);
        auto head = walk(kSelectDueHead, now, budget, skip_list);
        if (!head) return std::unexpected(head.error());
        bool head_cut = false;
        if (claimed.size() < static_cast<std::size_t>(options.limit)) {
          auto due = query_one<std::int64_t>(
              tx.db, kCountDueHead, "", [](const Statement& row) { return row.int64(0); }, now, budget);
          if (!due) return std::unexpected(due.error());
          head_cut = *due == budget;
        }
        if (head_cut) {
          // The head of the queue is held by endpoints that are skipped or full: ask every other endpoint
          // for its own due rows (one index seek each).
          std::vector<std::string> endpoint_ids;
          auto all = tx.db.prepare("SELECT id FROM endpoints ORDER BY id");
          if (!all) return std::unexpected(all.error());
          while (true) {
            auto row = (*all)->step();
            if (!row) return std::unexpected(row.error());
            if (!*row) break;
            endpoint_ids.push_back((*all)->text(0));
          }
          for (const auto& id : endpoint_ids) {
            if (claimed.size() >= static_cast<std::size_t>(options.limit)) break;
            if (skipped.contains(id)) continue;
            int room = options.limit - static_cast<int>(claimed.size());
            if (options.per_endpoint_limit > 0) room = std::min(room, options.per_endpoint_limit - busy[id]);
            if (room <= 0) continue;
            auto rows = walk(kSelectDueForEndpoint, now, id, room + options.limit);
            if (!rows) return std::unexpected(rows.error());
          }
        }
        if (scan_leases) {
          auto statement = tx.db.prepare(kSelectLeaseExpired);
          if (!statement) return std::unexpected(statement.error());
          (*statement)->bind_all(now, skip_list, options.limit);
          while (true) {
            auto row = (*statement)->step();
            if (!row) return std::unexpected(row.error());
            if (!*row) break;
            // Expired leases found: scan again at the next claim, whether or not this one takes them all.
            lease_granted(now);
            take_row(**statement, /*capped=*/false);  // expired rows compete by due time (sort below)
          }
        }  // both SELECTs are finished before their rows are updated
        sort_oldest_due_first(claimed);
        if (claimed.size() > static_cast<std::size_t>(options.limit))
          claimed.resize(static_cast<std::size_t>(options.limit));
        const TimePoint lease_until = now + options.lease;
        if (!claimed.empty()) lease_granted(lease_until);
        for (auto& c : claimed) {
          auto updated = execute(
              tx.db, "UPDATE deliveries SET status = 1, lease_until = ?, lease_owner = ? WHERE id = ?",
              lease_until, options.owner, c.delivery.id);
          if (!updated) return std::unexpected(updated.error());
          c.delivery.status = DeliveryStatus::sending;
        }
        return claimed;
      },
      Durability::volatile_ok);
  if (!result) forget_lease_scans();
  return result;
}

// Due when a known lease has ended (its row is then claimable: lease_until < now), on the first claim, and
// whenever the clock went back (rewind_schedule moves leases).
bool SqliteStore::lease_scan_due(TimePoint now) {
  std::lock_guard lock(lease_mutex_);
  bool due = !leases_scanned_ || now < last_lease_scan_ || (!lease_ends_.empty() && lease_ends_.top() < now);
  if (!due) return false;
  while (!lease_ends_.empty() && lease_ends_.top() < now) lease_ends_.pop();  // this scan finds those
  last_lease_scan_ = now;
  leases_scanned_ = true;
  return true;
}

Result<void> SqliteStore::record_outcomes(std::span<const AttemptOutcome> outcomes) {
  auto recorded = record_outcomes_uncached(outcomes);
  if (std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.disable_endpoint; }))
    config_.invalidate();  // an endpoint was disabled: fan-out must stop choosing it
  return recorded;
}

Result<void> SqliteStore::record_outcomes_uncached(std::span<const AttemptOutcome> outcomes) {
  return write([&](WriteTx& tx) -> Result<void> {
    for (const auto& o : outcomes) {
      const Attempt& a = o.attempt;
      auto updated = execute(tx.db,
                             "UPDATE deliveries SET status = ?, attempt_count = attempt_count + ?, "
                             "next_attempt_at = COALESCE(?, next_attempt_at), lease_until = NULL, "
                             "lease_owner = NULL WHERE id = ?",
                             static_cast<int>(o.next_status), a.trigger == TriggerType::scheduled ? 1 : 0,
                             o.next_attempt_at, o.delivery_id);
      if (!updated) return std::unexpected(updated.error());
      if (*updated == 0) continue;  // its endpoint or application was deleted meanwhile: nothing to log
      auto inserted = execute(
          tx.db,
          fmt::format("INSERT INTO attempts ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kAttemptColumns),
          a.id, a.msg_id, a.endpoint_id, a.app_id, a.url, a.timestamp, static_cast<int>(a.status),
          a.response_status_code, a.response_body, a.response_headers_json, a.request_headers_json,
          a.request_body, a.duration_ms, to_string(a.error), a.error_detail, static_cast<int>(a.trigger));
      if (auto r = check(inserted); !r) return r;
      if (o.endpoint_succeeded) {
        if (auto r = check(execute(
                tx.db, "UPDATE endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL",
                a.endpoint_id));
            !r) {
          return r;
        }
      } else if (a.status != AttemptStatus::success) {
        if (auto r = check(
                execute(tx.db, "UPDATE endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?",
                        a.timestamp, a.endpoint_id));
            !r) {
          return r;
        }
      }
      if (o.disable_endpoint) {
        if (auto r = check(execute(tx.db, "UPDATE endpoints SET disabled = 1 WHERE id = ?", a.endpoint_id));
            !r) {
          return r;
        }
      }
    }
    return {};
  });
}

Result<std::optional<TimePoint>> SqliteStore::next_due_time() {
  return read([&](Database& db) -> Result<std::optional<TimePoint>> {
    // Besides pending rows, a sending row becomes claimable again just after its lease runs out.
    return query_one<std::optional<TimePoint>>(
        db,
        "SELECT MIN(t) FROM (SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 0 "
        "UNION ALL SELECT MIN(lease_until) + 1 FROM deliveries WHERE status = 1)",
        "", [](const Statement& row) { return row.optional_time(0); });
  });
}

Result<EndpointStats> SqliteStore::queue_depth() {
  return read([&](Database& db) {
    return count_deliveries_by_status(db, "SELECT status, COUNT(*) FROM deliveries GROUP BY status", {});
  });
}

Result<void> SqliteStore::enqueue_resend(std::string_view app_id, std::string_view msg_id,
                                         std::string_view endpoint_id, TimePoint now) {
  return write([&](WriteTx& tx) -> Result<void> {
    auto msg = query_one<std::string>(
        tx.db, "SELECT id FROM messages WHERE id = ? AND app_id = ?", "message not found",
        [](const Statement& row) { return row.text(0); }, msg_id, app_id);
    if (!msg) return std::unexpected(msg.error());
    auto ep = resolve_endpoint_id(tx.db, app_id, endpoint_id);
    if (!ep) return std::unexpected(ep.error());
    // A new row (a larger id than the message's own deliveries): one attempt, never retried.
    auto inserted = execute(tx.db,
                            "INSERT INTO deliveries (msg_id, endpoint_id, app_id, status, attempt_count, "
                            "next_attempt_at, manual, created_at) VALUES (?, ?, ?, 0, 0, ?, 1, ?)",
                            *msg, *ep, app_id, now, now);
    if (auto r = check(inserted); !r) return r;
    tx.added_due_work = true;
    return {};
  });
}

Result<int> SqliteStore::recover_failed(std::string_view app_id, std::string_view endpoint_id,
                                        TimePoint since, std::optional<TimePoint> until, TimePoint now) {
  return write([&](WriteTx& tx) -> Result<int> {
    auto ep = resolve_endpoint_id(tx.db, app_id, endpoint_id);
    if (!ep) return std::unexpected(ep.error());
    // Manual resends are left alone: recovering the message's own delivery already sends it again.
    auto changed = execute(
        tx.db,
        "UPDATE deliveries SET status = 0, next_attempt_at = ?, attempt_count = 0, "
        "lease_until = NULL, lease_owner = NULL "
        "WHERE endpoint_id = ? AND status = 3 AND manual = 0 AND msg_id IN "
        "(SELECT id FROM messages WHERE app_id = ? AND created_at >= ? AND created_at < ?)",
        now, *ep, app_id, since, until ? to_millis(*until) : std::numeric_limits<std::int64_t>::max());
    if (!changed) return std::unexpected(changed.error());
    tx.added_due_work = *changed > 0;
    return static_cast<int>(*changed);
  });
}

Result<int> SqliteStore::release_leases(std::string_view owner, TimePoint now) {
  return write([&](WriteTx& tx) -> Result<int> {
    auto changed = execute(tx.db,
                           "UPDATE deliveries SET status = 0, next_attempt_at = ?, lease_until = NULL, "
                           "lease_owner = NULL WHERE status = 1 AND lease_owner = ?",
                           now, owner);
    if (!changed) return std::unexpected(changed.error());
    tx.added_due_work = *changed > 0;
    return static_cast<int>(*changed);
  });
}

Result<int> SqliteStore::rewind_schedule(TimePoint now, Millis step, std::string_view owner, Millis lease) {
  return write([&](WriteTx& tx) -> Result<int> {
    auto moved = execute(tx.db,
                         "UPDATE deliveries SET next_attempt_at = MAX(next_attempt_at - ?2, ?1) "
                         "WHERE status = 0 AND next_attempt_at > ?1",
                         now, static_cast<std::int64_t>(step.count()));
    if (!moved) return std::unexpected(moved.error());
    auto leases = execute(tx.db,
                          "UPDATE deliveries SET lease_until = ?1 "
                          "WHERE status = 1 AND lease_owner = ?2 AND lease_until > ?1",
                          now + lease, owner);
    if (!leases) return std::unexpected(leases.error());
    if (*leases > 0) lease_granted(now + lease);
    tx.added_due_work = *moved > 0;
    return static_cast<int>(*moved);
  });
}

}  // namespace hookd::store::sqlite
