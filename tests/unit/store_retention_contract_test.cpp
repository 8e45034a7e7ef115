// Retention (Store::prune) and the cross-node per-endpoint limit (ClaimOptions::per_endpoint_limit), run
// against both stores like the Store contract suite (store_contract_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
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
using Days = std::chrono::days;

struct Backend {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;  // a store on a fresh, empty database
};

template <class T>
T must(Result<T> r, std::string_view what = "") {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().code + ": " + r.error().detail);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

class RetentionContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.name = "retention";
    app.created_at = app.updated_at = real_now_;
    app_ = must(store().create_application(app), "create_application");
  }

  Store& store() { return *store_; }

  Endpoint add_endpoint() {
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.app_id = app_.id;
    ep.url = "https://example.com/hook";
    ep.secrets = {EndpointSecret{"whsec_current", std::nullopt}};
    ep.created_at = ep.updated_at = real_now_;
    return must(store().create_endpoint(ep), "create_endpoint");
  }

  // Message ids come from the real clock, so messages are created in id order with increasing times.
  Message add_message(std::vector<std::string> endpoint_ids, TimePoint created_at) {
    Message msg;
    msg.id = ids_.next(id_prefix::message);
    msg.app_id = app_.id;
    msg.event_type = "user.created";
    msg.payload = R"({"secret":"data"})";
    msg.created_at = created_at;
    return must(store().create_message(NewMessage{msg, std::move(endpoint_ids), std::nullopt}),
                "create_message")
        .message;
  }

  std::vector<ClaimedDelivery> claim(TimePoint now, std::vector<std::string> skip = {}, int per_endpoint = 0,
                                     std::string owner = "node-a") {
    ClaimOptions options;
    options.limit = 100;
    options.lease = 30s;
    options.owner = std::move(owner);
    options.skip_endpoint_ids = std::move(skip);
    options.per_endpoint_limit = per_endpoint;
    return must(store().claim_due(now, options), "claim_due");
  }

  AttemptOutcome outcome(const ClaimedDelivery& c, DeliveryStatus next, TimePoint at,
                         std::optional<std::string> request_body = std::nullopt) {
    AttemptOutcome o;
    o.delivery_id = c.delivery.id;
    o.attempt.id = ids_.next(id_prefix::attempt);
    o.attempt.msg_id = c.delivery.msg_id;
    o.attempt.endpoint_id = c.delivery.endpoint_id;
    o.attempt.app_id = c.delivery.app_id;
    o.attempt.url = "https://example.com/hook";
    o.attempt.timestamp = at;
    o.attempt.status = next == DeliveryStatus::succeeded ? AttemptStatus::success : AttemptStatus::fail;
    o.attempt.response_status_code = next == DeliveryStatus::succeeded ? 200 : 500;
    o.attempt.response_body = "response";
    o.attempt.request_body = std::move(request_body);
    o.next_status = next;
    o.endpoint_succeeded = next == DeliveryStatus::succeeded;
    return o;
  }
  void record(const std::vector<AttemptOutcome>& outcomes) {
    must(store().record_outcomes(outcomes), "record");
  }

  std::string payload_of(const Message& m) { return must(store().get_message(app_.id, m.id)).payload; }

  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  const TimePoint real_now_ = clock_.now();
  std::unique_ptr<Store> store_;
  Application app_;
};

RetentionPolicy payloads(Millis after) {
  RetentionPolicy p;
  p.payload = after;
  return p;
}

