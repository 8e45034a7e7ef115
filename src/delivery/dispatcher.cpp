#include "delivery/dispatcher.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "delivery/attempt_redaction.hpp"
#include "delivery/headers_json.hpp"
#include "delivery/request_builder.hpp"
#include "delivery/retry_decision.hpp"
#include "store/operational.hpp"

namespace hookd::delivery {
namespace {

constexpr auto kCacheTtl = std::chrono::seconds(2);  // event types' form names (rarely change)

}  // namespace

struct Dispatcher::InFlight {
  store::ClaimedDelivery claimed;
  Endpoint endpoint;
  std::string form_type;
  bool pinging = false;
  bool handed = false;  // handed over as written, not claimed
  SentRequest sent;     // what the attempt record keeps of the request sent
  TimePoint started{};
};

// Kept instead of the request itself: a copy of its headers and body lived as long as the request.
Dispatcher::SentRequest Dispatcher::sent_record(const OutboundRequest& request, const Message& message) {
  SentRequest sent;
  sent.headers_json = headers_json(request.headers);
  // Only a body that differs from the payload is kept (a form body); NULL stands for the payload as stored.
  if (request.body != message.payload) sent.body = request.body;
  return sent;
}

// What the store's writer thread sees of this dispatcher: it holds a slot for each new delivery it writes
// leased to this node, and hands the deliveries over through the mailbox once they are committed. It
// outlives a stopped dispatcher if the store still holds it: it only touches shared state.
class Dispatcher::Intake final : public store::LeaseTaker {
 public:
  Intake(std::shared_ptr<RequestSlots> slots, std::weak_ptr<Mailbox> mailbox, const Clock& clock,
         Millis lease, std::string owner)
      : slots_(std::move(slots)),
        mailbox_(std::move(mailbox)),
        clock_(clock),
        lease_(lease),
        owner_(std::move(owner)) {}

  bool reserve(const std::string& endpoint_id) override { return slots_->try_take(endpoint_id); }
  // The slot comes back; if work waits for it, the dispatcher claims (as when one of its requests ends).
  void returned(const std::string& endpoint_id) override {
    if (!slots_->give_back(endpoint_id)) return;
    if (auto box = mailbox_.lock()) {
      {
        std::lock_guard lock(box->mutex);
        box->woken = true;
      }
      box->cv.notify_all();
    }
  }
  void handed(std::vector<store::ClaimedDelivery> deliveries) override {
    auto box = mailbox_.lock();
    if (!box) return;  // the dispatcher is gone: the leases end, and the deliveries are claimed then
    {
      std::lock_guard lock(box->mutex);
      box->handed.insert(box->handed.end(), std::make_move_iterator(deliveries.begin()),
                         std::make_move_iterator(deliveries.end()));
    }
    box->cv.notify_all();
  }
  const std::string& owner() const override { return owner_; }
  TimePoint lease_until() const override { return clock_.now() + lease_; }

 private:
  std::shared_ptr<RequestSlots> slots_;
  std::weak_ptr<Mailbox> mailbox_;
  const Clock& clock_;
  const Millis lease_;
  const std::string owner_;
};

Dispatcher::Dispatcher(store::Store& store, HttpClient& client, const Clock& clock, RandomSource& random,
                       IdGenerator& ids, DeliveryMetrics& metrics, DispatcherOptions options)
    : store_(store),
      client_(client),
      clock_(clock),
      random_(random),
      ids_(ids),
      metrics_(metrics),
      options_(std::move(options)),
      slots_(std::make_shared<RequestSlots>(options_.max_in_flight, options_.per_endpoint_limit)),
      intake_(std::make_shared<Intake>(slots_, mailbox_, clock_, options_.lease, options_.node_id)) {}

Dispatcher::~Dispatcher() {
  stop();
}

void Dispatcher::start() {
  // What this node had in flight when it last stopped (or died) is due again now.
  if (auto released = store_.release_leases(options_.node_id, clock_.now()); !released) {
    spdlog::error("releasing this node's leases failed: {}", released.error().detail);
  } else if (*released > 0) {
    spdlog::info("resuming {} deliveries that were in flight when this node last stopped", *released);
  }
  {
    // Work due before this start (a backlog, the leases just released) is claimed at once: the first turn
    // does not wait for a wake-up or the idle poll. Waiting for the poll held a backlog for a second.
    std::lock_guard lock(mailbox_->mutex);
    mailbox_->woken = true;
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-dispatch");
    run();
  });
  store_.set_lease_taker(intake_);
}

