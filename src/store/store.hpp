#pragma once
// The one storage interface. `sqlite/` and `postgres/` implement it; nothing above this layer knows which.
//
// Rules every implementation keeps:
// - Every tenant-owned row is read and written by (app_id, id): no call reads another tenant's row by id.
// - create_message writes the message, all its delivery rows and the idempotency record in one
//   transaction, and returns only after that transaction is durable. The store is the delivery queue.
// - Calls are thread-safe and blocking (create_message_async answers through a callback instead).
//   Concurrent writes may be grouped into one transaction (group commit), but no call returns (or answers)
//   before its own data is committed.
// - Times are passed in by the caller (from an injected clock), never read inside the store.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "core/secret_box.hpp"

namespace hookd::store {

// Keyset pagination on ids. `after_id`: continue past this id in the list's own order (exclusive).
// `backwards`: walk the other way from `after_id` (Svix's "-<id>" prevIterator); items are still returned
// in the list's own order.
struct PageRequest {
  int limit = 50;
  std::optional<std::string> after_id;
  bool backwards = false;
};

template <class T>
struct Page {
  std::vector<T> items;
  bool done = true;  // no more items in the requested direction
};

struct MessageFilter {
  std::optional<std::vector<std::string>> event_types;
  std::optional<std::string> channel;
  std::optional<TimePoint> before;  // created_at < before
  std::optional<TimePoint> after;   // created_at > after
  bool with_content = true;         // false: payload left empty
};

struct AttemptFilter {
  std::optional<std::string> msg_id;
  std::optional<std::string> endpoint_id;
  std::optional<AttemptStatus> status;
  std::optional<int> status_code_class;  // 0 (network error), 100, 200, 300, 400, 500
  std::optional<std::vector<std::string>> event_types;
  std::optional<TimePoint> before;
  std::optional<TimePoint> after;
};

struct IdempotencyRecord {
  std::string key;  // already scoped by the caller (token hash + method + path + header value)
  int status = 0;
  std::string body;
  TimePoint expires_at{};
};

struct NewMessage {
  Message message;
  std::vector<std::string> endpoint_ids;  // one delivery each, due at message.created_at
  std::optional<IdempotencyRecord> idempotency;
};

// What a message create reads before it writes: its event type, the tenant's validation setting and every
// endpoint of the tenant (for the fan-out).
struct IngestConfig {
  EventType event_type;
  std::optional<std::string> validation_setting;
  std::vector<Endpoint> endpoints;
};

struct CreatedMessage {
  Message message;
  bool existed = false;  // an earlier message of this app had the same event_id; nothing was written
  std::vector<std::string> endpoint_ids;  // the deliveries written (empty when existed)
};

struct EndpointStats {
  std::int64_t success = 0, pending = 0, sending = 0, fail = 0;
};

// A due delivery handed to one dispatcher under a lease.
struct ClaimedDelivery {
  Delivery delivery;
  Message message;
};

// The order claim_due promises: oldest due first, then by delivery id. Both stores gather claims from more
// than one statement (or from RETURNING, which has no order of its own) and finish with this.
inline void sort_oldest_due_first(std::vector<ClaimedDelivery>& claimed) {
  std::sort(claimed.begin(), claimed.end(), [](const ClaimedDelivery& a, const ClaimedDelivery& b) {
    return std::pair(a.delivery.next_attempt_at, a.delivery.id) <
           std::pair(b.delivery.next_attempt_at, b.delivery.id);
  });
}

// A dispatcher of this process that takes new deliveries as they are written, already leased to it, so
// they skip the claim (a round trip through the writer and about a fifth of its work a message). The store
// asks it once per new delivery, inside the writing transaction, and hands it the ones it took once that
// transaction has committed. Called on the store's writer thread: implementations are thread-safe and
// quick. See docs/DESIGN.md, "Deliveries leased at birth".
class LeaseTaker {
 public:
  virtual ~LeaseTaker() = default;
  // Whether the dispatcher takes a new delivery of this endpoint now. True holds one of its request slots
  // for it, which comes back through handed() or returned(). False: it has no slot now, and claims the
  // delivery once it has one, so the store need not wake it for that delivery.
  virtual bool reserve(const std::string& endpoint_id) = 0;
  // The slot held for a delivery that was not written leased after all (a FIFO endpoint, a rolled-back
  // transaction).
  virtual void returned(const std::string& endpoint_id) = 0;
  // After the commit: the deliveries written leased to owner() until lease_until().
  virtual void handed(std::vector<ClaimedDelivery> deliveries) = 0;
  virtual const std::string& owner() const = 0;
  virtual TimePoint lease_until() const = 0;  // for a delivery written now
};

// The result of one attempt, recorded with its delivery's next state in one write.
struct AttemptOutcome {
  Attempt attempt;
  std::int64_t delivery_id = 0;
  DeliveryStatus next_status = DeliveryStatus::failed;  // succeeded, pending (retry) or failed (given up)
  std::optional<TimePoint> next_attempt_at;             // with next_status == pending
  bool endpoint_succeeded = false;                      // clears the endpoint's failing streak
  bool disable_endpoint = false;                        // 410 Gone, or failing for too long
};

// An enabled endpoint whose last attempts failed (metrics: per-endpoint failure state).
struct FailingEndpoint {
  std::string app_id;
  std::string endpoint_id;
  TimePoint failing_since{};
};

struct FailingEndpoints {
  std::int64_t total = 0;               // every enabled endpoint in a failing streak
  std::vector<FailingEndpoint> oldest;  // the longest-failing ones, at most the limit asked for
};

struct ClaimOptions {
  int limit = 256;
  Millis lease{std::chrono::seconds(60)};
  std::string owner;                           // node name, for diagnostics
  std::vector<std::string> skip_endpoint_ids;  // endpoints at their concurrency limit
  // > 0: an endpoint never has more than this many deliveries out under a live lease, counted over every
  // node sharing the store (rows of endpoints at the limit are left for later).
  int per_endpoint_limit = 0;
};

// Retention: what prune() removes. nullopt keeps that kind of data forever.
struct RetentionPolicy {
  std::optional<Millis> payload;   // messages older than this: payload cleared to {} (metadata stays)
  std::optional<Millis> attempts;  // attempts older than this: deleted (with request/response bodies)
};

struct PruneResult {
  int payloads_cleared = 0;
  int attempts_deleted = 0;
  int idempotency_deleted = 0;  // expired idempotency records
  bool more = false;            // some kind filled its batch: call again (after a pause)
  bool skipped = false;         // another node is pruning (PostgreSQL): nothing done
};

class Store {
 public:
  virtual ~Store() = default;

