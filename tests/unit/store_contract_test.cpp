// The Store contract, run against every backend: each backend instantiates `StoreContract` with a factory
// that returns a store on a fresh, empty database (see the SQLite instantiation at the end of this file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "pg_cluster.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace hookd::store {
namespace {

using namespace std::chrono_literals;

struct StoreBackend {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;  // a store on a fresh, empty database
};

void PrintTo(const StoreBackend& backend, std::ostream* os) {
  *os << backend.name;
}

// Unwraps a Result or throws (GoogleTest reports the exception as a failure of the running test).
template <class T>
T must(Result<T> r, std::string_view what = "") {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().code + ": " + r.error().detail);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

class StoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
  }

  Store& store() { return *store_; }

  Application new_app(std::optional<std::string> uid = std::nullopt) {
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.uid = std::move(uid);
    app.name = "Test app";
    app.metadata_json = R"({"team":"a"})";
    app.created_at = app.updated_at = t0_;
    return app;
  }
  Application add_app(std::optional<std::string> uid = std::nullopt) {
    return must(store().create_application(new_app(std::move(uid))), "create_application");
  }

  Endpoint new_endpoint(const std::string& app_id, std::optional<std::string> uid = std::nullopt) {
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.app_id = app_id;
    ep.uid = std::move(uid);
    ep.url = "https://example.com/hook";
    ep.secrets = {EndpointSecret{"whsec_current", std::nullopt}};
    ep.created_at = ep.updated_at = t0_;
    return ep;
  }
  Endpoint add_endpoint(const std::string& app_id, bool fifo = false) {
    auto ep = new_endpoint(app_id);
    ep.fifo = fifo;
    return must(store().create_endpoint(ep), "create_endpoint");
  }

  Message new_message(const std::string& app_id, std::string event_type = "user.created",
                      std::optional<TimePoint> created_at = std::nullopt) {
    Message msg;
    msg.id = ids_.next(id_prefix::message);
    msg.app_id = app_id;
    msg.event_type = std::move(event_type);
    msg.payload = R"({"n":1})";
    msg.created_at = created_at.value_or(t0_);
    return msg;
  }
  CreatedMessage add_message(const std::string& app_id, std::vector<std::string> endpoint_ids,
                             std::string event_type = "user.created",
                             std::optional<TimePoint> created_at = std::nullopt) {
    NewMessage nm{new_message(app_id, std::move(event_type), created_at), std::move(endpoint_ids),
                  std::nullopt};
    return must(store().create_message(nm), "create_message");
  }

  std::vector<ClaimedDelivery> claim(TimePoint now, int limit = 100, std::vector<std::string> skip = {}) {
    ClaimOptions options;
    options.limit = limit;
    options.lease = lease_;
    options.owner = "node-test";
    options.skip_endpoint_ids = std::move(skip);
    return must(store().claim_due(now, options), "claim_due");
  }

  // `n` messages to one endpoint, then one claim of them all.
  std::vector<ClaimedDelivery> messages_claimed(const std::string& app_id, const std::string& endpoint_id,
                                                int n) {
    for (int i = 0; i < n; ++i) add_message(app_id, {endpoint_id});
    return claim(t0_);
  }

  AttemptOutcome outcome(const ClaimedDelivery& c, AttemptStatus status, int code, DeliveryStatus next,
                         std::optional<TimePoint> next_at = std::nullopt, TimePoint at = {}) {
    AttemptOutcome o;
    o.delivery_id = c.delivery.id;
    o.attempt.id = ids_.next(id_prefix::attempt);
    o.attempt.msg_id = c.delivery.msg_id;
    o.attempt.endpoint_id = c.delivery.endpoint_id;
    o.attempt.app_id = c.delivery.app_id;
    o.attempt.url = "https://example.com/hook";
    o.attempt.timestamp = at == TimePoint{} ? t0_ : at;
    o.attempt.status = status;
    o.attempt.response_status_code = code;
    o.attempt.response_body = "ok";
    o.attempt.duration_ms = 12;
    o.attempt.error = code == 0 ? ErrorClass::connect : ErrorClass::none;
    o.attempt.trigger = c.delivery.manual ? TriggerType::manual : TriggerType::scheduled;
    o.next_status = next;
    o.next_attempt_at = next_at;
    o.endpoint_succeeded = status == AttemptStatus::success;
    return o;
  }

  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  const TimePoint t0_ = from_millis(1'700'000'000'000);
  const Millis lease_ = 30s;
  std::unique_ptr<Store> store_;
};

template <class T>
std::vector<std::string> ids_of(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) out.push_back(item.id);
  return out;
}

// ---- applications, event types, endpoints ----

TEST_P(StoreContract, ApplicationCrudAndUidConflict) {
  Application app = add_app("acme");
  EXPECT_EQ(must(store().get_application(app.id)).uid, "acme");
  Application by_uid = must(store().get_application("acme"));
  EXPECT_EQ(by_uid.id, app.id);
  EXPECT_EQ(by_uid.metadata_json, R"({"team":"a"})");
  EXPECT_EQ(by_uid.created_at, t0_);

  auto duplicate = store().create_application(new_app("acme"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, ErrorKind::conflict);
  EXPECT_EQ(duplicate.error().code, "conflict");

  Application other = add_app("other");
  app.name = "Renamed";
  app.rate_limit = 7;
  app.updated_at = t0_ + 5s;
  Application updated = must(store().update_application(app));
  EXPECT_EQ(updated.name, "Renamed");
  EXPECT_EQ(updated.rate_limit, 7);
  EXPECT_EQ(updated.created_at, t0_);
  EXPECT_EQ(updated.updated_at, t0_ + 5s);

  other.uid = "acme";  // taken by `app`
  auto taken = store().update_application(other);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::conflict);

  must(store().delete_application(app.id));
  EXPECT_EQ(store().get_application(app.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().delete_application(app.id).error().kind, ErrorKind::not_found);
  Application missing = new_app();
  EXPECT_EQ(store().update_application(missing).error().kind, ErrorKind::not_found);
  // The uid is free again once its application is gone.
  add_app("acme");
}

TEST_P(StoreContract, EventTypeCrudConflictAndImport) {
  EventType type;
  type.name = "user.created";
  type.description = "A user was created";
  type.schemas_json = R"({"1":{"type":"object"}})";
  type.created_at = type.updated_at = t0_;
  must(store().create_event_type(type));
  auto duplicate = store().create_event_type(type);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, ErrorKind::conflict);
  EXPECT_EQ(duplicate.error().code, "event_type_exists");

  type.description = "changed";
  type.archived = true;
  EXPECT_EQ(must(store().update_event_type(type)).description, "changed");
  EventType got = must(store().get_event_type("user.created"));
  EXPECT_TRUE(got.archived);
  EXPECT_EQ(got.schemas_json, R"({"1":{"type":"object"}})");

  EXPECT_TRUE(must(store().list_event_types({}, /*include_archived=*/false)).items.empty());
  EXPECT_EQ(must(store().list_event_types({}, true)).items.size(), 1u);

  std::vector<EventType> batch(2);
  batch[0].name = "user.created";
  batch[0].description = "from catalog";
  batch[1].name = "user.deleted";
  EXPECT_EQ(must(store().import_event_types(batch, /*overwrite=*/false)), 1);
  EXPECT_EQ(must(store().get_event_type("user.created")).description, "changed");
  EXPECT_EQ(must(store().import_event_types(batch, /*overwrite=*/true)), 2);
  EXPECT_EQ(must(store().get_event_type("user.created")).description, "from catalog");

  must(store().delete_event_type("user.deleted"));
  EXPECT_EQ(store().get_event_type("user.deleted").error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().delete_event_type("user.deleted").error().kind, ErrorKind::not_found);
  EventType unknown;
  unknown.name = "nope";
  EXPECT_EQ(store().update_event_type(unknown).error().kind, ErrorKind::not_found);
}