void Dispatcher::stop() {
  // New deliveries wait for a claim from now on. Any handed over meanwhile are started while draining, or
  // keep their lease (released at this node's next start, or claimed anywhere once it ends).
  if (thread_.joinable()) store_.set_lease_taker(nullptr);
  {
    std::lock_guard lock(mailbox_->mutex);
    mailbox_->stopping = true;
  }
  mailbox_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mailbox_->mutex);
    mailbox_->woken = true;
  }
  mailbox_->cv.notify_all();
}

void Dispatcher::run() {
  std::optional<TimePoint> drain_deadline;
  while (true) {
    std::vector<Completion> completions;
    std::vector<store::ClaimedDelivery> handed;
    bool stopping = false;
    {
      std::unique_lock lock(mailbox_->mutex);
      auto wait_until = std::chrono::steady_clock::now() + options_.idle_poll;
      mailbox_->cv.wait_until(lock, wait_until, [&] {
        return mailbox_->woken || !mailbox_->completions.empty() || !mailbox_->handed.empty() ||
               mailbox_->stopping;
      });
      completions.swap(mailbox_->completions);
      handed.swap(mailbox_->handed);
      if (mailbox_->woken) claim_wanted_ = true;  // the store wrote due work
      mailbox_->woken = false;
      stopping = mailbox_->stopping;
    }
    // New deliveries go out before the outcomes are recorded: recording waits for the writer's commit (an
    // fsync), and deliveries handed over meanwhile wait with it. Started after it, one waited for up to two
    // recordings, not the rest of one: create-to-receiver p50 2.8 ms, not 2.0, at 5,000 msg/s.
    if (!handed.empty()) begin_handed(std::move(handed));
    std::vector<store::AttemptOutcome> outcomes;
    for (auto& c : completions) handle(std::move(c), outcomes);
    watch_clock();
    // Claims are wanted when the store says it wrote due work, while claims keep finding work or endpoints
    // had to be skipped, when a claimed delivery ended (a FIFO endpoint's next one, a backlog's next), and
    // at least every idle_poll (retries coming due, leases ending). Deliveries handed over as written need
    // none: under a load of new messages alone, a claim on every turn found nothing and kept the dispatcher
    // waiting on the writer. A claim takes the outcomes with it (one commit for both).
    const bool claim =
        !stopping && (claim_wanted_ || std::chrono::steady_clock::now() - last_claim_ >= options_.idle_poll);
    if (claim) {
      claim_more(std::move(outcomes));
    } else {
      record(outcomes);
    }
    if (stopping) {
      if (!drain_deadline) drain_deadline = clock_.now() + options_.drain_timeout;
      if (in_flight_.empty() || clock_.now() >= *drain_deadline) break;
    }
  }
  if (!in_flight_.empty())
    spdlog::warn("stopping with {} deliveries in flight; their leases will expire", in_flight_.size());
}

// Due times and leases are wall-clock times. After a forward step, work due within the step runs early
// (harmless), and this node's own leases look expired: claim_more skips rows it already has in flight.
// After a backward step, everything scheduled would wait the step's length on top of its delay, so the
// schedule is moved back by the step (docs/DESIGN.md, "Clock steps").
void Dispatcher::watch_clock() {
  auto step = clock_steps_.observe(clock_.now(), std::chrono::steady_clock::now());
  if (step == Millis(0)) return;
  if (step > Millis(0)) {
    spdlog::warn("the wall clock jumped forward by {} ms: deliveries due within that time run now",
                 step.count());
    return;
  }
  auto moved = store_.rewind_schedule(clock_.now(), -step, options_.node_id, options_.lease);
  if (!moved) {
    spdlog::error("the wall clock jumped back by {} ms; moving the schedule back failed: {}", -step.count(),
                  moved.error().detail);
    return;
  }
  spdlog::warn("the wall clock jumped back by {} ms: {} scheduled deliveries moved back with it",
               -step.count(), *moved);
}

void Dispatcher::record(std::span<const store::AttemptOutcome> outcomes) {
  if (outcomes.empty()) return;
  if (auto r = store_.record_outcomes(outcomes); !r) record_failed(outcomes.size(), r.error());
}

void Dispatcher::record_failed(std::size_t count, const Error& error) {
  // The deliveries keep their lease and are retried when it expires: nothing is lost.
  spdlog::error("recording {} attempt outcomes failed: {}", count, error.detail);
}