  // Applications (tenants). get_* accept the id or the uid.
  virtual Result<Application> create_application(const Application& app) = 0;  // conflict: uid taken
  virtual Result<Application> get_application(std::string_view id_or_uid) = 0;
  virtual Result<Application> update_application(const Application& app) = 0;  // by app.id
  virtual Result<void> delete_application(std::string_view app_id) = 0;        // with everything it owns
  virtual Result<Page<Application>> list_applications(const PageRequest& page) = 0;  // oldest first

  // Event types (global catalog), keyed by name.
  virtual Result<EventType> create_event_type(const EventType& type) = 0;  // conflict: event_type_exists
  virtual Result<EventType> get_event_type(std::string_view name) = 0;
  virtual Result<EventType> update_event_type(const EventType& type) = 0;
  virtual Result<void> delete_event_type(std::string_view name) = 0;  // expunge
  // Sorted by name; `after_id` is a name.
  virtual Result<Page<EventType>> list_event_types(const PageRequest& page, bool include_archived) = 0;
  // Catalog import: inserts missing types; with `overwrite` also replaces existing ones. Returns how many
  // rows were inserted or replaced.
  virtual Result<int> import_event_types(std::span<const EventType> types, bool overwrite) = 0;

  // Endpoints, always within one application. get_endpoint accepts the id or the uid.
  virtual Result<Endpoint> create_endpoint(const Endpoint& endpoint) = 0;  // conflict: uid taken in app
  virtual Result<Endpoint> get_endpoint(std::string_view app_id, std::string_view id_or_uid) = 0;
  virtual Result<Endpoint> update_endpoint(const Endpoint& endpoint) = 0;  // by (app_id, id)
  virtual Result<void> delete_endpoint(std::string_view app_id, std::string_view endpoint_id) = 0;
  virtual Result<Page<Endpoint>> list_endpoints(std::string_view app_id, const PageRequest& page) = 0;
  // Every endpoint of the app, enabled or not (fan-out and the dispatcher's cache).
  virtual Result<std::vector<Endpoint>> all_endpoints(std::string_view app_id) = 0;
  virtual Result<EndpointStats> endpoint_stats(std::string_view app_id, std::string_view endpoint_id,
                                               std::optional<TimePoint> since,
                                               std::optional<TimePoint> until) = 0;
  // Secrets at rest (store/secret_columns.hpp): rewrites every endpoint whose secrets are in clear or
  // sealed under an old key so they are sealed under the keyring's current key. Fails, changing nothing,
  // when a value does not open (key id not in the keyring, tampered). Returns how many rows it rewrote.
  virtual Result<int> reseal_endpoint_secrets() = 0;

