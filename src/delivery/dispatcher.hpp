#pragma once
// The dispatcher: claims due deliveries from the store (the queue), sends them through the HTTP client with
// bounded concurrency per endpoint and overall, and records every attempt with its retry decision.
// New deliveries the store wrote already leased to it (store::LeaseTaker) skip the claim.
// One thread owns all dispatch state; HTTP completions and handed deliveries come back through a mailbox.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "core/clock_step.hpp"
#include "core/ids.hpp"
#include "core/retry.hpp"
#include "delivery/delivery_metrics.hpp"
#include "delivery/http_client.hpp"
#include "delivery/request_slots.hpp"
#include "store/store.hpp"

namespace hookd::delivery {

struct DispatcherOptions {
  RetrySchedule schedule = RetrySchedule::standard();
  Millis request_timeout{15000};
  int claim_batch = 512;
  Millis lease{std::chrono::seconds(60)};  // longer than request_timeout plus a ping
  std::size_t max_in_flight = 4096;
  int per_endpoint_limit = 64;  // a slow endpoint holds at most this many of the max_in_flight slots
  Millis disable_after{std::chrono::hours(24 * 5)};
  Millis idle_poll{std::chrono::seconds(1)};  // re-check the queue at least this often
  Millis drain_timeout{std::chrono::seconds(10)};
  std::string node_id = "local";
};

class Dispatcher {
 public:
  Dispatcher(store::Store& store, HttpClient& client, const Clock& clock, RandomSource& random,
             IdGenerator& ids, DeliveryMetrics& metrics, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Stops claiming, waits (bounded) for requests in flight and records them. Unfinished ones keep their
  // lease and are taken again after it expires: at-least-once.
  void stop();
  void wake();  // new work is due

 private:
  struct InFlight;
  struct Completion {
    std::int64_t delivery_id;
    OutboundResponse response;
  };
  // Shared with HTTP callbacks, which may outlive a stopped dispatcher.
  struct Mailbox {
    std::mutex mutex;  // guards the fields below
    std::condition_variable cv;
    std::vector<Completion> completions;
    std::vector<store::ClaimedDelivery> handed;  // written leased to this dispatcher, not started yet
    bool woken = false;
    bool stopping = false;
  };

  class Intake;

  void run();
  // Claims due deliveries and starts them; `outcomes` (this turn's) are recorded with the first claim.
  void claim_more(std::vector<store::AttemptOutcome> outcomes);
  void record(std::span<const store::AttemptOutcome> outcomes);
  void record_failed(std::size_t count, const Error& error);
  // Starts one delivery this dispatcher holds a slot for: sends it, or ends it at once (its endpoint was
  // deleted or disabled, or its request cannot be built) into `ended`. Returns whether it was sent.
  bool begin(store::ClaimedDelivery claimed, TimePoint now, std::vector<store::AttemptOutcome>& ended);
  void begin_handed(std::vector<store::ClaimedDelivery> handed);
  void watch_clock();
  void send(InFlight& flight, OutboundRequest request);
  void handle(Completion&& completion, std::vector<store::AttemptOutcome>& outcomes);
  struct SentRequest {
    std::string headers_json;
    std::optional<std::string> body;  // set when it is not the message's payload
  };
  static SentRequest sent_record(const OutboundRequest& request, const Message& message);
  store::AttemptOutcome outcome_for(const InFlight& flight, const OutboundResponse& response,
                                    const SentRequest& sent, ErrorClass error_override);
  void notify_operator(const InFlight& flight, const store::AttemptOutcome& outcome, int status);
  const Endpoint* endpoint(const std::string& id);
  std::string form_type(const std::string& event_type);

  store::Store& store_;
  HttpClient& client_;
  const Clock& clock_;
  RandomSource& random_;
  IdGenerator& ids_;
  DeliveryMetrics& metrics_;
  DispatcherOptions options_;
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
  std::shared_ptr<RequestSlots> slots_;
  std::shared_ptr<Intake> intake_;
  std::thread thread_;

  // Owned by the dispatcher thread.
  std::map<std::int64_t, std::unique_ptr<InFlight>> in_flight_;
  std::map<std::string, std::pair<TimePoint, std::optional<Endpoint>>> endpoint_cache_;
  std::map<std::string, std::pair<TimePoint, std::string>> form_type_cache_;
  ClockStepDetector clock_steps_;
  bool claim_wanted_ = true;  // see run(): whether the next turn claims
  std::chrono::steady_clock::time_point last_claim_{};
};

}  // namespace hookd::delivery