// What a message create reads, in one call: the event type, the tenant's setting, every endpoint of the
// tenant (disabled ones too, for the fan-out to skip), each as just written.
TEST_P(StoreContract, IngestConfigReadsTheTypeTheSettingAndEveryEndpointAsWritten) {
  Application app = add_app();
  Application other = add_app();
  EventType type;
  type.name = "user.created";
  type.created_at = type.updated_at = t0_;
  must(store().create_event_type(type));
  auto missing = store().ingest_config(app.id, "no.such.type", "validation:" + app.id);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);

  Endpoint first = add_endpoint(app.id);
  Endpoint second = add_endpoint(app.id);
  add_endpoint(other.id);
  second.disabled = true;
  must(store().update_endpoint(second));
  auto config = must(store().ingest_config(app.id, type.name, "validation:" + app.id));
  EXPECT_EQ(config.event_type.name, type.name);
  EXPECT_FALSE(config.validation_setting.has_value());
  ASSERT_EQ(config.endpoints.size(), 2u);
  EXPECT_EQ(config.endpoints[0].id, std::min(first.id, second.id));
  EXPECT_TRUE(config.endpoints[first.id < second.id ? 1 : 0].disabled);

  must(store().set_setting("validation:" + app.id, "strict"));
  type.archived = true;
  must(store().update_event_type(type));
  must(store().delete_endpoint(app.id, first.id));
  config = must(store().ingest_config(app.id, type.name, "validation:" + app.id));
  EXPECT_EQ(config.validation_setting, std::optional<std::string>("strict"));
  EXPECT_TRUE(config.event_type.archived);
  ASSERT_EQ(config.endpoints.size(), 1u);
  EXPECT_EQ(config.endpoints[0].id, second.id);
}

TEST_P(StoreContract, EventTypesListSortedByNameWithPages) {
  std::vector<EventType> types;
  for (std::string name : {"c.x", "a.x", "d.x", "b.x"}) {
    EventType t;
    t.name = name;
    types.push_back(t);
  }
  EXPECT_EQ(must(store().import_event_types(types, false)), 4);
  auto first = must(store().list_event_types(PageRequest{2, std::nullopt, false}, false));
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].name, "a.x");
  EXPECT_EQ(first.items[1].name, "b.x");
  EXPECT_FALSE(first.done);
  auto second = must(store().list_event_types(PageRequest{2, "b.x", false}, false));
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_EQ(second.items[0].name, "c.x");
  EXPECT_TRUE(second.done);
}