  // Messages. get_message accepts the msg id or the producer's event_id. Lists are newest first.
  // The configuration a create of `event_type` for `app_id` reads, as of no earlier than the call (never
  // older than a write that was answered before it). not_found: no such event type. A store may serve it
  // from memory where it can do so exactly; by default it is the three reads.
  virtual Result<IngestConfig> ingest_config(std::string_view app_id, std::string_view event_type,
                                             std::string_view setting_key) {
    auto type = get_event_type(event_type);
    if (!type) return std::unexpected(type.error());
    auto setting = get_setting(setting_key);
    if (!setting) return std::unexpected(setting.error());
    auto endpoints = all_endpoints(app_id);
    if (!endpoints) return std::unexpected(endpoints.error());
    return IngestConfig{std::move(*type), std::move(*setting), std::move(*endpoints)};
  }
  virtual Result<CreatedMessage> create_message(const NewMessage& message) = 0;
  // create_message answered through `done` instead of by returning, for callers that must not block (the
  // HTTP server's ingest path). `done` is called exactly once, perhaps on a store thread, after the
  // transaction is durable; it must be quick and must not call the store. By default the call runs
  // create_message and then `done` on the caller's thread; the SQLite store answers from its writer thread.
  // Whether reads are served without the network (from memory or a local file): a caller on an event loop
  // may then read without handing the call to a thread that is allowed to block.
  virtual bool reads_are_local() const { return false; }
  using CreateDone = std::function<void(Result<CreatedMessage>)>;
  virtual void create_message_async(NewMessage message, CreateDone done) { done(create_message(message)); }
  virtual Result<Message> get_message(std::string_view app_id, std::string_view id_or_event_id) = 0;
  virtual Result<Page<Message>> list_messages(std::string_view app_id, const MessageFilter& filter,
                                              const PageRequest& page) = 0;

  // Attempts, newest first.
  virtual Result<Page<Attempt>> list_attempts(std::string_view app_id, const AttemptFilter& filter,
                                              const PageRequest& page) = 0;
  virtual Result<Attempt> get_attempt(std::string_view app_id, std::string_view attempt_id) = 0;

  // Manual work. A resend is one attempt, never retried, that ignores filters and `disabled`.
  virtual Result<void> enqueue_resend(std::string_view app_id, std::string_view msg_id,
                                      std::string_view endpoint_id, TimePoint now) = 0;
  // Failed deliveries of the endpoint whose message was created in [since, until) become pending again,
  // due now, with a fresh retry schedule. Returns how many.
  virtual Result<int> recover_failed(std::string_view app_id, std::string_view endpoint_id, TimePoint since,
                                     std::optional<TimePoint> until, TimePoint now) = 0;

  // Idempotency-key responses (expired records are ignored and cleaned up lazily).
  virtual Result<std::optional<IdempotencyRecord>> get_idempotency(std::string_view key, TimePoint now) = 0;
  virtual Result<void> put_idempotency(const IdempotencyRecord& record) = 0;

