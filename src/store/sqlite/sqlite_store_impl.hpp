#pragma once
// The SQLite Store: reads go to a pool of read-only connections, writes to the group-commit writer.
// Its methods are spread over sqlite_store_*.cpp by resource; this header is private to src/store/sqlite.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <type_traits>
#include <utility>

#include "store/config_cache.hpp"
#include "store/sqlite/sqlite_read_pool.hpp"
#include "store/sqlite/sqlite_writer.hpp"
#include "store/store.hpp"

namespace hookd::store::sqlite {

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<GroupCommitWriter> writer, std::unique_ptr<ReadPool> readers,
              std::shared_ptr<const SecretKeyring> keyring = nullptr)
      : writer_(std::move(writer)), readers_(std::move(readers)), keyring_(std::move(keyring)) {}

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

  Result<CreatedMessage> create_message(const NewMessage& message) override;
  void create_message_async(NewMessage message, CreateDone done) override;
  bool reads_are_local() const override { return true; }
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

  void set_work_listener(std::function<void()> listener) override {
    writer_->set_work_listener(std::move(listener));
  }

  void set_lease_taker(std::shared_ptr<LeaseTaker> taker) override {
    std::lock_guard lock(lease_mutex_);
    lease_taker_ = std::move(taker);
  }

  GroupCommitWriter& writer() { return *writer_; }
  std::uint64_t reads() const { return readers_->lent(); }

 private:
  // Runs `fn(Database&)` on a pooled read-only connection.
  template <class F>
  auto read(F&& fn) {
    auto lease = readers_->acquire();
    return fn(lease.db());
  }

  // Runs `fn(WriteTx&)` -> Result<T> as one job of the group-commit writer; returns once it is committed.
  template <class F>
  auto write(F&& fn, Durability durability = Durability::durable) -> std::invoke_result_t<F&, WriteTx&> {
    std::optional<std::invoke_result_t<F&, WriteTx&>> out;  // filled on the writer thread meanwhile
    auto status = writer_->submit(keeping(fn, out), durability);
    if (!status) return std::unexpected(status.error());
    return std::move(*out);
  }

  // A writer job that runs `fn` and keeps its typed result in `out`; a failed result fails the job. `fn` and
  // `out` must outlive the job's answer.
  template <class F, class R>
  static WriteJob keeping(F& fn, std::optional<R>& out) {
    return [&fn, &out](WriteTx& tx) -> Result<void> {
      out.emplace(fn(tx));
      if (!*out) return std::unexpected(out->error());
      return {};
    };
  }

  // write() without waiting: `done(Result<T>)` is called on the writer thread once the job's group has
  // committed or failed. `fn` may run more than once (see GroupCommitWriter::submit).
  template <class F, class D>
  void write_async(F fn, D done, Durability durability = Durability::durable) {
    using R = std::invoke_result_t<F&, WriteTx&>;
    struct Pending {
      F fn;
      std::optional<R> out;
    };
    auto pending = std::make_shared<Pending>(Pending{std::move(fn), std::nullopt});
    writer_->submit_async(
        [pending, job = keeping(pending->fn, pending->out)](WriteTx& tx) { return job(tx); }, durability,
        [pending, done = std::move(done)](Result<void> status) mutable {
          if (!status) return done(R(std::unexpected(std::move(status.error()))));
          done(std::move(*pending->out));
        });
  }

  // write(), then invalidates the configuration cache: for writes of applications, event types,
  // endpoints and settings.
  template <class F>
  auto write_config(F&& fn) -> std::invoke_result_t<F&, WriteTx&> {
    auto out = write(std::forward<F>(fn));
    config_.invalidate();
    return out;
  }

  Result<std::vector<Endpoint>> read_all_endpoints(std::string_view app_id);

  // The two writer jobs of the delivery queue, for claim_due, record_outcomes and record_then_claim. A job
  // may run more than once (GroupCommitWriter::submit); `runs` and `endpoint_changed` outlive its runs.
  // After the commit: claim_ended(result) forgets the lease scans of a failed claim, and record_ended drops
  // the configuration cache if an endpoint changed.
  using ClaimJob = std::function<Result<std::vector<ClaimedDelivery>>(WriteTx&)>;
  using RecordJob = std::function<Result<void>(WriteTx&)>;
  ClaimJob claim_job(TimePoint now, const ClaimOptions& options, int& runs);
  void claim_ended(const Result<std::vector<ClaimedDelivery>>& result);
  static RecordJob record_job(std::span<const AttemptOutcome> outcomes, bool& endpoint_changed);
  void record_ended(bool endpoint_changed);

  // Claims look for expired leases only when one may have expired: that scan walks every row out under a
  // lease. This process is the only one granting leases, so it knows every lease's end: the ends of leases
  // granted (one per claim) and, from the first scan, the earliest live lease left by an earlier run.
  // A claim that fails (its group rolled back) forgets what it learnt: the next claim scans afresh.
  struct LeaseScan {
    bool first;  // no scan yet (since start, or since a failed claim): also learn leases left by a past run
    bool due;    // scan for expired leases in this claim
  };
  LeaseScan plan_lease_scan(TimePoint now);
  void lease_granted(TimePoint lease_until) {
    std::lock_guard lock(lease_mutex_);
    lease_ends_.push(lease_until);
  }
  void forget_lease_scans() {
    std::lock_guard lock(lease_mutex_);
    leases_scanned_ = false;
  }
  std::shared_ptr<LeaseTaker> lease_taker() {
    std::lock_guard lock(lease_mutex_);
    return lease_taker_;
  }
  std::mutex lease_mutex_;  // guards the four below (claims run on the writer thread; failures here)
  std::shared_ptr<LeaseTaker> lease_taker_;
  std::priority_queue<TimePoint, std::vector<TimePoint>, std::greater<>> lease_ends_;
  bool leases_scanned_ = false;
  TimePoint last_lease_scan_{};

  ConfigCache config_;  // this process is the database's only writer, so the cache is exact
  std::unique_ptr<GroupCommitWriter> writer_;
  std::unique_ptr<ReadPool> readers_;
  std::shared_ptr<const SecretKeyring> keyring_;  // seals endpoint secrets (store/secret_columns)
};