TEST_P(RetentionContract, ExpiredPayloadsAreClearedButNotWhileADeliveryNeedsThem) {
  Endpoint a = add_endpoint(), b = add_endpoint(), c = add_endpoint();
  const TimePoint old = real_now_;
  Message done = add_message({a.id}, old);     // succeeded
  Message gave_up = add_message({a.id}, old);  // failed
  Message pending = add_message({b.id}, old);  // still pending (never claimed)
  Message sending = add_message({c.id}, old);  // out under a lease
  Message young = add_message({}, old + Days(45));
  auto claimed = claim(old + 1s, {b.id});
  ASSERT_EQ(claimed.size(), 3u);
  std::vector<AttemptOutcome> outcomes;
  for (const auto& cd : claimed) {
    if (cd.delivery.msg_id == done.id)
      outcomes.push_back(outcome(cd, DeliveryStatus::succeeded, old + 1s, "a=1"));
    if (cd.delivery.msg_id == gave_up.id) outcomes.push_back(outcome(cd, DeliveryStatus::failed, old + 1s));
  }
  record(outcomes);

  const TimePoint now = old + Days(60);  // retention 30 days: everything but `young` is old enough
  auto first = must(store().prune(now, payloads(Days(30)), 100));
  EXPECT_FALSE(first.skipped);
  EXPECT_EQ(first.payloads_cleared, 2);
  EXPECT_FALSE(first.more);
  EXPECT_EQ(payload_of(done), "{}");
  EXPECT_EQ(payload_of(gave_up), "{}");
  EXPECT_EQ(payload_of(pending), R"({"secret":"data"})");
  EXPECT_EQ(payload_of(sending), R"({"secret":"data"})");
  EXPECT_EQ(payload_of(young), R"({"secret":"data"})");
  // The metadata stays; the attempt's recorded form body went with the payload.
  Message kept = must(store().get_message(app_.id, done.id));
  EXPECT_EQ(kept.event_type, "user.created");
  EXPECT_EQ(kept.created_at, old);
  EXPECT_EQ(must(store().list_messages(app_.id, {}, {})).items.size(), 5u);
  auto attempts = must(store().list_attempts(app_.id, AttemptFilter{.msg_id = done.id}, {})).items;
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_FALSE(attempts[0].request_body.has_value());
  EXPECT_EQ(attempts[0].response_body, "response");  // attempts follow their own retention

  // Once their deliveries are over, the held messages are cleared too; the young one is not.
  auto rest = claim(now, {}, 0, "node-b");  // pending, and sending whose lease ran out
  ASSERT_EQ(rest.size(), 2u);
  record(
      {outcome(rest[0], DeliveryStatus::succeeded, now), outcome(rest[1], DeliveryStatus::succeeded, now)});
  auto second = must(store().prune(now, payloads(Days(30)), 100));
  EXPECT_EQ(second.payloads_cleared, 2);
  EXPECT_EQ(payload_of(pending), "{}");
  EXPECT_EQ(payload_of(sending), "{}");
  EXPECT_EQ(payload_of(young), R"({"secret":"data"})");
  EXPECT_EQ(must(store().prune(now, payloads(Days(30)), 100)).payloads_cleared, 0);
  // Without a payload policy nothing is cleared, however old.
  EXPECT_EQ(must(store().prune(now + Days(100), RetentionPolicy{}, 100)).payloads_cleared, 0);
  EXPECT_EQ(payload_of(young), R"({"secret":"data"})");
}

TEST_P(RetentionContract, EachBatchRespectsTheLimit) {
  std::vector<Message> messages;
  for (int i = 0; i < 7; ++i) messages.push_back(add_message({}, real_now_));
  const TimePoint now = real_now_ + Days(31);
  auto b1 = must(store().prune(now, payloads(Days(30)), 3));
  EXPECT_EQ(b1.payloads_cleared, 3);
  EXPECT_TRUE(b1.more);
  EXPECT_EQ(payload_of(messages[2]), "{}");
  EXPECT_EQ(payload_of(messages[3]), R"({"secret":"data"})");  // oldest first
  auto b2 = must(store().prune(now, payloads(Days(30)), 3));
  EXPECT_EQ(b2.payloads_cleared, 3);
  auto b3 = must(store().prune(now, payloads(Days(30)), 3));
  EXPECT_EQ(b3.payloads_cleared, 1);
  EXPECT_FALSE(b3.more);
  for (const auto& m : messages) EXPECT_EQ(payload_of(m), "{}");
}