TEST_P(StoreContract, EndpointCrudRoundTripAndConflicts) {
  Application app = add_app();
  Application other_app = add_app();
  Endpoint ep = new_endpoint(app.id, "primary");
  ep.description = "main";
  ep.event_types = std::vector<std::string>{"user.*", "order.paid"};
  ep.channels = std::vector<std::string>{"eu"};
  ep.headers = {{"X-Team", "a"}};
  ep.secrets = {EndpointSecret{"whsec_new", std::nullopt}, EndpointSecret{"whsec_old", t0_ + 24h}};
  ep.rate_limit = 10;
  ep.body_format = BodyFormat::form;
  ep.success_rule = SuccessRule::ok_with_body;
  ep.auth_id = "user";
  ep.auth_secret = "pw";
  must(store().create_endpoint(ep));

  Endpoint got = must(store().get_endpoint(app.id, "primary"));
  EXPECT_EQ(got.id, ep.id);
  EXPECT_EQ(got.event_types, ep.event_types);
  EXPECT_EQ(got.channels, ep.channels);
  EXPECT_EQ(got.headers, ep.headers);
  ASSERT_EQ(got.secrets.size(), 2u);
  EXPECT_EQ(got.secrets[1].key, "whsec_old");
  EXPECT_EQ(got.secrets[1].expires_at, t0_ + 24h);
  EXPECT_FALSE(got.secrets[0].expires_at.has_value());
  EXPECT_EQ(got.rate_limit, 10);
  EXPECT_EQ(got.body_format, BodyFormat::form);
  EXPECT_EQ(got.success_rule, SuccessRule::ok_with_body);
  EXPECT_EQ(got.auth_secret, "pw");
  EXPECT_FALSE(got.channels == std::nullopt);
  EXPECT_EQ(must(store().get_endpoint_by_id(ep.id)).app_id, app.id);

  auto duplicate = store().create_endpoint(new_endpoint(app.id, "primary"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, ErrorKind::conflict);
  EXPECT_EQ(duplicate.error().code, "conflict");
  must(store().create_endpoint(new_endpoint(other_app.id, "primary")));  // uids are per application
  EXPECT_EQ(store().create_endpoint(new_endpoint("app_missing")).error().kind, ErrorKind::not_found);

  got.url = "https://example.com/v2";
  got.event_types = std::nullopt;
  got.updated_at = t0_ + 1s;
  Endpoint updated = must(store().update_endpoint(got));
  EXPECT_EQ(updated.url, "https://example.com/v2");
  EXPECT_FALSE(updated.event_types.has_value());

  Endpoint second = add_endpoint(app.id);
  auto all = must(store().all_endpoints(app.id));
  EXPECT_EQ(ids_of(all), (std::vector<std::string>{ep.id, second.id}));
  auto page = must(store().list_endpoints(app.id, PageRequest{1, std::nullopt, false}));
  EXPECT_EQ(ids_of(page.items), std::vector<std::string>{ep.id});
  EXPECT_FALSE(page.done);

  must(store().delete_endpoint(app.id, ep.id));
  EXPECT_EQ(store().get_endpoint(app.id, ep.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().delete_endpoint(app.id, ep.id).error().kind, ErrorKind::not_found);
}

TEST_P(StoreContract, ReenablingAnEndpointClearsItsFailingStreak) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  add_message(app.id, {ep.id});
  auto claimed = claim(t0_);
  ASSERT_EQ(claimed.size(), 1u);
  auto fail = outcome(claimed[0], AttemptStatus::fail, 410, DeliveryStatus::failed);
  fail.disable_endpoint = true;
  must(store().record_outcomes(std::span(&fail, 1)));
  Endpoint disabled = must(store().get_endpoint(app.id, ep.id));
  EXPECT_TRUE(disabled.disabled);
  EXPECT_EQ(disabled.failing_since, t0_);

  disabled.disabled = false;
  Endpoint enabled = must(store().update_endpoint(disabled));
  EXPECT_FALSE(enabled.disabled);
  EXPECT_FALSE(enabled.failing_since.has_value());
}

// ---- tenant scoping ----

TEST_P(StoreContract, AnotherApplicationCannotReachRowsById) {
  Application a = add_app();
  Application b = add_app();
  Endpoint ep = add_endpoint(a.id);
  auto created = add_message(a.id, {ep.id});
  auto claimed = claim(t0_);
  ASSERT_EQ(claimed.size(), 1u);
  auto ok = outcome(claimed[0], AttemptStatus::success, 200, DeliveryStatus::succeeded);
  must(store().record_outcomes(std::span(&ok, 1)));

  EXPECT_EQ(store().get_endpoint(b.id, ep.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().get_message(b.id, created.message.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().get_attempt(b.id, ok.attempt.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().delete_endpoint(b.id, ep.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().enqueue_resend(b.id, created.message.id, ep.id, t0_).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().recover_failed(b.id, ep.id, t0_, std::nullopt, t0_).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().endpoint_stats(b.id, ep.id, std::nullopt, std::nullopt).error().kind,
            ErrorKind::not_found);
  EXPECT_TRUE(must(store().list_messages(b.id, {}, {})).items.empty());
  EXPECT_TRUE(must(store().list_attempts(b.id, {}, {})).items.empty());
  Endpoint hijack = ep;
  hijack.app_id = b.id;
  EXPECT_EQ(store().update_endpoint(hijack).error().kind, ErrorKind::not_found);

  // Still all there for the owner.
  EXPECT_EQ(must(store().get_endpoint(a.id, ep.id)).id, ep.id);
  EXPECT_EQ(must(store().get_attempt(a.id, ok.attempt.id)).response_status_code, 200);
}

TEST_P(StoreContract, DeliveriesAreOnlyWrittenForTheMessagesOwnEndpoints) {
  Application a = add_app();
  Application b = add_app();
  Endpoint mine = add_endpoint(a.id);
  Endpoint theirs = add_endpoint(b.id);
  auto created = add_message(a.id, {mine.id, theirs.id, "ep_missing"});
  EXPECT_EQ(created.endpoint_ids, std::vector<std::string>{mine.id});
  auto claimed = claim(t0_);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].delivery.endpoint_id, mine.id);
  EXPECT_EQ(store().create_message(NewMessage{new_message("app_missing"), {}, std::nullopt}).error().kind,
            ErrorKind::not_found);
}

// ---- messages ----

TEST_P(StoreContract, CreateMessageIsIdempotentByEventId) {
  Application app = add_app();
  Application other = add_app();
  Endpoint ep = add_endpoint(app.id);
  Message first = new_message(app.id);
  first.event_id = "evt-1";
  first.channels = std::vector<std::string>{"eu", "vip"};
  auto created = must(store().create_message(NewMessage{first, {ep.id}, std::nullopt}));
  EXPECT_FALSE(created.existed);
  EXPECT_EQ(created.endpoint_ids, std::vector<std::string>{ep.id});

  Message again = new_message(app.id);
  again.event_id = "evt-1";
  again.payload = R"({"n":2})";
  auto repeated = must(store().create_message(NewMessage{again, {ep.id}, std::nullopt}));
  EXPECT_TRUE(repeated.existed);
  EXPECT_TRUE(repeated.endpoint_ids.empty());
  EXPECT_EQ(repeated.message.id, first.id);
  EXPECT_EQ(repeated.message.payload, first.payload);
  EXPECT_EQ(repeated.message.channels, first.channels);
  EXPECT_EQ(store().get_message(app.id, again.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(claim(t0_).size(), 1u);  // one delivery only

  EXPECT_EQ(must(store().get_message(app.id, "evt-1")).id, first.id);
  EXPECT_EQ(must(store().get_message(app.id, first.id)).event_id, "evt-1");

  // The same event id in another application is another message.
  Message elsewhere = new_message(other.id);
  elsewhere.event_id = "evt-1";
  EXPECT_FALSE(must(store().create_message(NewMessage{elsewhere, {}, std::nullopt})).existed);
}

TEST_P(StoreContract, MessagesPageNewestFirstForwardsAndBackwards) {
  Application app = add_app();
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 5; ++i) ids.push_back(add_message(app.id, {}).message.id);

  auto p1 = must(store().list_messages(app.id, {}, PageRequest{2, std::nullopt, false}));
  EXPECT_EQ(ids_of(p1.items), (std::vector<std::string>{ids[4], ids[3]}));
  EXPECT_FALSE(p1.done);
  auto p2 = must(store().list_messages(app.id, {}, PageRequest{2, ids[3], false}));
  EXPECT_EQ(ids_of(p2.items), (std::vector<std::string>{ids[2], ids[1]}));
  EXPECT_FALSE(p2.done);
  auto p3 = must(store().list_messages(app.id, {}, PageRequest{2, ids[1], false}));
  EXPECT_EQ(ids_of(p3.items), std::vector<std::string>{ids[0]});
  EXPECT_TRUE(p3.done);

  // Backwards from ids[1]: the newer neighbours, still newest first.
  auto back = must(store().list_messages(app.id, {}, PageRequest{2, ids[1], true}));
  EXPECT_EQ(ids_of(back.items), (std::vector<std::string>{ids[3], ids[2]}));
  EXPECT_FALSE(back.done);
  auto back_end = must(store().list_messages(app.id, {}, PageRequest{2, ids[3], true}));
  EXPECT_EQ(ids_of(back_end.items), std::vector<std::string>{ids[4]});
  EXPECT_TRUE(back_end.done);

  auto exact = must(store().list_messages(app.id, {}, PageRequest{5, std::nullopt, false}));
  EXPECT_EQ(exact.items.size(), 5u);
  EXPECT_TRUE(exact.done);
}

TEST_P(StoreContract, ApplicationsPageOldestFirstForwardsAndBackwards) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(add_app().id);
  auto p1 = must(store().list_applications(PageRequest{3, std::nullopt, false}));
  EXPECT_EQ(ids_of(p1.items), (std::vector<std::string>{ids[0], ids[1], ids[2]}));
  EXPECT_FALSE(p1.done);
  auto p2 = must(store().list_applications(PageRequest{3, ids[2], false}));
  EXPECT_EQ(ids_of(p2.items), (std::vector<std::string>{ids[3], ids[4]}));
  EXPECT_TRUE(p2.done);
  auto back = must(store().list_applications(PageRequest{2, ids[3], true}));
  EXPECT_EQ(ids_of(back.items), (std::vector<std::string>{ids[1], ids[2]}));
  EXPECT_FALSE(back.done);
  auto back_end = must(store().list_applications(PageRequest{2, ids[1], true}));
  EXPECT_EQ(ids_of(back_end.items), std::vector<std::string>{ids[0]});
  EXPECT_TRUE(back_end.done);
}

TEST_P(StoreContract, MessageFilters) {
  Application app = add_app();
  auto add = [&](std::string type, std::optional<std::vector<std::string>> channels, TimePoint at) {
    Message m = new_message(app.id, std::move(type), at);
    m.channels = std::move(channels);
    return must(store().create_message(NewMessage{m, {}, std::nullopt})).message.id;
  };
  std::string a = add("user.created", std::vector<std::string>{"eu_west"}, t0_);
  std::string b = add("user.deleted", std::vector<std::string>{"euxwest", "us"}, t0_ + 1s);
  std::string c = add("order.paid", std::nullopt, t0_ + 2s);

  MessageFilter by_type;
  by_type.event_types = std::vector<std::string>{"user.created", "order.paid"};
  EXPECT_EQ(ids_of(must(store().list_messages(app.id, by_type, {})).items), (std::vector<std::string>{c, a}));

  MessageFilter by_channel;  // '_' is not a wildcard: "eu_west" must not match "euxwest"
  by_channel.channel = "eu_west";
  EXPECT_EQ(ids_of(must(store().list_messages(app.id, by_channel, {})).items), std::vector<std::string>{a});
  by_channel.channel = "us";
  EXPECT_EQ(ids_of(must(store().list_messages(app.id, by_channel, {})).items), std::vector<std::string>{b});
  by_channel.channel = "US";
  EXPECT_TRUE(must(store().list_messages(app.id, by_channel, {})).items.empty());

  MessageFilter window;
  window.after = t0_;
  window.before = t0_ + 2s;
  EXPECT_EQ(ids_of(must(store().list_messages(app.id, window, {})).items), std::vector<std::string>{b});

  MessageFilter no_content;
  no_content.with_content = false;
  auto listed = must(store().list_messages(app.id, no_content, {})).items;
  ASSERT_EQ(listed.size(), 3u);
  for (const auto& m : listed) EXPECT_TRUE(m.payload.empty());
  EXPECT_EQ(listed[1].channels, (std::vector<std::string>{"euxwest", "us"}));
  EXPECT_EQ(must(store().list_messages(app.id, {}, {})).items[0].payload, R"({"n":1})");
}

// ---- the delivery queue ----

// Every expired lease comes back, also when claims are smaller than the number of expired rows, and a lease
// renewed by a reclaim is not taken again before it ends (the SQLite store scans for expired leases only
// when one of the leases it granted may have ended).
TEST_P(StoreContract, ExpiredLeasesComeBackAcrossSmallClaims) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  for (int i = 0; i < 5; ++i) add_message(app.id, {ep.id}, "user.created", t0_ - 1s);
  ASSERT_EQ(claim(t0_).size(), 5u);
  const TimePoint expired = t0_ + lease_ + 1ms;
  std::size_t back = 0;
  for (int round = 0; round < 5 && back < 5; ++round) back += claim(expired + Millis(round), 2).size();
  EXPECT_EQ(back, 5u);
  EXPECT_TRUE(claim(expired + 10ms).empty());                // reclaimed rows hold new leases
  EXPECT_EQ(claim(expired + 10ms + lease_, 10).size(), 5u);  // which end in their turn
}

TEST_P(StoreContract, ClaimLeasesRowsUntilTheLeaseExpires) {
  Application app = add_app();
  Endpoint e1 = add_endpoint(app.id);
  Endpoint e2 = add_endpoint(app.id);
  auto early = add_message(app.id, {e1.id, e2.id}, "user.created", t0_ - 1s);
  add_message(app.id, {e1.id}, "user.created", t0_ + 10s);  // not due yet

  EXPECT_EQ(must(store().next_due_time()), t0_ - 1s);
  auto claimed = claim(t0_);
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& c : claimed) {
    EXPECT_EQ(c.delivery.status, DeliveryStatus::sending);
    EXPECT_EQ(c.delivery.msg_id, early.message.id);
    EXPECT_EQ(c.message.payload, R"({"n":1})");
    EXPECT_EQ(c.delivery.attempt_count, 0);
    EXPECT_FALSE(c.delivery.manual);
  }
  EXPECT_TRUE(claim(t0_ + 1s).empty());
  auto depth = must(store().queue_depth());
  EXPECT_EQ(depth.sending, 2);
  EXPECT_EQ(depth.pending, 1);

  // At t0+10s the later message is due, but the leased rows are still held (lease ends at t0+30s).
  auto later = claim(t0_ + 10s);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_NE(later[0].delivery.msg_id, early.message.id);
  EXPECT_TRUE(claim(t0_ + lease_).empty());  // lease_until < now is required
  auto reclaimed = claim(t0_ + lease_ + 1ms);
  ASSERT_EQ(reclaimed.size(), 2u);  // the node holding them "died": the rows come back
  EXPECT_EQ(reclaimed[0].delivery.msg_id, early.message.id);
}

TEST_P(StoreContract, ReleaseLeasesFreesOnlyThatNodesRowsAtOnce) {
  Application app = add_app();
  Endpoint e = add_endpoint(app.id);
  add_message(app.id, {e.id}, "user.created", t0_ - 2s);
  add_message(app.id, {e.id}, "user.created", t0_ - 1s);
  ASSERT_EQ(claim(t0_, 1).size(), 1u);  // leased to "node-test"
  ClaimOptions other;
  other.lease = lease_;
  other.owner = "node-other";
  ASSERT_EQ(must(store().claim_due(t0_, other)).size(), 1u);

  EXPECT_EQ(must(store().release_leases("node-test", t0_ + 1s)), 1);
  auto again = claim(t0_ + 1s);  // long before the lease would have expired
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(must(store().release_leases("nobody", t0_ + 1s)), 0);
  EXPECT_EQ(must(store().queue_depth()).sending, 2);
}

// The wall clock stepped back from T = t0 + 2h to t0: what was scheduled on the old timeline moves with it.
TEST_P(StoreContract, RewindScheduleMovesDueTimesAndOwnLeasesBack) {
  const TimePoint T = t0_ + 2h;
  Application app = add_app();
  Endpoint e = add_endpoint(app.id);
  auto retry = add_message(app.id, {e.id}, "user.created", T - 10s);
  auto overdue = add_message(app.id, {e.id}, "user.created", T - 9s);
  auto mine = add_message(app.id, {e.id}, "user.created", T - 8s);
  auto theirs = add_message(app.id, {e.id}, "user.created", T - 7s);
  auto failed = claim(T, 2);
  ASSERT_EQ(failed.size(), 2u);
  ASSERT_EQ(claim(T, 1).at(0).delivery.msg_id, mine.message.id);  // leased to node-test until T + lease
  ClaimOptions other;
  other.lease = lease_;
  other.owner = "node-other";
  ASSERT_EQ(must(store().claim_due(T, other)).at(0).delivery.msg_id, theirs.message.id);
  must(store().record_outcomes(
      std::vector{outcome(failed[0], AttemptStatus::fail, 500, DeliveryStatus::pending, T + 5s, T),
                  outcome(failed[1], AttemptStatus::fail, 500, DeliveryStatus::pending, T - 30min, T)}));
  auto fresh = add_message(app.id, {e.id}, "user.created", t0_ - 1s);  // written after the step

  EXPECT_EQ(must(store().rewind_schedule(t0_, 2h, "node-test", lease_)), 2);

  auto now_due = claim(t0_);
  std::set<std::string> ids;
  for (const auto& c : now_due) ids.insert(c.delivery.msg_id);
  // The overdue retry is due now (not 30 minutes before now); the fresh message was not moved.
  EXPECT_EQ(ids, (std::set<std::string>{overdue.message.id, fresh.message.id}));
  EXPECT_TRUE(claim(t0_ + 4s).empty());
  auto retried = claim(t0_ + 5s);  // due 5 s after the step, as it was 5 s after T
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].delivery.msg_id, retry.message.id);
  // This node's lease now ends one lease after the step; the other node's lease is left alone.
  // (The rows claimed above at t0 come back too: their leases end at the same time.)
  std::set<std::string> expired;
  for (const auto& c : claim(t0_ + lease_ + 1ms)) expired.insert(c.delivery.msg_id);
  EXPECT_TRUE(expired.contains(mine.message.id));
  EXPECT_FALSE(expired.contains(theirs.message.id));
  EXPECT_EQ(must(store().rewind_schedule(t0_ + lease_, 2h, "node-test", lease_)), 0);
}