void Dispatcher::claim_more(std::vector<store::AttemptOutcome> outcomes) {
  last_claim_ = std::chrono::steady_clock::now();
  // Keep claiming while batches come back full and there is room: a backlog drains without waiting.
  for (int round = 0; round < 8; ++round) {
    // A batch may hold one endpoint's rows only, so it is no larger than the per-endpoint cap: the cap then
    // holds within a factor of two, and what a crash can repeat (sent but not yet recorded) stays small.
    // Its slots are held before the claim, so that deliveries handed over meanwhile cannot overfill them.
    const std::size_t held =
        slots_->hold(std::min<std::size_t>(static_cast<std::size_t>(options_.claim_batch),
                                           static_cast<std::size_t>(options_.per_endpoint_limit)));
    if (held == 0) {
      record(outcomes);
      return;
    }
    store::ClaimOptions claim;
    claim.limit = static_cast<int>(held);
    claim.lease = options_.lease;
    claim.owner = options_.node_id;
    // The store enforces the cap exactly, over every node sharing it; the skip list spares it the work.
    claim.per_endpoint_limit = options_.per_endpoint_limit;
    claim.skip_endpoint_ids = slots_->full_endpoints();
    auto now = clock_.now();
    // The first round records the turn's outcomes with its claim, before it (the claim sees their slots
    // free); later rounds have none left.
    Result<std::vector<store::ClaimedDelivery>> claimed = std::vector<store::ClaimedDelivery>{};
    if (outcomes.empty()) {
      claimed = store_.claim_due(now, claim);
    } else {
      auto both = store_.record_then_claim(outcomes, now, claim);
      if (!both.recorded) record_failed(outcomes.size(), both.recorded.error());
      claimed = std::move(both.claimed);
      outcomes.clear();
    }
    // Endpoints are read afresh for every batch (once per distinct endpoint), so a rotated secret, a new URL
    // or new headers apply to the very next delivery.
    endpoint_cache_.clear();
    if (!claimed) {
      slots_->release_held(held);
      spdlog::error("claiming deliveries failed: {}", claimed.error().detail);
      return;
    }
    std::size_t sent = 0;
    std::vector<store::AttemptOutcome> ended;
    for (auto& c : *claimed) {
      // Our own lease looked expired (the wall clock jumped forward): the request is still in flight here,
      // and the claim merely renewed its lease.
      if (in_flight_.contains(c.delivery.id)) continue;
      std::string endpoint_id = c.delivery.endpoint_id;
      if (begin(std::move(c), now, ended)) {
        slots_->assign(endpoint_id);
        ++sent;
      }
    }
    slots_->release_held(held - sent);
    metrics_.record_started(sent, /*handed=*/false);
    if (!ended.empty()) {
      if (auto r = store_.record_outcomes(ended); !r)
        spdlog::error("recording outcomes failed: {}", r.error().detail);
    }
    if (claimed->size() < held) {
      // Nothing more is due now. Rows of the endpoints skipped as full may wait: full_endpoints() marked
      // them, and a slot of theirs coming back asks for the next claim (handle()). Claiming again on every
      // turn instead made a stuck endpoint at its limit cost a claim a turn: 18,500 claims that took 2
      // deliveries in the 20 s isolation scenario.
      claim_wanted_ = false;
      return;
    }
  }
  claim_wanted_ = true;  // every batch came back full: more is due
}

void Dispatcher::begin_handed(std::vector<store::ClaimedDelivery> handed) {
  endpoint_cache_.clear();  // as for a claimed batch: endpoint changes apply to the next delivery
  const auto now = clock_.now();
  std::size_t sent = 0;
  std::vector<store::AttemptOutcome> ended;
  for (auto& c : handed) {
    std::string endpoint_id = c.delivery.endpoint_id;
    const std::int64_t id = c.delivery.id;
    if (begin(std::move(c), now, ended)) {
      in_flight_[id]->handed = true;
      ++sent;
    } else if (slots_->give_back(endpoint_id)) {
      claim_wanted_ = true;  // work waits for this slot
    }
  }
  metrics_.record_started(sent, /*handed=*/true);
  if (!ended.empty()) {
    if (auto r = store_.record_outcomes(ended); !r)
      spdlog::error("recording outcomes failed: {}", r.error().detail);
  }
}