TEST_P(RetentionContract, AttemptsOlderThanTheCutoffAreDeletedNewerKept) {
  Endpoint ep = add_endpoint();
  for (int i = 0; i < 5; ++i) add_message({ep.id}, real_now_);
  auto claimed = claim(real_now_ + 1s);
  ASSERT_EQ(claimed.size(), 5u);
  // Attempts at day 0, 1, 2 (old at day 100 with 90 days' retention) and day 20, 21 (kept).
  const int days[] = {0, 1, 2, 20, 21};
  for (int i = 0; i < 5; ++i)
    record({outcome(claimed[static_cast<std::size_t>(i)], DeliveryStatus::succeeded,
                    real_now_ + Days(days[i]))});
  RetentionPolicy policy;
  policy.attempts = Days(90);
  const TimePoint now = real_now_ + Days(100);
  auto b1 = must(store().prune(now, policy, 2));
  EXPECT_EQ(b1.attempts_deleted, 2);
  EXPECT_TRUE(b1.more);
  auto b2 = must(store().prune(now, policy, 2));
  EXPECT_EQ(b2.attempts_deleted, 1);
  EXPECT_EQ(must(store().prune(now, policy, 2)).attempts_deleted, 0);
  auto left = must(store().list_attempts(app_.id, AttemptFilter{.endpoint_id = ep.id}, {})).items;
  ASSERT_EQ(left.size(), 2u);
  for (const auto& a : left) EXPECT_GE(a.timestamp, real_now_ + Days(20));
  // Deliveries and messages are not touched by attempt retention.
  EXPECT_EQ(must(store().queue_depth()).success, 5);
  EXPECT_EQ(must(store().list_messages(app_.id, {}, {})).items[0].payload, R"({"secret":"data"})");
}

TEST_P(RetentionContract, ExpiredIdempotencyRecordsAreDeletedInBatches) {
  for (int i = 0; i < 5; ++i)
    must(store().put_idempotency({"old-" + std::to_string(i), 200, "{}", real_now_ - 1s}));
  must(store().put_idempotency({"live", 200, "{}", real_now_ + 1h}));
  auto b1 = must(store().prune(real_now_, RetentionPolicy{}, 3));
  EXPECT_EQ(b1.idempotency_deleted, 3);
  EXPECT_TRUE(b1.more);
  EXPECT_EQ(must(store().prune(real_now_, RetentionPolicy{}, 3)).idempotency_deleted, 2);
  EXPECT_TRUE(must(store().get_idempotency("live", real_now_)).has_value());
}

// ---- the per-endpoint limit, counted over every node ----

TEST_P(RetentionContract, ClaimsNeverExceedThePerEndpointLimit) {
  Endpoint busy = add_endpoint(), other = add_endpoint();
  for (int i = 0; i < 10; ++i) add_message({busy.id}, real_now_);
  for (int i = 0; i < 3; ++i) add_message({other.id}, real_now_);
  const TimePoint now = real_now_ + 1s;
  auto first = claim(now, {}, 4, "node-a");
  int of_busy = 0;
  for (const auto& c : first) of_busy += c.delivery.endpoint_id == busy.id;
  EXPECT_EQ(of_busy, 4);
  EXPECT_EQ(first.size(), 7u);                       // the other endpoint is not held back by the busy one
  EXPECT_TRUE(claim(now, {}, 4, "node-b").empty());  // another node sees the same limit
  // Two finish: two more may go, from any node.
  std::vector<AttemptOutcome> done;
  for (const auto& c : first)
    if (c.delivery.endpoint_id == busy.id && done.size() < 2)
      done.push_back(outcome(c, DeliveryStatus::succeeded, now));
  record(done);
  EXPECT_EQ(claim(now, {}, 4, "node-b").size(), 2u);
  EXPECT_TRUE(claim(now, {}, 4, "node-a").empty());
  // Leases that ran out no longer count (their node died): their rows and new ones come back, up to the
  // limit.
  auto later = claim(now + 31s, {}, 4, "node-c");
  int later_busy = 0;
  for (const auto& c : later) later_busy += c.delivery.endpoint_id == busy.id;
  EXPECT_EQ(later_busy, 4);
}

// An endpoint at its limit with a long backlog at the head of the queue hides nobody: the others' due rows
// are claimed (SQLite: in the same claim; PostgreSQL: by the next one, once the busy endpoint is full), and
// the busy endpoint never gets more than its limit.
TEST_P(RetentionContract, ABusyEndpointsBacklogDoesNotHideOthers) {
  Endpoint busy = add_endpoint();
  Endpoint quiet = add_endpoint();
  for (int i = 0; i < 300; ++i) add_message({busy.id}, real_now_ - 10s);
  add_message({quiet.id}, real_now_);
  ClaimOptions options;
  options.limit = 10;
  options.owner = "node-a";
  options.per_endpoint_limit = 5;
  int to_busy = 0, to_quiet = 0;
  for (int round = 0; round < 2; ++round) {
    for (const auto& c : must(store().claim_due(real_now_ + 1s, options)))
      (c.delivery.endpoint_id == busy.id ? to_busy : to_quiet)++;
  }
  EXPECT_EQ(to_busy, 5);
  EXPECT_EQ(to_quiet, 1);
}