TEST_P(StoreContract, ClaimHonoursLimitOrderAndSkippedEndpoints) {
  Application app = add_app();
  Endpoint busy = add_endpoint(app.id);
  Endpoint idle = add_endpoint(app.id);
  auto m3 = add_message(app.id, {idle.id}, "a", t0_ - 1s);
  auto m1 = add_message(app.id, {idle.id, busy.id}, "a", t0_ - 3s);
  auto m2 = add_message(app.id, {idle.id}, "a", t0_ - 2s);

  auto first = claim(t0_, 2, {busy.id});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].delivery.msg_id, m1.message.id);  // oldest due first
  EXPECT_EQ(first[0].delivery.endpoint_id, idle.id);
  EXPECT_EQ(first[1].delivery.msg_id, m2.message.id);
  auto rest = claim(t0_, 10, {busy.id});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].delivery.msg_id, m3.message.id);
  auto skipped = claim(t0_, 10);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].delivery.endpoint_id, busy.id);
}

// Within one batch of outcomes, an endpoint's failing streak follows their order: the last one decides.
TEST_P(StoreContract, RecordOutcomesInOneBatchSetTheFailingStreakInOrder) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  for (int i = 0; i < 6; ++i) add_message(app.id, {ep.id});
  auto claimed = claim(t0_, 10);
  ASSERT_EQ(claimed.size(), 6u);
  auto success = [&](int i) {
    return outcome(claimed[i], AttemptStatus::success, 200, DeliveryStatus::succeeded, std::nullopt, t0_);
  };
  auto failure = [&](int i, TimePoint at) {
    return outcome(claimed[i], AttemptStatus::fail, 500, DeliveryStatus::pending, at + 5s, at);
  };
  // The dispatcher's read (get_endpoint_by_id, cached by the SQLite store) sees each change at once.
  EXPECT_FALSE(must(store().get_endpoint_by_id(ep.id)).failing_since.has_value());
  std::vector<AttemptOutcome> ends_failing{success(0), success(1), failure(2, t0_ + 1s)};
  must(store().record_outcomes(ends_failing));
  EXPECT_EQ(must(store().get_endpoint(app.id, ep.id)).failing_since, t0_ + 1s);
  EXPECT_EQ(must(store().get_endpoint_by_id(ep.id)).failing_since, t0_ + 1s);
  std::vector<AttemptOutcome> ends_succeeding{success(3), failure(4, t0_ + 2s), success(5)};
  must(store().record_outcomes(ends_succeeding));
  EXPECT_FALSE(must(store().get_endpoint(app.id, ep.id)).failing_since.has_value());
  EXPECT_FALSE(must(store().get_endpoint_by_id(ep.id)).failing_since.has_value());
  auto attempts = must(store().list_attempts(app.id, AttemptFilter{}, PageRequest{}));
  EXPECT_EQ(attempts.items.size(), 6u);
}