bool Dispatcher::begin(store::ClaimedDelivery claimed, TimePoint now,
                       std::vector<store::AttemptOutcome>& ended) {
  auto flight = std::make_unique<InFlight>();
  flight->claimed = std::move(claimed);
  flight->started = now;
  const Endpoint* e = endpoint(flight->claimed.delivery.endpoint_id);
  if (!e || (e->disabled && !flight->claimed.delivery.manual)) {
    // Deleted or disabled meanwhile: the delivery ends without a request.
    OutboundResponse none;
    none.error = ErrorClass::other;
    none.error_detail = e ? "endpoint disabled" : "endpoint deleted";
    Endpoint placeholder;
    placeholder.id = flight->claimed.delivery.endpoint_id;
    flight->endpoint = e ? *e : placeholder;
    auto outcome = outcome_for(*flight, none, sent_record({}, flight->claimed.message), ErrorClass::other);
    outcome.next_status = DeliveryStatus::failed;
    outcome.next_attempt_at.reset();
    outcome.disable_endpoint = false;
    ended.push_back(std::move(outcome));
    return false;
  }
  flight->endpoint = *e;
  if (e->body_format == BodyFormat::form) flight->form_type = form_type(flight->claimed.message.event_type);
  AttemptInput input{flight->claimed.message, flight->endpoint, flight->form_type, now,
                     options_.request_timeout};
  auto request = e->verification_ping ? build_ping_request(input) : build_delivery_request(input);
  flight->pinging = e->verification_ping;
  if (!request) {
    OutboundResponse bad;
    bad.error = ErrorClass::other;
    bad.error_detail = "cannot build the request: " + request.error().detail;
    ended.push_back(outcome_for(*flight, bad, sent_record({}, flight->claimed.message), ErrorClass::other));
    return false;
  }
  auto id = flight->claimed.delivery.id;
  auto& slot = in_flight_[id];
  slot = std::move(flight);
  send(*slot, std::move(*request));
  return true;
}

void Dispatcher::send(InFlight& flight, OutboundRequest request) {
  flight.sent = sent_record(request, flight.claimed.message);
  std::weak_ptr<Mailbox> mailbox = mailbox_;
  auto id = flight.claimed.delivery.id;
  client_.submit(std::move(request), [mailbox, id](OutboundResponse response) {
    auto box = mailbox.lock();
    if (!box) return;
    {
      std::lock_guard lock(box->mutex);
      box->completions.push_back(Completion{id, std::move(response)});
    }
    box->cv.notify_all();
  });
}

void Dispatcher::handle(Completion&& completion, std::vector<store::AttemptOutcome>& outcomes) {
  auto it = in_flight_.find(completion.delivery_id);
  if (it == in_flight_.end()) return;
  InFlight& flight = *it->second;
  const auto& response = completion.response;
  if (flight.pinging) {
    if (is_success(response, flight.endpoint.success_rule)) {
      // The receiver accepted the ping: now the delivery itself.
      flight.pinging = false;
      auto now = clock_.now();
      AttemptInput input{flight.claimed.message, flight.endpoint, flight.form_type, now,
                         options_.request_timeout};
      if (auto request = build_delivery_request(input)) {
        send(flight, std::move(*request));
        return;
      }
    }
    outcomes.push_back(outcome_for(flight, response, flight.sent, ErrorClass::verification_failed));
  } else {
    outcomes.push_back(outcome_for(flight, response, flight.sent, ErrorClass::none));
  }
  // Its endpoint's next delivery may be waiting: a claimed one's (FIFO, backlog), or one that found no slot.
  if (slots_->give_back(flight.claimed.delivery.endpoint_id) || !flight.handed) claim_wanted_ = true;
  in_flight_.erase(it);
}

