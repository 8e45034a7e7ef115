// The delivery queue: claims under a lease, outcomes, manual resends and recovery.
#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "store/row_mapping.hpp"
#include "store/sqlite/sqlite_claim_sql.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace hookd::store::sqlite {
namespace {

const std::string kInsertAttempt =
    fmt::format("INSERT INTO attempts ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kAttemptColumns);

Result<std::string> resolve_endpoint_id(Database& db, std::string_view app_id, std::string_view id_or_uid) {
  return query_one<std::string>(
      db,
      "SELECT id FROM endpoints WHERE app_id = ?1 AND (id = ?2 OR uid = ?2) ORDER BY id = ?2 DESC LIMIT 1",
      "endpoint not found", [](const Statement& row) { return row.text(0); }, app_id, id_or_uid);
}

// Deliveries out under a live lease, by endpoint (the limit counts them).
Result<std::map<std::string, int>> count_busy_endpoints(Database& db, TimePoint now) {
  std::map<std::string, int> busy;
  auto rows = for_each_row(
      db, claim_sql::kBusyEndpoints,
      [&](const Statement& row) { busy[row.text(0)] = static_cast<int>(row.int64(1)); }, now);
  if (!rows) return std::unexpected(rows.error());
  return busy;
}

Result<void> check(const Result<std::int64_t>& r) {
  if (!r) return std::unexpected(r.error());
  return {};
}

// One claim being assembled in the writer's transaction: the rows it takes, at most `limit`, never more of
// an endpoint's than its limit leaves room for, and none of a skipped endpoint's. A payload is copied only
// for rows taken.
class ClaimBatch {
 public:
  ClaimBatch(Database& db, const ClaimOptions& options, std::map<std::string, int> busy)
      : db_(db), options_(options), busy_(std::move(busy)) {
    std::vector<std::string> skip_ids = options.skip_endpoint_ids;
    if (options.per_endpoint_limit > 0)
      for (const auto& [id, n] : busy_)
        if (n >= options.per_endpoint_limit) skip_ids.push_back(id);
    skipped_.insert(skip_ids.begin(), skip_ids.end());
    skip_list_ = encode_list(skip_ids);
  }

  bool full() const { return claimed_.size() >= static_cast<std::size_t>(options_.limit); }

  // The head of the queue (a bounded number of the oldest due rows). Returns whether that head was cut at
  // its bound, i.e. more due rows wait behind it.
  Result<bool> take_head(TimePoint now) {
    const int bound = std::max(2 * options_.limit, 128);
    if (auto rows = walk(claim_sql::kDueHead, /*capped=*/true, now, bound, skip_list_); !rows)
      return std::unexpected(rows.error());
    if (full()) return false;  // whatever waits behind the head, this claim has what it can take
    if (gave_up()) return true;
    auto due = query_one<std::int64_t>(
        db_, claim_sql::kCountDueHead, "", [](const Statement& row) { return row.int64(0); }, now, bound);
    if (!due) return std::unexpected(due.error());
    return *due == bound;
  }

  // Every endpoint with pending work and not skipped, for its own due rows (one index seek each): used when
  // the head of the queue is all held by skipped or full endpoints, so that the others are not starved
  // behind them. Endpoints without pending rows are never visited (with thousands of idle endpoints, a
  // list of all of them was read and each one asked, on every such claim).
  Result<void> take_from_each_endpoint(TimePoint now) {
    std::string id;
    while (!full()) {
      auto next = query_one<std::string>(
          db_, claim_sql::kNextEndpointWithPending, "endpoint with pending deliveries",
          [](const Statement& row) { return row.text(0); }, id);
      if (!next) {
        if (next.error().kind == ErrorKind::not_found) break;  // none after this one has pending rows
        return std::unexpected(next.error());
      }
      id = std::move(*next);
      if (skipped_.contains(id)) continue;
      int room = options_.limit - static_cast<int>(claimed_.size());
      if (options_.per_endpoint_limit > 0) room = std::min(room, options_.per_endpoint_limit - busy_[id]);
      if (room <= 0) continue;
      // Rows the head already took come back here too: read that many more.
      if (auto rows = walk(claim_sql::kDueForEndpoint, /*capped=*/true, now, id, room + options_.limit);
          !rows)
        return std::unexpected(rows.error());
    }
    return {};
  }

  // Rows out under a lease that ended (the process that held them died or stopped). They compete with the
  // rest by due time (the sort in lease()), so this walk is not capped. Returns whether any was found.
  Result<bool> take_expired_leases(TimePoint now) {
    auto rows = walk(claim_sql::kLeaseExpired, /*capped=*/false, now, skip_list_, options_.limit);
    if (!rows) return std::unexpected(rows.error());
    return *rows > 0;
  }

  // The rows taken, oldest due first and at most `limit` of them, marked sending under a lease until
  // `lease_until`. Every SELECT above has finished before these UPDATEs.
  Result<std::vector<ClaimedDelivery>> lease(TimePoint lease_until) {
    sort_oldest_due_first(claimed_);
    if (claimed_.size() > static_cast<std::size_t>(options_.limit))
      claimed_.resize(static_cast<std::size_t>(options_.limit));
    for (auto& c : claimed_) {
      auto updated =
          execute(db_, "UPDATE deliveries SET status = 1, lease_until = ?, lease_owner = ? WHERE id = ?",
                  lease_until, options_.owner, c.delivery.id);
      if (!updated) return std::unexpected(updated.error());
      c.delivery.status = DeliveryStatus::sending;
    }
    return std::move(claimed_);
  }

 private:
  // Steps through `sql`'s rows, taking each one allowed; returns how many rows it read. A capped walk stops
  // once the claim is full.
  template <class... Args>
  Result<int> walk(const std::string& sql, bool capped, const Args&... args) {
    passed_in_a_row_ = 0;
    return for_each_row(
        db_, sql,
        [&](const Statement& row) {
          take(row, capped);
          return !(capped && (full() || gave_up()));
        },
        args...);
  }

  // A capped walk that passed this many rows in a row, their endpoints at their limit, stops there. Else a
  // head made of one endpoint's backlog is read to its bound for the one or two rows that endpoint has room
  // for, on every claim: a drain to one endpoint stepped through four rows for each row it took. The claim
  // then asks each endpoint with pending rows for its own (take_from_each_endpoint), as for a head cut at
  // its bound, so endpoints behind the passed rows still get theirs.
  static constexpr int kPassedRowsBeforeGivingUp = 32;
  bool gave_up() const { return passed_in_a_row_ >= kPassedRowsBeforeGivingUp; }

  void take(const Statement& row, bool capped) {
    if (capped && full()) return;
    const std::string endpoint_id = row.text(2);
    if (skipped_.contains(endpoint_id)) return;
    int& out = busy_[endpoint_id];
    if (options_.per_endpoint_limit > 0 && out >= options_.per_endpoint_limit) {
      ++passed_in_a_row_;
      return;
    }
    if (!taken_.insert(row.int64(0)).second) return;
    claimed_.push_back(ClaimedDelivery{read_delivery(row, 0), read_message(row, 8)});
    ++out;
    passed_in_a_row_ = 0;
  }

  Database& db_;
  const ClaimOptions& options_;
  std::map<std::string, int> busy_;  // per endpoint: deliveries out under a live lease, taken ones included
  std::set<std::string> skipped_;    // asked to skip, or at their limit when the claim began
  std::string skip_list_;            // the same, as a JSON array for the statements
  std::set<std::int64_t> taken_;
  std::vector<ClaimedDelivery> claimed_;
  int passed_in_a_row_ = 0;  // rows of endpoints at their limit since the last row taken (this walk)
};

}  // namespace

// A claim is written without waiting for an fsync (Durability::volatile_ok): if it is lost in a power cut
// the deliveries are pending again and are sent again, which is what happens to a claim that survived a
// crash anyway (release_leases at start). At-least-once either way; see docs/DESIGN.md.
SqliteStore::ClaimJob SqliteStore::claim_job(TimePoint now, const ClaimOptions& options, int& runs) {
  return [this, now, &options, &runs](WriteTx& tx) -> Result<std::vector<ClaimedDelivery>> {
    std::map<std::string, int> busy;
    if (options.per_endpoint_limit > 0) {
      auto counts = count_busy_endpoints(tx.db, now);
      if (!counts) return std::unexpected(counts.error());
      busy = std::move(*counts);
    }
    ClaimBatch batch(tx.db, options, std::move(busy));
    auto head_cut = batch.take_head(now);
    if (!head_cut) return std::unexpected(head_cut.error());
    if (*head_cut) {
      if (auto r = batch.take_from_each_endpoint(now); !r) return std::unexpected(r.error());
    }
    LeaseScan scan = plan_lease_scan(now);
    // A run before this one was rolled back with its group (another job of it failed): the expired
    // leases it found, and planned as found, are there again.
    if (runs++ > 0) scan.due = true;
    if (scan.first) {
      // Leases left by an earlier run of this store: the earliest one still live is the next to end.
      auto earliest = query_one<std::optional<TimePoint>>(
          tx.db, "SELECT MIN(lease_until) FROM deliveries WHERE status = 1 AND lease_until >= ?", "",
          [](const Statement& row) { return row.optional_time(0); }, now);
      if (!earliest) return std::unexpected(earliest.error());
      if (*earliest) lease_granted(**earliest);
    }
    if (scan.due) {
      auto expired = batch.take_expired_leases(now);
      if (!expired) return std::unexpected(expired.error());
      // Scan again at the next claim, whether or not this one takes them all.
      if (*expired) lease_granted(now);
    }
    const TimePoint lease_until = now + options.lease;
    auto claimed = batch.lease(lease_until);
    if (claimed && !claimed->empty()) lease_granted(lease_until);
    return claimed;
  };
}

void SqliteStore::claim_ended(const Result<std::vector<ClaimedDelivery>>& result) {
  if (!result) forget_lease_scans();
}

Result<std::vector<ClaimedDelivery>> SqliteStore::claim_due(TimePoint now, const ClaimOptions& options) {
  if (options.limit <= 0) return std::vector<ClaimedDelivery>{};
  int runs = 0;
  auto result = write(claim_job(now, options, runs), Durability::volatile_ok);
  claim_ended(result);
  return result;
}

// Due when a known lease has ended (its row is then claimable: lease_until < now), on the first claim, and
// whenever the clock went back (rewind_schedule moves leases).
SqliteStore::LeaseScan SqliteStore::plan_lease_scan(TimePoint now) {
  std::lock_guard lock(lease_mutex_);
  LeaseScan scan{.first = !leases_scanned_, .due = false};
  scan.due = scan.first || now < last_lease_scan_ || (!lease_ends_.empty() && lease_ends_.top() < now);
  if (!scan.due) return scan;
  while (!lease_ends_.empty() && lease_ends_.top() < now) lease_ends_.pop();  // this scan finds those
  last_lease_scan_ = now;
  leases_scanned_ = true;
  return scan;
}

// An endpoint row changes here only when its failing streak begins or ends, or it is disabled: then the
// cached endpoints (config_) are dropped after the commit, before the caller hears of it, as any other write
// of an endpoint does. A streak going on changes nothing, so under a steady load the cache stays.
SqliteStore::RecordJob SqliteStore::record_job(std::span<const AttemptOutcome> outcomes,
                                               bool& endpoint_changed) {
  return [outcomes, &endpoint_changed](WriteTx& tx) -> Result<void> {
    endpoint_changed = false;  // a run before this one was rolled back with its group
    // Endpoints whose failing streak this batch already ended, and that have not failed again since: they
    // need no second UPDATE. A batch is mostly one endpoint's successes at fan-out 1, and each UPDATE that
    // changed nothing cost 4,700 instructions.
    std::set<std::string_view> cleared;
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
      auto inserted =
          execute(tx.db, kInsertAttempt, a.id, a.msg_id, a.endpoint_id, a.app_id, a.url, a.timestamp,
                  static_cast<int>(a.status), a.response_status_code, a.response_body,
                  a.response_headers_json, a.request_headers_json, a.request_body, a.duration_ms,
                  to_string(a.error), a.error_detail, static_cast<int>(a.trigger));
      if (auto r = check(inserted); !r) return r;
      // Each UPDATE changes a row only at a change of state, and says so (its count of changed rows).
      Result<std::int64_t> changed = 0;
      if (o.endpoint_succeeded) {
        if (cleared.insert(a.endpoint_id).second) {
          changed = execute(
              tx.db, "UPDATE endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL",
              a.endpoint_id);
        }
      } else if (a.status != AttemptStatus::success) {
        cleared.erase(a.endpoint_id);
        changed =
            execute(tx.db, "UPDATE endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL",
                    a.timestamp, a.endpoint_id);
      }
      if (!changed) return std::unexpected(changed.error());
      endpoint_changed |= *changed > 0;
      if (o.disable_endpoint) {
        if (auto r = check(execute(tx.db, "UPDATE endpoints SET disabled = 1 WHERE id = ?", a.endpoint_id));
            !r) {
          return r;
        }
        endpoint_changed = true;  // fan-out must stop choosing it
      }
    }
    return {};
  };
}