TEST_P(StoreContract, RecordOutcomesMovesDeliveriesAndEndpoints) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  auto msg = add_message(app.id, {ep.id});
  auto claimed = claim(t0_);
  ASSERT_EQ(claimed.size(), 1u);

  // A failure: retry later. The lease is released and the row waits for its next time.
  auto retry = outcome(claimed[0], AttemptStatus::fail, 500, DeliveryStatus::pending, t0_ + 5s, t0_);
  must(store().record_outcomes(std::span(&retry, 1)));
  EXPECT_EQ(must(store().get_endpoint(app.id, ep.id)).failing_since, t0_);
  EXPECT_EQ(must(store().next_due_time()), t0_ + 5s);
  EXPECT_TRUE(claim(t0_ + 4s).empty());
  auto second = claim(t0_ + 5s);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].delivery.attempt_count, 1);

  // Another failure keeps the streak's start; a network error has status code 0.
  auto again = outcome(second[0], AttemptStatus::fail, 0, DeliveryStatus::pending, t0_ + 10s, t0_ + 5s);
  must(store().record_outcomes(std::span(&again, 1)));
  EXPECT_EQ(must(store().get_endpoint(app.id, ep.id)).failing_since, t0_);
  auto third = claim(t0_ + 10s);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].delivery.attempt_count, 2);

  auto ok =
      outcome(third[0], AttemptStatus::success, 204, DeliveryStatus::succeeded, std::nullopt, t0_ + 10s);
  must(store().record_outcomes(std::span(&ok, 1)));
  EXPECT_FALSE(must(store().get_endpoint(app.id, ep.id)).failing_since.has_value());
  EXPECT_TRUE(claim(t0_ + 1h).empty());
  EXPECT_FALSE(must(store().next_due_time()).has_value());
  auto depth = must(store().queue_depth());
  EXPECT_EQ(depth.success, 1);
  EXPECT_EQ(depth.pending + depth.sending + depth.fail, 0);
  auto stats = must(store().endpoint_stats(app.id, ep.id, std::nullopt, std::nullopt));
  EXPECT_EQ(stats.success, 1);

  // The attempt log, newest first, with its filters.
  AttemptFilter by_msg;
  by_msg.msg_id = msg.message.id;
  auto attempts = must(store().list_attempts(app.id, by_msg, {})).items;
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].id, ok.attempt.id);
  EXPECT_EQ(attempts[0].status, AttemptStatus::success);
  EXPECT_EQ(attempts[2].response_status_code, 500);
  EXPECT_EQ(attempts[1].error, ErrorClass::connect);
  EXPECT_EQ(attempts[0].timestamp, t0_ + 10s);
  EXPECT_EQ(attempts[0].duration_ms, 12);
  EXPECT_FALSE(attempts[0].request_body.has_value());

  AttemptFilter by_class;
  by_class.endpoint_id = ep.id;
  by_class.status_code_class = 200;
  EXPECT_EQ(ids_of(must(store().list_attempts(app.id, by_class, {})).items),
            std::vector<std::string>{ok.attempt.id});
  by_class.status_code_class = 0;
  EXPECT_EQ(ids_of(must(store().list_attempts(app.id, by_class, {})).items),
            std::vector<std::string>{again.attempt.id});
  by_class.status_code_class = 500;
  EXPECT_EQ(ids_of(must(store().list_attempts(app.id, by_class, {})).items),
            std::vector<std::string>{retry.attempt.id});

  AttemptFilter by_status;
  by_status.status = AttemptStatus::fail;
  EXPECT_EQ(must(store().list_attempts(app.id, by_status, {})).items.size(), 2u);
  AttemptFilter by_type;
  by_type.event_types = std::vector<std::string>{"order.paid"};
  EXPECT_TRUE(must(store().list_attempts(app.id, by_type, {})).items.empty());
  by_type.event_types = std::vector<std::string>{"user.created"};
  EXPECT_EQ(must(store().list_attempts(app.id, by_type, {})).items.size(), 3u);
  AttemptFilter window;
  window.after = t0_;
  window.before = t0_ + 10s;
  EXPECT_EQ(ids_of(must(store().list_attempts(app.id, window, {})).items),
            std::vector<std::string>{again.attempt.id});
  auto paged = must(store().list_attempts(app.id, {}, PageRequest{2, std::nullopt, false}));
  EXPECT_EQ(ids_of(paged.items), (std::vector<std::string>{ok.attempt.id, again.attempt.id}));
  EXPECT_FALSE(paged.done);
}

