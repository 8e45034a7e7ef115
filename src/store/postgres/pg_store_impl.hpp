#pragma once
// The PostgreSQL Store: each call checks a connection out of the pool and runs one statement, or one
// transaction for writes that touch several rows. PostgreSQL does its own group commit, so concurrent
// calls simply run concurrently. Private to src/store/postgres.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/config_cache.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_listener.hpp"
#include "store/postgres/pg_notifier.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/row_mapping.hpp"
#include "store/store.hpp"

namespace hookd::store::postgres {

// What a write transaction gets: its connection, and a flag to set when it added due work (once it is
// committed, this node's listener is called and the other nodes are notified: pg_notifier.hpp).
struct WriteTx {
  PgConnection& conn;
  bool added_due_work = false;
};

class PgStore final : public Store {
 public:
  PgStore(std::string conninfo, std::unique_ptr<ConnectionPool> pool, std::string token,
          std::shared_ptr<const SecretKeyring> keyring = nullptr);
  ~PgStore() override;

  Result<Application> create_application(const Application& app) override;
  Result<Application> get_application(std::string_view id_or_uid) override;
  Result<Application> update_application(const Application& app) override;
  Result<void> delete_application(std::string_view app_id) override;
  Result<Page<Application>> list_applications(const PageRequest& page) override;

  Result<EventType> create_event_type(const EventType& type) override;
  Result<EventType> get_event_type(std::string_view name) override;
  Result<EventType> update_event_type(const EventType& type) override;
  Result<void> delete_event_type(std::string_view name) override;
  Result<Page<EventType>> list_event_types(const PageRequest& page, bool include_archived) override;
  Result<int> import_event_types(std::span<const EventType> types, bool overwrite) override;

  Result<Endpoint> create_endpoint(const Endpoint& endpoint) override;
  Result<Endpoint> get_endpoint(std::string_view app_id, std::string_view id_or_uid) override;
  Result<Endpoint> update_endpoint(const Endpoint& endpoint) override;
  Result<void> delete_endpoint(std::string_view app_id, std::string_view endpoint_id) override;
  Result<Page<Endpoint>> list_endpoints(std::string_view app_id, const PageRequest& page) override;
  Result<std::vector<Endpoint>> all_endpoints(std::string_view app_id) override;
  Result<EndpointStats> endpoint_stats(std::string_view app_id, std::string_view endpoint_id,
                                       std::optional<TimePoint> since,
                                       std::optional<TimePoint> until) override;
  Result<int> reseal_endpoint_secrets() override;

  Result<IngestConfig> ingest_config(std::string_view app_id, std::string_view event_type,
                                     std::string_view setting_key) override;
  Result<CreatedMessage> create_message(const NewMessage& message) override;
  Result<Message> get_message(std::string_view app_id, std::string_view id_or_event_id) override;
  Result<Page<Message>> list_messages(std::string_view app_id, const MessageFilter& filter,
                                      const PageRequest& page) override;

  Result<Page<Attempt>> list_attempts(std::string_view app_id, const AttemptFilter& filter,
                                      const PageRequest& page) override;
  Result<Attempt> get_attempt(std::string_view app_id, std::string_view attempt_id) override;

  Result<void> enqueue_resend(std::string_view app_id, std::string_view msg_id, std::string_view endpoint_id,
                              TimePoint now) override;
  Result<int> recover_failed(std::string_view app_id, std::string_view endpoint_id, TimePoint since,
                             std::optional<TimePoint> until, TimePoint now) override;

  Result<std::optional<IdempotencyRecord>> get_idempotency(std::string_view key, TimePoint now) override;
  Result<void> put_idempotency(const IdempotencyRecord& record) override;

  Result<std::optional<std::string>> get_setting(std::string_view key) override;
  Result<void> set_setting(std::string_view key, std::string_view value) override;

  Result<std::vector<ClaimedDelivery>> claim_due(TimePoint now, const ClaimOptions& options) override;
  Result<void> record_outcomes(std::span<const AttemptOutcome> outcomes) override;
  RecordedThenClaimed record_then_claim(std::span<const AttemptOutcome> outcomes, TimePoint now,
                                        const ClaimOptions& options) override;
  Result<int> release_leases(std::string_view owner, TimePoint now) override;
  Result<int> rewind_schedule(TimePoint now, Millis step, std::string_view owner, Millis lease) override;
  Result<std::optional<TimePoint>> next_due_time() override;
  Result<Endpoint> get_endpoint_by_id(std::string_view endpoint_id) override;
  Result<EndpointStats> queue_depth() override;
  Result<PruneResult> prune(TimePoint now, const RetentionPolicy& policy, int batch_limit) override;
  Result<std::optional<TimePoint>> oldest_pending_due() override;
  Result<FailingEndpoints> failing_endpoints(int limit) override;

  void set_work_listener(std::function<void()> listener) override;

  // True once the LISTEN connection is up (tests of cross-node wake-ups wait for it).
  bool listening() const { return listener_thread_ && listener_thread_->listening(); }

 private:
  // Runs `fn(PgConnection&)` on a pooled connection, outside any explicit transaction.
  // A pooled connection whose server side went away (server restart, idle timeout) fails its next
  // statement; reads are then run once more on a fresh connection.
  template <class F>
  auto read(F&& fn) -> std::invoke_result_t<F&, PgConnection&> {
    for (int attempt = 1;; ++attempt) {
      auto lease = pool_->acquire();
      if (!lease) return std::unexpected(lease.error());
      auto out = fn(lease->conn());
      if (!out && attempt == 1 && !lease->conn().healthy()) continue;
      return out;
    }
  }

