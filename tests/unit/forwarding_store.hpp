#pragma once
// A Store that passes every call to another one: tests derive from it and override the calls they watch or
// hold, around a real store.
#include "store/store.hpp"

namespace hookd::test_support {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

  Result<Application> create_application(const Application& app) override {
    return inner_.create_application(app);
  }
  Result<Application> get_application(std::string_view id_or_uid) override {
    return inner_.get_application(id_or_uid);
  }
  Result<Application> update_application(const Application& app) override {
    return inner_.update_application(app);
  }
  Result<void> delete_application(std::string_view app_id) override {
    return inner_.delete_application(app_id);
  }
  Result<store::Page<Application>> list_applications(const store::PageRequest& page) override {
    return inner_.list_applications(page);
  }
  Result<EventType> create_event_type(const EventType& type) override {
    return inner_.create_event_type(type);
  }
  Result<EventType> get_event_type(std::string_view name) override { return inner_.get_event_type(name); }
  Result<EventType> update_event_type(const EventType& type) override {
    return inner_.update_event_type(type);
  }
  Result<void> delete_event_type(std::string_view name) override { return inner_.delete_event_type(name); }
  Result<store::Page<EventType>> list_event_types(const store::PageRequest& page,
                                                  bool include_archived) override {
    return inner_.list_event_types(page, include_archived);
  }
  Result<int> import_event_types(std::span<const EventType> types, bool overwrite) override {
    return inner_.import_event_types(types, overwrite);
  }
  Result<Endpoint> create_endpoint(const Endpoint& endpoint) override {
    return inner_.create_endpoint(endpoint);
  }
  Result<Endpoint> get_endpoint(std::string_view app_id, std::string_view id_or_uid) override {
    return inner_.get_endpoint(app_id, id_or_uid);
  }
  Result<Endpoint> update_endpoint(const Endpoint& endpoint) override {
    return inner_.update_endpoint(endpoint);
  }
  Result<void> delete_endpoint(std::string_view app_id, std::string_view endpoint_id) override {
    return inner_.delete_endpoint(app_id, endpoint_id);
  }
  Result<store::Page<Endpoint>> list_endpoints(std::string_view app_id,
                                               const store::PageRequest& page) override {
    return inner_.list_endpoints(app_id, page);
  }
  Result<std::vector<Endpoint>> all_endpoints(std::string_view app_id) override {
    return inner_.all_endpoints(app_id);
  }
  Result<store::EndpointStats> endpoint_stats(std::string_view app_id, std::string_view endpoint_id,
                                              std::optional<TimePoint> since,
                                              std::optional<TimePoint> until) override {
    return inner_.endpoint_stats(app_id, endpoint_id, since, until);
  }
  Result<int> reseal_endpoint_secrets() override { return inner_.reseal_endpoint_secrets(); }
  Result<store::CreatedMessage> create_message(const store::NewMessage& message) override {
    return inner_.create_message(message);
  }
  Result<Message> get_message(std::string_view app_id, std::string_view id_or_event_id) override {
    return inner_.get_message(app_id, id_or_event_id);
  }
  Result<store::Page<Message>> list_messages(std::string_view app_id, const store::MessageFilter& filter,
                                             const store::PageRequest& page) override {
    return inner_.list_messages(app_id, filter, page);
  }
  Result<store::Page<Attempt>> list_attempts(std::string_view app_id, const store::AttemptFilter& filter,
                                             const store::PageRequest& page) override {
    return inner_.list_attempts(app_id, filter, page);
  }
  Result<Attempt> get_attempt(std::string_view app_id, std::string_view attempt_id) override {
    return inner_.get_attempt(app_id, attempt_id);
  }
  Result<void> enqueue_resend(std::string_view app_id, std::string_view msg_id, std::string_view endpoint_id,
                              TimePoint now) override {
    return inner_.enqueue_resend(app_id, msg_id, endpoint_id, now);
  }
  Result<int> recover_failed(std::string_view app_id, std::string_view endpoint_id, TimePoint since,
                             std::optional<TimePoint> until, TimePoint now) override {
    return inner_.recover_failed(app_id, endpoint_id, since, until, now);
  }
  Result<std::optional<store::IdempotencyRecord>> get_idempotency(std::string_view key,
                                                                  TimePoint now) override {
    return inner_.get_idempotency(key, now);
  }
  Result<void> put_idempotency(const store::IdempotencyRecord& record) override {
    return inner_.put_idempotency(record);
  }
  Result<std::optional<std::string>> get_setting(std::string_view key) override {
    return inner_.get_setting(key);
  }
  Result<void> set_setting(std::string_view key, std::string_view value) override {
    return inner_.set_setting(key, value);
  }
  Result<std::vector<store::ClaimedDelivery>> claim_due(TimePoint now,
                                                        const store::ClaimOptions& options) override {
    return inner_.claim_due(now, options);
  }
  Result<void> record_outcomes(std::span<const store::AttemptOutcome> outcomes) override {
    return inner_.record_outcomes(outcomes);
  }
  Result<int> release_leases(std::string_view owner, TimePoint now) override {
    return inner_.release_leases(owner, now);
  }
  Result<int> rewind_schedule(TimePoint now, Millis step, std::string_view owner, Millis lease) override {
    return inner_.rewind_schedule(now, step, owner, lease);
  }
  Result<std::optional<TimePoint>> next_due_time() override { return inner_.next_due_time(); }
  Result<Endpoint> get_endpoint_by_id(std::string_view endpoint_id) override {
    return inner_.get_endpoint_by_id(endpoint_id);
  }
  Result<store::EndpointStats> queue_depth() override { return inner_.queue_depth(); }
  Result<std::optional<TimePoint>> oldest_pending_due() override { return inner_.oldest_pending_due(); }
  Result<store::FailingEndpoints> failing_endpoints(int limit) override {
    return inner_.failing_endpoints(limit);
  }
  Result<store::PruneResult> prune(TimePoint now, const store::RetentionPolicy& policy,
                                   int batch_limit) override {
    return inner_.prune(now, policy, batch_limit);
  }
  void set_work_listener(std::function<void()> listener) override {
    return inner_.set_work_listener(std::move(listener));
  }
  void set_lease_taker(std::shared_ptr<store::LeaseTaker> taker) override {
    return inner_.set_lease_taker(std::move(taker));
  }

 protected:
  store::Store& inner_;
};

}  // namespace hookd::test_support