  // Small server settings (admin token hash, node ids).
  virtual Result<std::optional<std::string>> get_setting(std::string_view key) = 0;
  virtual Result<void> set_setting(std::string_view key, std::string_view value) = 0;

  // The delivery queue. claim_due takes deliveries that are pending and due, or `sending` whose lease
  // expired (their node died), marks them `sending` under a new lease, and returns them oldest due first.
  virtual Result<std::vector<ClaimedDelivery>> claim_due(TimePoint now, const ClaimOptions& options) = 0;
  virtual Result<void> record_outcomes(std::span<const AttemptOutcome> outcomes) = 0;
  // record_outcomes, then claim_due, which sees what was recorded (their deliveries' slots are free). Each
  // part succeeds or fails on its own. A store may commit both at once: the SQLite store puts them in one
  // group of its writer, so that a dispatcher's turn in a drain waits for one commit instead of two.
  struct RecordedThenClaimed {
    Result<void> recorded;
    Result<std::vector<ClaimedDelivery>> claimed;
  };
  virtual RecordedThenClaimed record_then_claim(std::span<const AttemptOutcome> outcomes, TimePoint now,
                                                const ClaimOptions& options) {
    auto recorded = record_outcomes(outcomes);
    return {std::move(recorded), claim_due(now, options)};
  }
  // At a node's start: deliveries still leased to `owner` (its previous run died) become pending, due now,
  // instead of waiting for their leases to expire. Node names must be unique among live nodes.
  virtual Result<int> release_leases(std::string_view owner, TimePoint now) = 0;
  // After the wall clock stepped back by `step` (`now` is on the new timeline): pending deliveries due after
  // `now` become due `step` earlier (not before `now`), and `owner`'s leases end at most `lease` after
  // `now`. Otherwise work scheduled before the step would also wait for the step's length. Returns how
  // many deliveries were moved.
  virtual Result<int> rewind_schedule(TimePoint now, Millis step, std::string_view owner, Millis lease) = 0;
  // Earliest next_attempt_at among pending deliveries (nullopt: none).
  virtual Result<std::optional<TimePoint>> next_due_time() = 0;
  virtual Result<Endpoint> get_endpoint_by_id(std::string_view endpoint_id) = 0;  // dispatcher only
  // Counts for metrics: deliveries by status, and the oldest pending one's due time.
  virtual Result<EndpointStats> queue_depth() = 0;
  // Metrics, both cheap (indexed or over the endpoints table only): the earliest next_attempt_at among
  // pending deliveries (nullopt: none), and the enabled endpoints in a failing streak.
  virtual Result<std::optional<TimePoint>> oldest_pending_due() = 0;
  virtual Result<FailingEndpoints> failing_endpoints(int limit) = 0;

  // One small retention batch in one short transaction: at most `batch_limit` payloads cleared, attempts
  // deleted and idempotency records deleted. Never waits on rows being delivered, never clears the
  // payload of a message with a pending or sending delivery. Callers loop while `more`, pausing between.
  virtual Result<PruneResult> prune(TimePoint now, const RetentionPolicy& policy, int batch_limit) = 0;

  // Called (from any thread) after a commit that added due work, so dispatchers wake at once.
  virtual void set_work_listener(std::function<void()> listener) = 0;
  // The dispatcher that takes new deliveries as they are written (nullptr: none, they wait for a claim).
  // A store that cannot write them leased (one shared by several nodes) ignores it: every delivery is
  // then claimed.
  virtual void set_lease_taker(std::shared_ptr<LeaseTaker> taker) { (void)taker; }
};

struct StoreOptions {
  std::string url;               // "sqlite:PATH" or "postgres://…"
  bool synchronous_full = true;  // SQLite: fsync every commit (survives power loss); false: NORMAL
  // Seals endpoint secrets at rest (AES-256-GCM). Null: secrets are written in clear (unit tests and tools
  // only; `hookd serve` always gives one).
  std::shared_ptr<const SecretKeyring> secret_keyring;
};

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

}  // namespace hookd::store