// While a backlogged endpoint is at its limit, claims go around it (SQLite asks the other endpoints
// directly); new work of others is still found, and the backlog is served again once it has room.
TEST_P(RetentionContract, ABackloggedEndpointIsServedAgainOnceItHasRoom) {
  Endpoint busy = add_endpoint();
  Endpoint quiet = add_endpoint();
  for (int i = 0; i < 300; ++i) add_message({busy.id}, real_now_ - 10s);
  ClaimOptions options;
  options.limit = 10;
  options.owner = "node-a";
  options.per_endpoint_limit = 5;
  options.lease = 30s;
  const TimePoint now = real_now_ + 1s;
  auto first = must(store().claim_due(now, options));
  ASSERT_EQ(first.size(), 5u);
  for (const auto& c : first) EXPECT_EQ(c.delivery.endpoint_id, busy.id);
  EXPECT_TRUE(must(store().claim_due(now, options)).empty());  // busy is full, quiet has nothing yet

  for (int round = 0; round < 3; ++round) {
    add_message({quiet.id}, real_now_);
    auto again = must(store().claim_due(now, options));
    ASSERT_EQ(again.size(), 1u) << "round " << round;
    EXPECT_EQ(again[0].delivery.endpoint_id, quiet.id);
    record({outcome(again[0], DeliveryStatus::succeeded, now)});
  }

  std::vector<AttemptOutcome> done;
  for (const auto& c : first) done.push_back(outcome(c, DeliveryStatus::succeeded, now));
  record(done);
  auto after = must(store().claim_due(now, options));
  ASSERT_EQ(after.size(), 5u);
  for (const auto& c : after) EXPECT_EQ(c.delivery.endpoint_id, busy.id);
}

TEST_P(RetentionContract, ConcurrentClaimsHoldThePerEndpointLimit) {
  Endpoint ep = add_endpoint();
  for (int i = 0; i < 60; ++i) add_message({ep.id}, real_now_);
  const TimePoint now = real_now_ + 1s;
  std::atomic<int> total = 0;
  std::vector<std::thread> nodes;
  for (int n = 0; n < 6; ++n) {
    nodes.emplace_back([&, n] {
      for (int round = 0; round < 5; ++round) {
        ClaimOptions options;
        options.limit = 10;
        options.owner = "node-" + std::to_string(n);
        options.per_endpoint_limit = 5;
        if (auto r = store().claim_due(now, options)) total += static_cast<int>(r->size());
      }
    });
  }
  for (auto& t : nodes) t.join();
  EXPECT_EQ(total.load(), 5);
  EXPECT_EQ(must(store().queue_depth()).sending, 5);
}

// ---- backends ----

std::filesystem::path test_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("hookd-retention-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

class TestFiles : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(test_dir(), ec);
  }
};
const auto* const kTestFiles = ::testing::AddGlobalTestEnvironment(new TestFiles);

std::unique_ptr<Store> make_sqlite() {
  static std::atomic<int> counter = 0;
  auto path = test_dir() / ("store-" + std::to_string(++counter) + ".db");
  StoreOptions options;
  options.url = "sqlite:" + path.string();
  options.synchronous_full = false;
  auto store = open_sqlite_store(path.string(), options);
  if (!store) throw std::runtime_error("open_sqlite_store: " + store.error().detail);
  return std::move(*store);
}

std::unique_ptr<Store> make_postgres() {
  std::string url = hookd::testing::PgCluster::shared().create_database();
  StoreOptions options;
  options.url = url;
  auto store = open_postgres_store(url, options);
  if (!store) throw std::runtime_error("open_postgres_store: " + store.error().detail);
  return std::move(*store);
}

std::string name_of(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RetentionContract, ::testing::Values(Backend{"sqlite", make_sqlite}),
                         name_of);
INSTANTIATE_TEST_SUITE_P(Postgres, RetentionContract, ::testing::Values(Backend{"postgres", make_postgres}),
                         name_of);

}  // namespace
}  // namespace hookd::store