  // Runs `fn(WriteTx&)` -> Result<T> in one transaction and returns once it is committed. A transaction
  // that lost a deadlock or serialization race is run again (fn is a pure function of the database). A
  // COMMIT whose connection broke is not retried: its outcome is unknown, the caller gets unavailable.
  template <class F>
  auto write(F&& fn) -> std::invoke_result_t<F&, WriteTx&> {
    using R = std::invoke_result_t<F&, WriteTx&>;
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
      auto lease = pool_->acquire();
      if (!lease) return std::unexpected(lease.error());
      PgConnection& conn = lease->conn();
      if (auto r = conn.exec_script("BEGIN"); !r) {
        // Nothing was sent yet: a stale pooled connection is replaced and the transaction runs anyway.
        if (!conn.healthy() && attempt < kAttempts) continue;
        return std::unexpected(r.error());
      }
      WriteTx tx{conn};
      R out = fn(tx);
      Result<void> committed;
      if (out) committed = conn.exec_script("COMMIT");
      if (!out || !committed) {
        (void)conn.exec_script("ROLLBACK");
        const Error& error = !out ? out.error() : committed.error();
        if (is_retryable(error) && attempt < kAttempts) continue;
        if (!out) return out;
        return std::unexpected(committed.error());
      }
      if (tx.added_due_work) {
        wake_local();
        notifier_->request();
      }
      return out;
    }
  }

  // The reads behind get_event_type, get_setting and all_endpoints, on the caller's connection.
  static Result<EventType> load_event_type(PgConnection& conn, std::string_view name);
  static Result<std::optional<std::string>> load_setting(PgConnection& conn, std::string_view key);
  Result<std::vector<Endpoint>> load_all_endpoints(PgConnection& conn, std::string_view app_id) const;

  // The work of claim_due and record_outcomes inside the caller's transaction.
  static Result<std::vector<ClaimedDelivery>> claim_in(WriteTx& tx, TimePoint now,
                                                       const ClaimOptions& options);
  static Result<void> record_in(WriteTx& tx, std::span<const AttemptOutcome> outcomes);
  void wake_local();

  const std::string conninfo_;
  std::unique_ptr<ConnectionPool> pool_;
  const std::string token_;  // this store's NOTIFY payload, to ignore its own notices
  const std::shared_ptr<const SecretKeyring> keyring_;  // seals endpoint secrets (store/secret_columns)
  // What ingest_config read, valid while the database's config_version is the one it was read under.
  ConfigCache config_;
  std::mutex listener_mutex_;
  std::function<void()> listener_;
  std::unique_ptr<WorkNotificationListener> listener_thread_;  // started with the first listener
  std::unique_ptr<WorkNotifier> notifier_;
};

// Shared by the pg_store_*.cpp files.
// Runs `sql` and reads its first row with `read`; not_found(what) when there is none.
template <class T, class Read>
Result<T> query_one(PgConnection& conn, std::string_view sql, const Params& params, std::string_view what,
                    Read read) {
  auto result = conn.exec(sql, params);
  if (!result) return std::unexpected(result.error());
  if (result->rows() == 0) return not_found(std::string(what));
  return read(result->row(0));
}

// Runs a statement without results and returns how many rows it changed.
inline Result<std::int64_t> execute(PgConnection& conn, std::string_view sql, const Params& params) {
  auto result = conn.exec(sql, params);
  if (!result) return std::unexpected(result.error());
  return result->affected();
}

// Upsert of one idempotency record (put_idempotency and create_message).
Result<void> put_idempotency_record(PgConnection& conn, const IdempotencyRecord& record);

// Runs "SELECT status, COUNT(*) … GROUP BY status" and sums it into EndpointStats.
Result<EndpointStats> count_deliveries_by_status(PgConnection& conn, std::string_view sql,
                                                 const Params& params);

// The two steps of every claim: rows whose lease ran out (their node died), then pending rows, while the
// batch has room. `run(sql, room)` executes one step's statement, whose rows are a delivery (columns 0-7)
// and its message (8 on). The rows come back oldest due first.
template <class Run>
Result<std::vector<ClaimedDelivery>> claim_expired_then_pending(const std::string& expired_sql,
                                                                const std::string& pending_sql, int limit,
                                                                Run run) {
  std::vector<ClaimedDelivery> claimed;
  for (const std::string* sql : {&expired_sql, &pending_sql}) {
    const int room = limit - static_cast<int>(claimed.size());
    if (room <= 0) break;
    auto result = run(*sql, room);
    if (!result) return std::unexpected(result.error());
    for (int i = 0; i < result->rows(); ++i) {
      Row row = result->row(i);
      claimed.push_back(ClaimedDelivery{read_delivery(row, 0), read_message(row, 8)});
    }
  }
  sort_oldest_due_first(claimed);
  return claimed;
}

// claim_due's work when ClaimOptions::per_endpoint_limit > 0, inside the caller's transaction
// (pg_claim_limited.cpp: the limit holds across nodes).
Result<std::vector<ClaimedDelivery>> claim_due_limited(PgConnection& conn, TimePoint now,
                                                       const ClaimOptions& options);

// Replaces a conflict error's code and detail (the server's unique-violation text is not for API clients).
inline Error rename_conflict(Error error, std::string code, std::string detail) {
  if (error.kind == ErrorKind::conflict) {
    error.code = std::move(code);
    error.detail = std::move(detail);
  }
  return error;
}

}  // namespace hookd::store::postgres