TEST_P(StoreContract, RecordOutcomesIsAllOrNothing) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  auto claimed = messages_claimed(app.id, ep.id, 2);
  ASSERT_EQ(claimed.size(), 2u);
  std::vector<AttemptOutcome> batch{
      outcome(claimed[0], AttemptStatus::success, 200, DeliveryStatus::succeeded),
      outcome(claimed[1], AttemptStatus::success, 200, DeliveryStatus::succeeded)};
  batch[1].attempt.id = batch[0].attempt.id;  // the second insert fails after the first one's updates
  auto recorded = store().record_outcomes(batch);
  ASSERT_FALSE(recorded);
  EXPECT_EQ(recorded.error().kind, ErrorKind::conflict);
  auto depth = must(store().queue_depth());
  EXPECT_EQ(depth.sending, 2);
  EXPECT_EQ(depth.success, 0);
  EXPECT_TRUE(must(store().list_attempts(app.id, {}, {})).items.empty());
  EXPECT_EQ(claim(t0_ + lease_ + 1ms).size(), 2u);
}

// Attempts come back exactly as recorded, whatever their text holds (the PostgreSQL store sends a batch's
// attempts as array literals, which quote and escape every element), and a batch whose deliveries are
// partly gone records the others.
TEST_P(StoreContract, RecordedAttemptsKeepEveryFieldExactly) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  auto claimed = messages_claimed(app.id, ep.id, 2);
  ASSERT_EQ(claimed.size(), 2u);
  auto odd = outcome(claimed[0], AttemptStatus::fail, 503, DeliveryStatus::pending, t0_ + 5s, t0_ + 1s);
  odd.attempt.response_body = "NULL";
  odd.attempt.response_headers_json = R"({"x":"a \"quoted\" {brace}, comma"})";
  odd.attempt.request_headers_json = "back\\slash \" \\\" end\\";
  odd.attempt.request_body = "";
  odd.attempt.error = ErrorClass::http_status;
  odd.attempt.error_detail = "  spaces around, and ünïcødé ✓  ";
  odd.attempt.duration_ms = 1234;
  auto plain = outcome(claimed[1], AttemptStatus::success, 200, DeliveryStatus::succeeded);
  AttemptOutcome gone = plain;  // a delivery that no longer exists: nothing is logged for it
  gone.delivery_id = claimed[1].delivery.id + 1000;
  gone.attempt.id = ids_.next(id_prefix::attempt);
  std::vector<AttemptOutcome> batch{odd, gone, plain};
  must(store().record_outcomes(batch));

  Attempt got = must(store().get_attempt(app.id, odd.attempt.id));
  EXPECT_EQ(got.msg_id, odd.attempt.msg_id);
  EXPECT_EQ(got.endpoint_id, ep.id);
  EXPECT_EQ(got.url, odd.attempt.url);
  EXPECT_EQ(got.timestamp, t0_ + 1s);
  EXPECT_EQ(got.status, AttemptStatus::fail);
  EXPECT_EQ(got.response_status_code, 503);
  EXPECT_EQ(got.response_body, "NULL");
  EXPECT_EQ(got.response_headers_json, odd.attempt.response_headers_json);
  EXPECT_EQ(got.request_headers_json, odd.attempt.request_headers_json);
  ASSERT_TRUE(got.request_body.has_value()) << "an empty body is not NULL";
  EXPECT_EQ(*got.request_body, "");
  EXPECT_EQ(got.duration_ms, 1234);
  EXPECT_EQ(got.error, ErrorClass::http_status);
  EXPECT_EQ(got.error_detail, odd.attempt.error_detail);
  EXPECT_EQ(got.trigger, TriggerType::scheduled);
  EXPECT_FALSE(must(store().get_attempt(app.id, plain.attempt.id)).request_body.has_value());
  EXPECT_EQ(store().get_attempt(app.id, gone.attempt.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(must(store().list_attempts(app.id, {}, {})).items.size(), 2u);
  auto depth = must(store().queue_depth());
  EXPECT_EQ(depth.pending, 1);
  EXPECT_EQ(depth.success, 1);
  EXPECT_TRUE(claim(t0_ + 4s).empty());
  EXPECT_EQ(claim(t0_ + 6s).size(), 1u) << "the failed one is due again at its next attempt";
}

// The claim after a turn's outcomes sees them: a delivery recorded frees its endpoint's slot for the claim
// that follows in the same call. A failed recording does not stop the claim.
TEST_P(StoreContract, RecordThenClaimClaimsIntoTheSlotsTheOutcomesFreed) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  for (int i = 0; i < 4; ++i) add_message(app.id, {ep.id}, "a", t0_ - std::chrono::seconds(10 - i));
  ClaimOptions options;
  options.limit = 10;
  options.lease = lease_;
  options.owner = "node-test";
  options.per_endpoint_limit = 2;
  auto first = must(store().claim_due(t0_, options));
  ASSERT_EQ(first.size(), 2u);

  std::vector<AttemptOutcome> done{outcome(first[0], AttemptStatus::success, 200, DeliveryStatus::succeeded)};
  auto both = store().record_then_claim(done, t0_, options);
  ASSERT_TRUE(both.recorded) << both.recorded.error().detail;
  ASSERT_TRUE(both.claimed) << both.claimed.error().detail;
  ASSERT_EQ(both.claimed->size(), 1u) << "one slot was freed by the outcome, and only one";
  EXPECT_NE(both.claimed->front().delivery.id, first[1].delivery.id);
  EXPECT_EQ(must(store().queue_depth()).success, 1);
  EXPECT_EQ(must(store().list_attempts(app.id, {}, {})).items.size(), 1u);

  // The same attempt id again: the recording fails alone, and the claim still runs (nothing is free).
  std::vector<AttemptOutcome> again{
      outcome(first[1], AttemptStatus::success, 200, DeliveryStatus::succeeded)};
  again[0].attempt.id = done[0].attempt.id;
  auto failed = store().record_then_claim(again, t0_, options);
  EXPECT_FALSE(failed.recorded);
  ASSERT_TRUE(failed.claimed) << failed.claimed.error().detail;
  EXPECT_TRUE(failed.claimed->empty());
  EXPECT_EQ(must(store().queue_depth()).sending, 2);
}

TEST_P(StoreContract, GivingUpFailsTheDeliveryAndCanDisableTheEndpoint) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  add_message(app.id, {ep.id});
  auto claimed = claim(t0_);
  ASSERT_EQ(claimed.size(), 1u);
  auto gone = outcome(claimed[0], AttemptStatus::fail, 410, DeliveryStatus::failed);
  gone.disable_endpoint = true;
  must(store().record_outcomes(std::span(&gone, 1)));
  EXPECT_TRUE(must(store().get_endpoint(app.id, ep.id)).disabled);
  EXPECT_EQ(must(store().queue_depth()).fail, 1);
  EXPECT_EQ(must(store().endpoint_stats(app.id, ep.id, std::nullopt, std::nullopt)).fail, 1);
  EXPECT_EQ(must(store().endpoint_stats(app.id, ep.id, t0_ + 1s, std::nullopt)).fail, 0);
  EXPECT_TRUE(claim(t0_ + 24h).empty());
}