void SqliteStore::record_ended(bool endpoint_changed) {
  if (endpoint_changed) config_.invalidate();
}

Result<void> SqliteStore::record_outcomes(std::span<const AttemptOutcome> outcomes) {
  bool endpoint_changed = false;
  auto recorded = write(record_job(outcomes, endpoint_changed));
  record_ended(endpoint_changed);
  return recorded;
}

// The outcomes' job and the claim's are queued together, so they share a group and its one commit (durable,
// for the outcomes). Separately, a drain's dispatcher waited for two commits a turn: the outcomes', then the
// claim's, each a round trip to the writer thread.
Store::RecordedThenClaimed SqliteStore::record_then_claim(std::span<const AttemptOutcome> outcomes,
                                                          TimePoint now, const ClaimOptions& options) {
  if (outcomes.empty()) return {Result<void>{}, claim_due(now, options)};
  if (options.limit <= 0) return {record_outcomes(outcomes), std::vector<ClaimedDelivery>{}};
  bool endpoint_changed = false;
  int runs = 0;
  std::optional<Result<std::vector<ClaimedDelivery>>> claimed;  // filled on the writer thread
  auto claim = claim_job(now, options, runs);
  std::vector<GroupCommitWriter::QueuedJob> jobs;
  auto record_answered = std::make_shared<std::promise<Result<void>>>();
  auto claim_answered = std::make_shared<std::promise<Result<void>>>();
  jobs.push_back({record_job(outcomes, endpoint_changed), Durability::durable,
                  [record_answered](Result<void> r) { record_answered->set_value(std::move(r)); }});
  jobs.push_back({keeping(claim, claimed), Durability::volatile_ok,
                  [claim_answered](Result<void> r) { claim_answered->set_value(std::move(r)); }});
  auto record_future = record_answered->get_future();
  auto claim_future = claim_answered->get_future();
  writer_->submit_together(std::move(jobs));
  // Both are awaited: a group that SQLite rolls back by itself answers its failed job at once and runs the
  // others again later, so either may be answered first.
  RecordedThenClaimed out{record_future.get(), std::vector<ClaimedDelivery>{}};
  if (auto status = claim_future.get(); !status)
    out.claimed = std::unexpected(status.error());
  else
    out.claimed = std::move(*claimed);
  record_ended(endpoint_changed);
  claim_ended(out.claimed);
  return out;
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
    return query_one<EndpointStats>(db, claim_sql::kQueueDepth, "", [](const Statement& row) {
      EndpointStats depth;
      depth.pending = row.int64(1);
      depth.sending = row.int64(2);
      depth.fail = row.int64(3);
      depth.success = row.int64(0) - depth.pending - depth.sending - depth.fail;  // statuses are 0 to 3
      return depth;
    });
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