// Shared by the sqlite_store_*.cpp files.
// Fetches at most one row of `sql` with `args` bound and reads it with `read`; not_found(what) when none.
template <class T, class Read, class... Args>
Result<T> query_one(Database& db, std::string_view sql, std::string_view what, Read read,
                    const Args&... args) {
  auto statement = db.prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  (*statement)->bind_all(args...);
  auto row = (*statement)->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return not_found(std::string(what));
  return read(**statement);
}

// Steps through the rows of `sql` with `args` bound, calling `each(statement)` on each; returns how many it
// read. An `each` that returns bool stops the walk by returning false (rows not stepped are never computed).
template <class Each, class... Args>
Result<int> for_each_row(Database& db, std::string_view sql, Each&& each, const Args&... args) {
  auto statement = db.prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  (*statement)->bind_all(args...);
  int rows = 0;
  while (true) {
    auto row = (*statement)->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return rows;
    ++rows;
    if constexpr (std::is_same_v<std::invoke_result_t<Each&, const Statement&>, bool>) {
      if (!each(**statement)) return rows;
    } else {
      each(**statement);
    }
  }
}

// Runs a statement without results and returns how many rows it changed.
template <class... Args>
Result<std::int64_t> execute(Database& db, std::string_view sql, const Args&... args) {
  auto statement = db.prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  (*statement)->bind_all(args...);
  if (auto r = (*statement)->run(); !r) return std::unexpected(r.error());
  return db.changes();
}

// INSERT OR REPLACE of one record (put_idempotency and create_message).
Result<void> put_idempotency_record(Database& db, const IdempotencyRecord& record);

// Runs "SELECT status, COUNT(*) … GROUP BY status" over deliveries and sums it into EndpointStats.
Result<EndpointStats> count_deliveries_by_status(Database& db, std::string_view sql,
                                                 const std::vector<BindValue>& binds);

// Replaces a conflict error's code and detail (the generic UNIQUE message is not for API clients).
inline Error rename_conflict(Error error, std::string code, std::string detail) {
  if (error.kind == ErrorKind::conflict) {
    error.code = std::move(code);
    error.detail = std::move(detail);
  }
  return error;
}

}  // namespace hookd::store::sqlite