TEST_P(StoreContract, FifoEndpointsDeliverOneAtATimeInOrder) {
  Application app = add_app();
  Endpoint fifo = add_endpoint(app.id, /*fifo=*/true);
  Endpoint parallel = add_endpoint(app.id);
  std::vector<std::string> msgs;
  for (int i = 0; i < 3; ++i) msgs.push_back(add_message(app.id, {fifo.id, parallel.id}).message.id);

  auto first = claim(t0_);
  std::vector<std::string> fifo_claims;
  int parallel_claims = 0;
  for (const auto& c : first) {
    if (c.delivery.endpoint_id == fifo.id) fifo_claims.push_back(c.delivery.msg_id);
    if (c.delivery.endpoint_id == parallel.id) ++parallel_claims;
  }
  EXPECT_EQ(fifo_claims, std::vector<std::string>{msgs[0]});
  EXPECT_EQ(parallel_claims, 3);
  EXPECT_TRUE(claim(t0_).empty());  // the head is out under a live lease

  auto head =
      std::find_if(first.begin(), first.end(), [&](auto& c) { return c.delivery.endpoint_id == fifo.id; });
  // A retry keeps its place at the head: nothing behind it moves until it is done.
  auto retry = outcome(*head, AttemptStatus::fail, 500, DeliveryStatus::pending, t0_ + 5s);
  must(store().record_outcomes(std::span(&retry, 1)));
  EXPECT_TRUE(claim(t0_ + 1s).empty());
  auto again = claim(t0_ + 5s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].delivery.msg_id, msgs[0]);
  auto ok = outcome(again[0], AttemptStatus::success, 200, DeliveryStatus::succeeded);
  must(store().record_outcomes(std::span(&ok, 1)));
  auto next = claim(t0_ + 5s);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].delivery.msg_id, msgs[1]);
}

TEST_P(StoreContract, ResendAddsAManualDeliveryAfterTheOriginalOnes) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  auto msg = add_message(app.id, {ep.id});
  auto original = claim(t0_);
  ASSERT_EQ(original.size(), 1u);
  auto ok = outcome(original[0], AttemptStatus::success, 200, DeliveryStatus::succeeded);
  must(store().record_outcomes(std::span(&ok, 1)));

  int woken = 0;
  store().set_work_listener([&] { ++woken; });
  must(store().enqueue_resend(app.id, msg.message.id, ep.id, t0_ + 1min));
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(claim(t0_ + 59s).empty());
  auto resent = claim(t0_ + 1min);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_TRUE(resent[0].delivery.manual);
  EXPECT_GT(resent[0].delivery.id, original[0].delivery.id);
  EXPECT_EQ(resent[0].message.id, msg.message.id);
  auto manual = outcome(resent[0], AttemptStatus::success, 200, DeliveryStatus::succeeded);
  EXPECT_EQ(manual.attempt.trigger, TriggerType::manual);
  must(store().record_outcomes(std::span(&manual, 1)));
  EXPECT_EQ(must(store().get_attempt(app.id, manual.attempt.id)).trigger, TriggerType::manual);

  EXPECT_EQ(store().enqueue_resend(app.id, "msg_missing", ep.id, t0_).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().enqueue_resend(app.id, msg.message.id, "ep_missing", t0_).error().kind,
            ErrorKind::not_found);
  store().set_work_listener(nullptr);
}

TEST_P(StoreContract, RecoverRequeuesFailedDeliveriesInTheWindow) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  Endpoint other = add_endpoint(app.id);
  auto old_msg = add_message(app.id, {ep.id}, "a", t0_ - 1h);
  auto new_msg = add_message(app.id, {ep.id, other.id}, "a", t0_);
  std::vector<AttemptOutcome> failures;
  for (const auto& c : claim(t0_)) {
    failures.push_back(outcome(c, AttemptStatus::fail, 500, DeliveryStatus::failed));
  }
  ASSERT_EQ(failures.size(), 3u);
  must(store().record_outcomes(failures));
  EXPECT_EQ(must(store().queue_depth()).fail, 3);

  EXPECT_EQ(must(store().recover_failed(app.id, ep.id, t0_ - 1min, std::nullopt, t0_ + 1h)), 1);
  auto recovered = claim(t0_ + 1h);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].delivery.msg_id, new_msg.message.id);
  EXPECT_EQ(recovered[0].delivery.endpoint_id, ep.id);
  EXPECT_EQ(recovered[0].delivery.attempt_count, 0);  // a fresh retry schedule
  // An explicit window excludes what lies outside it: nothing else of `ep` failed before t0-2h.
  EXPECT_EQ(must(store().recover_failed(app.id, ep.id, t0_ - 3h, t0_ - 2h, t0_ + 1h)), 0);
  EXPECT_EQ(must(store().recover_failed(app.id, ep.id, t0_ - 3h, t0_, t0_ + 1h)), 1);
  auto old_again = claim(t0_ + 1h);
  ASSERT_EQ(old_again.size(), 1u);
  EXPECT_EQ(old_again[0].delivery.msg_id, old_msg.message.id);
}

// ---- idempotency records, settings, listener, deletion ----

TEST_P(StoreContract, IdempotencyRecordsExpire) {
  IdempotencyRecord record{"tok:POST:/api/v1/app/:key-1", 201, R"({"id":"app_1"})", t0_ + 1h};
  must(store().put_idempotency(record));
  auto found = must(store().get_idempotency(record.key, t0_));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, 201);
  EXPECT_EQ(found->body, record.body);
  EXPECT_FALSE(must(store().get_idempotency(record.key, t0_ + 1h)).has_value());
  EXPECT_FALSE(must(store().get_idempotency("other", t0_)).has_value());

  // create_message writes its record in the same transaction.
  Application app = add_app();
  NewMessage nm{new_message(app.id), {}, IdempotencyRecord{"tok:POST:msg:key-2", 202, "{}", t0_ + 1h}};
  must(store().create_message(nm));
  EXPECT_EQ(must(store().get_idempotency("tok:POST:msg:key-2", t0_))->status, 202);
  // Replacing a record (a retried request after expiry) works.
  record.status = 409;
  record.expires_at = t0_ + 3h;
  must(store().put_idempotency(record));
  EXPECT_EQ(must(store().get_idempotency(record.key, t0_ + 2h))->status, 409);
}

TEST_P(StoreContract, Settings) {
  EXPECT_FALSE(must(store().get_setting("admin_token_hash")).has_value());
  must(store().set_setting("admin_token_hash", "abc"));
  must(store().set_setting("admin_token_hash", "def"));
  EXPECT_EQ(must(store().get_setting("admin_token_hash")), "def");
}

TEST_P(StoreContract, WorkListenerFiresForNewDueWorkOnly) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  std::atomic<int> woken = 0;
  store().set_work_listener([&] { ++woken; });
  add_message(app.id, {});
  EXPECT_EQ(woken.load(), 0);
  add_message(app.id, {ep.id});
  EXPECT_EQ(woken.load(), 1);  // called before create_message returned
  store().set_work_listener(nullptr);
  add_message(app.id, {ep.id});
  EXPECT_EQ(woken.load(), 1);
}