store::AttemptOutcome Dispatcher::outcome_for(const InFlight& flight, const OutboundResponse& response,
                                              const SentRequest& sent, ErrorClass error_override) {
  const auto& delivery = flight.claimed.delivery;
  auto now = clock_.now();
  bool success = error_override == ErrorClass::none && is_success(response, flight.endpoint.success_rule);
  ErrorClass error = response.error;
  if (error_override != ErrorClass::none)
    error = error_override;
  else if (!success && error == ErrorClass::none)
    error = ErrorClass::http_status;  // e.g. 200 with empty body

  store::AttemptOutcome out;
  Attempt& a = out.attempt;
  a.id = ids_.next(id_prefix::attempt);
  a.msg_id = delivery.msg_id;
  a.endpoint_id = delivery.endpoint_id;
  a.app_id = delivery.app_id;
  a.url = flight.endpoint.url;
  a.timestamp = flight.started;
  a.status = success ? AttemptStatus::success : AttemptStatus::fail;
  a.response_status_code = response.status;
  a.response_body = response.body;
  a.response_headers_json = headers_json(response.headers);
  a.request_headers_json = sent.headers_json;
  if (sent.body) {
    // A form body carries the endpoint's auth_secret: attempts keep it redacted (secrets at rest).
    a.request_body = flight.endpoint.auth_secret.empty() ? *sent.body : redact_form_auth_secret(*sent.body);
  }
  a.duration_ms = static_cast<int>((now - flight.started).count());
  a.error = success ? ErrorClass::none : error;
  a.error_detail = response.error_detail;
  if (error_override == ErrorClass::verification_failed && a.error_detail.empty()) {
    a.error_detail = "verification ping refused (status " + std::to_string(response.status) + ")";
  }
  a.trigger = delivery.manual ? TriggerType::manual : TriggerType::scheduled;

  Decision d = decide(
      DecisionInput{delivery, flight.endpoint, AttemptResult{success, response.status, response.retry_after},
                    now, options_.schedule, options_.disable_after},
      random_);
  out.delivery_id = delivery.id;
  out.next_status = d.next_status;
  out.next_attempt_at = d.next_attempt_at;
  out.endpoint_succeeded = success;
  out.disable_endpoint = d.disable_endpoint && !flight.endpoint.disabled;
  metrics_.record_attempt(success, a.error, Millis(a.duration_ms));
  if (d.next_status == DeliveryStatus::failed) metrics_.record_given_up();
  notify_operator(flight, out, response.status);
  // Keep the cached failing streak in step with what record_outcomes writes, so the next outcome of this
  // endpoint sees it without waiting for the cache to refresh.
  if (auto cached = endpoint_cache_.find(flight.endpoint.id);
      cached != endpoint_cache_.end() && cached->second.second) {
    auto& since = cached->second.second->failing_since;
    if (success)
      since.reset();
    else if (!since)
      since = a.timestamp;
  }
  if (out.disable_endpoint) {
    metrics_.record_endpoint_disabled();
    spdlog::warn("endpoint {} of app {} disabled: {}", flight.endpoint.id, flight.endpoint.app_id,
                 response.status == 410 ? "the receiver answered 410 Gone" : "failing for too long");
    endpoint_cache_.erase(flight.endpoint.id);
  }
  return out;
}

// Svix's operational events for this outcome: failing (4th failed try), exhausted, recovered, disabled.
void Dispatcher::notify_operator(const InFlight& flight, const store::AttemptOutcome& out, int status) {
  const auto& d = flight.claimed.delivery;
  const Attempt& a = out.attempt;
  auto emit = [&](std::string_view type) {
    boost::json::object data{
        {"appId", d.app_id},
        {"msgId", d.msg_id},
        {"msgEventId", flight.claimed.message.event_id ? boost::json::value(*flight.claimed.message.event_id)
                                                       : boost::json::value(nullptr)},
        {"endpointId", d.endpoint_id},
        {"lastAttempt",
         {{"id", a.id}, {"responseStatusCode", status}, {"timestamp", format_rfc3339(a.timestamp)}}}};
    store::emit_operational(store_, ids_, clock_.now(), d.app_id, type, boost::json::serialize(data));
  };
  bool success = a.status == AttemptStatus::success;
  if (success && flight.endpoint.failing_since) emit("message.attempt.recovered");
  if (!success && !d.manual && out.next_status == DeliveryStatus::failed) emit("message.attempt.exhausted");
  if (!success && !d.manual && out.next_status == DeliveryStatus::pending && d.attempt_count + 1 == 4) {
    emit("message.attempt.failing");
  }
  if (out.disable_endpoint) {
    boost::json::object data{
        {"appId", d.app_id},
        {"endpointId", d.endpoint_id},
        {"failSince", format_rfc3339(flight.endpoint.failing_since.value_or(a.timestamp))}};
    store::emit_operational(store_, ids_, clock_.now(), d.app_id, "endpoint.disabled",
                            boost::json::serialize(data));
  }
}

const Endpoint* Dispatcher::endpoint(const std::string& id) {
  auto now = clock_.now();
  auto it = endpoint_cache_.find(id);
  if (it == endpoint_cache_.end() || now - it->second.first > kCacheTtl || now < it->second.first) {
    auto e = store_.get_endpoint_by_id(id);
    std::optional<Endpoint> value;
    if (e)
      value = std::move(*e);
    else if (e.error().kind != ErrorKind::not_found)
      spdlog::error("loading endpoint {}: {}", id, e.error().detail);
    it = endpoint_cache_.insert_or_assign(id, std::pair{now, std::move(value)}).first;
  }
  return it->second.second ? &*it->second.second : nullptr;
}

std::string Dispatcher::form_type(const std::string& event_type) {
  auto now = clock_.now();
  auto it = form_type_cache_.find(event_type);
  if (it == form_type_cache_.end() || now - it->second.first > kCacheTtl || now < it->second.first) {
    auto t = store_.get_event_type(event_type);
    std::string name = t && !t->form_type.empty() ? t->form_type : event_type;
    it = form_type_cache_.insert_or_assign(event_type, std::pair{now, name}).first;
  }
  return it->second.second;
}

}  // namespace hookd::delivery