TEST_P(StoreContract, DeleteApplicationRemovesEverythingItOwns) {
  Application doomed = add_app("doomed");
  Application kept = add_app();
  Endpoint ep = add_endpoint(doomed.id);
  Endpoint kept_ep = add_endpoint(kept.id);
  auto msg = add_message(doomed.id, {ep.id});
  add_message(kept.id, {kept_ep.id});
  auto claimed = claim(t0_, 1);
  ASSERT_EQ(claimed.size(), 1u);
  auto ok = outcome(claimed[0], AttemptStatus::success, 200, DeliveryStatus::succeeded);
  must(store().record_outcomes(std::span(&ok, 1)));
  add_message(doomed.id, {ep.id});

  must(store().delete_application("doomed"));  // by uid
  EXPECT_EQ(store().get_application(doomed.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().get_endpoint_by_id(ep.id).error().kind, ErrorKind::not_found);
  EXPECT_EQ(store().get_message(doomed.id, msg.message.id).error().kind, ErrorKind::not_found);
  EXPECT_TRUE(must(store().list_attempts(doomed.id, {}, {})).items.empty());
  auto depth = must(store().queue_depth());
  EXPECT_EQ(depth.pending + depth.sending + depth.success + depth.fail, 1);  // only `kept`'s delivery
  // A late outcome for a deleted delivery is dropped, not resurrected.
  must(store().record_outcomes(std::span(&ok, 1)));
  EXPECT_EQ(must(store().queue_depth()).success, 0);
}

// ---- concurrency: group commit ----

TEST_P(StoreContract, ConcurrentCreatesAreAllCommitted) {
  Application app = add_app();
  Endpoint ep = add_endpoint(app.id);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        NewMessage nm{new_message(app.id), {ep.id}, std::nullopt};
        auto r = store().create_message(nm);
        if (!r || r->endpoint_ids.size() != 1) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(must(store().queue_depth()).pending, kThreads * kPerThread);
  std::set<std::string> seen;
  PageRequest page{250, std::nullopt, false};
  for (int guard = 0; guard < 100; ++guard) {
    auto p = must(store().list_messages(app.id, {}, page));
    for (const auto& m : p.items) seen.insert(m.id);
    if (p.done) break;
    page.after_id = p.items.back().id;
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_P(StoreContract, AFailingWriteFailsAloneAmongConcurrentOnes) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  std::atomic<int> unique_failures = 0;
  std::vector<std::atomic<int>> winners(kRounds);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // Everyone races for the same uid; each also creates one app nobody else wants.
        auto shared = store().create_application(new_app("shared-" + std::to_string(round)));
        if (shared) {
          ++winners[static_cast<std::size_t>(round)];
        } else if (shared.error().kind != ErrorKind::conflict) {
          ++unique_failures;
        }
        auto own =
            store().create_application(new_app("own-" + std::to_string(t) + "-" + std::to_string(round)));
        if (!own) ++unique_failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unique_failures.load(), 0);
  for (int round = 0; round < kRounds; ++round) EXPECT_EQ(winners[static_cast<std::size_t>(round)].load(), 1);
  std::size_t total = 0;
  PageRequest page{1000, std::nullopt, false};
  total = must(store().list_applications(page)).items.size();
  EXPECT_EQ(total, static_cast<std::size_t>(kRounds + kThreads * kRounds));
}

// ---- metrics reads ----

TEST_P(StoreContract, MetricsReadTheOldestPendingDueTimeAndTheFailingEndpoints) {
  EXPECT_FALSE(must(store().oldest_pending_due()).has_value());
  auto none = must(store().failing_endpoints(10));
  EXPECT_EQ(none.total, 0);
  EXPECT_TRUE(none.oldest.empty());

  Application app = add_app();
  Endpoint a = add_endpoint(app.id);
  Endpoint b = add_endpoint(app.id);
  Endpoint c = add_endpoint(app.id);
  add_message(app.id, {a.id}, "user.created", t0_ + 2s);
  add_message(app.id, {b.id, c.id}, "user.created", t0_ + 1s);
  EXPECT_EQ(must(store().oldest_pending_due()), t0_ + 1s);
  auto claimed = claim(t0_ + 3s);
  ASSERT_EQ(claimed.size(), 3u);
  EXPECT_FALSE(must(store().oldest_pending_due()).has_value());  // leased rows are not pending

  // a fails first (t0+4s), then b (t0+5s); c succeeds. Retries are due at +30s and +60s.
  std::vector<AttemptOutcome> outcomes;
  for (const auto& d : claimed) {
    if (d.delivery.endpoint_id == a.id)
      outcomes.push_back(outcome(d, AttemptStatus::fail, 500, DeliveryStatus::pending, t0_ + 30s, t0_ + 4s));
    else if (d.delivery.endpoint_id == b.id)
      outcomes.push_back(outcome(d, AttemptStatus::fail, 0, DeliveryStatus::pending, t0_ + 60s, t0_ + 5s));
    else
      outcomes.push_back(outcome(d, AttemptStatus::success, 200, DeliveryStatus::succeeded));
  }
  must(store().record_outcomes(outcomes));
  EXPECT_EQ(must(store().oldest_pending_due()), t0_ + 30s);
  auto failing = must(store().failing_endpoints(10));
  EXPECT_EQ(failing.total, 2);
  ASSERT_EQ(failing.oldest.size(), 2u);
  EXPECT_EQ(failing.oldest[0].endpoint_id, a.id);
  EXPECT_EQ(failing.oldest[0].app_id, app.id);
  EXPECT_EQ(failing.oldest[0].failing_since, t0_ + 4s);
  EXPECT_EQ(failing.oldest[1].endpoint_id, b.id);

  // The list is capped; the total is not.
  auto capped = must(store().failing_endpoints(1));
  EXPECT_EQ(capped.total, 2);
  ASSERT_EQ(capped.oldest.size(), 1u);
  EXPECT_EQ(capped.oldest[0].endpoint_id, a.id);

  // A disabled endpoint is no longer reported as failing.
  Endpoint disabled = must(store().get_endpoint(app.id, a.id));
  disabled.disabled = true;
  must(store().update_endpoint(disabled));
  failing = must(store().failing_endpoints(10));
  EXPECT_EQ(failing.total, 1);
  ASSERT_EQ(failing.oldest.size(), 1u);
  EXPECT_EQ(failing.oldest[0].endpoint_id, b.id);
}

std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

// ---- the SQLite instantiation: a new database file per test ----

std::filesystem::path sqlite_test_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("hookd-store-contract-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

class SqliteTestFiles : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(sqlite_test_dir(), ec);
  }
};
const auto* const kSqliteFiles = ::testing::AddGlobalTestEnvironment(new SqliteTestFiles);

std::unique_ptr<Store> make_sqlite_store() {
  static std::atomic<int> counter = 0;
  auto path = sqlite_test_dir() / ("store-" + std::to_string(++counter) + ".db");
  StoreOptions options;
  options.url = "sqlite:" + path.string();
  auto store = open_sqlite_store(path.string(), options);
  if (!store) throw std::runtime_error("open_sqlite_store: " + store.error().detail);
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(StoreBackend{"sqlite", make_sqlite_store}),
                         backend_name);

// ---- the PostgreSQL instantiation: a new database per test on the test binary's throwaway cluster ----

std::unique_ptr<Store> make_postgres_store() {
  // Throws (failing the test with the reason) when PostgreSQL is not installed or does not start.
  std::string url = hookd::testing::PgCluster::shared().create_database();
  StoreOptions options;
  options.url = url;
  auto store = open_postgres_store(url, options);
  if (!store) throw std::runtime_error("open_postgres_store: " + store.error().detail);
  return std::move(*store);
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract,
                         ::testing::Values(StoreBackend{"postgres", make_postgres_store}), backend_name);

}  // namespace
}  // namespace hookd::store
