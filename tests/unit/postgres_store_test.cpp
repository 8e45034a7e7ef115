// PostgreSQL-specific behaviour: several nodes (Store objects) on one database, migrations racing at
// start-up, cross-node wake-ups and error mapping. The shared Store contract runs in store_contract_test.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "pg_cluster.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_notifier.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/store.hpp"

namespace hookd::store {
namespace {

using namespace std::chrono_literals;

template <class T>
T must(Result<T> r, std::string_view what = "") {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().code + ": " + r.error().detail);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::unique_ptr<Store> open_node(const std::string& url) {
  StoreOptions options;
  options.url = url;
  return must(open_postgres_store(url, options), "open_postgres_store");
}

// Counts rows of `sql` (one integer column) on `url`, outside the store.
std::int64_t scalar(const std::string& url, const std::string& sql) {
  auto conn = must(postgres::PgConnection::connect(url), "connect");
  auto result = must(conn.exec(sql), sql);
  return result.row(0).int64(0);
}

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override { url_ = testing::PgCluster::shared().create_database(); }

  Application add_app(Store& store) {
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.name = "app";
    app.created_at = app.updated_at = t0_;
    return must(store.create_application(app), "create_application");
  }
  Endpoint add_endpoint(Store& store, const std::string& app_id, bool fifo = false) {
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.app_id = app_id;
    ep.url = "https://example.com/hook";
    ep.fifo = fifo;
    ep.created_at = ep.updated_at = t0_;
    return must(store.create_endpoint(ep), "create_endpoint");
  }
  std::string add_message(Store& store, const std::string& app_id, std::vector<std::string> endpoints) {
    Message msg;
    msg.id = ids_.next(id_prefix::message);
    msg.app_id = app_id;
    msg.event_type = "user.created";
    msg.payload = "{}";
    msg.created_at = t0_;
    return must(store.create_message(NewMessage{msg, std::move(endpoints), std::nullopt}), "create_message")
        .message.id;
  }
  EventType add_event_type(Store& store, std::string name) {
    EventType type;
    type.name = std::move(name);
    type.created_at = type.updated_at = t0_;
    return must(store.create_event_type(type), "create_event_type");
  }
  // The outcome of one attempt at `claimed`, answered `status` (2xx: success), made at t0_ + `after`.
  AttemptOutcome outcome_of(const ClaimedDelivery& claimed, const Endpoint& ep, int status,
                            Millis after = Millis{0}) {
    const bool success = status >= 200 && status < 300;
    AttemptOutcome o;
    o.delivery_id = claimed.delivery.id;
    o.attempt.id = ids_.next(id_prefix::attempt);
    o.attempt.msg_id = claimed.delivery.msg_id;
    o.attempt.endpoint_id = ep.id;
    o.attempt.app_id = ep.app_id;
    o.attempt.url = ep.url;
    o.attempt.timestamp = t0_ + after;
    o.attempt.status = success ? AttemptStatus::success : AttemptStatus::fail;
    o.attempt.response_status_code = status;
    o.next_status = success ? DeliveryStatus::succeeded : DeliveryStatus::pending;
    if (!success) o.next_attempt_at = t0_ + 1h;
    o.endpoint_succeeded = success;
    return o;
  }
  static ClaimOptions claim_options(std::string owner, int limit, Millis lease = 60s) {
    ClaimOptions options;
    options.owner = std::move(owner);
    options.limit = limit;
    options.lease = lease;
    return options;
  }

  std::string url_;
  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  const TimePoint t0_ = from_millis(1'700'000'000'000);
};

TEST_F(PostgresStore, NodesStartingTogetherMigrateOnce) {
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Store>> nodes(kNodes);
  std::vector<std::string> errors(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      StoreOptions options;
      options.url = url_;
      auto store = open_postgres_store(url_, options);
      if (store) {
        nodes[static_cast<std::size_t>(i)] = std::move(*store);
      } else {
        errors[static_cast<std::size_t>(i)] = store.error().detail;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_TRUE(nodes[static_cast<std::size_t>(i)]) << errors[static_cast<std::size_t>(i)];
  }
  const auto known = static_cast<std::int64_t>(postgres::migrations().size());
  EXPECT_EQ(scalar(url_, "SELECT COUNT(*) FROM schema_migrations"), known);
  EXPECT_EQ(scalar(url_, "SELECT MAX(version) FROM schema_migrations"), known);
  // Opening again applies nothing and keeps the data.
  Application app = add_app(*nodes[0]);
  auto again = open_node(url_);
  EXPECT_EQ(must(again->get_application(app.id)).id, app.id);
}

TEST_F(PostgresStore, TheSameEventIdOnTwoNodesAtOnceMakesOneMessage) {
  auto node_a = open_node(url_);
  auto node_b = open_node(url_);
  Application app = add_app(*node_a);
  Endpoint ep = add_endpoint(*node_a, app.id);
  constexpr int kRounds = 20;
  constexpr int kThreads = 6;
  std::vector<std::atomic<int>> created(kRounds);
  std::vector<std::set<std::string>> seen_ids(kRounds);
  std::mutex mutex;
  std::atomic<int> errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& node = t % 2 == 0 ? *node_a : *node_b;
      IdGenerator ids{clock_, random_};
      for (int round = 0; round < kRounds; ++round) {
        Message msg;
        msg.id = ids.next(id_prefix::message);
        msg.app_id = app.id;
        msg.event_id = "evt-" + std::to_string(round);
        msg.event_type = "user.created";
        msg.payload = "{}";
        msg.created_at = t0_;
        auto r = node.create_message(NewMessage{msg, {ep.id}, std::nullopt});
        if (!r) {
          ++errors;
          continue;
        }
        if (!r->existed) ++created[static_cast<std::size_t>(round)];
        std::lock_guard lock(mutex);
        seen_ids[static_cast<std::size_t>(round)].insert(r->message.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(created[static_cast<std::size_t>(round)].load(), 1) << "round " << round;
    EXPECT_EQ(seen_ids[static_cast<std::size_t>(round)].size(), 1u) << "everyone gets the one message";
  }
  EXPECT_EQ(must(node_a->queue_depth()).pending, kRounds);  // one delivery per event id
}

TEST_F(PostgresStore, TwoNodesClaimingConcurrentlyNeverShareALiveLease) {
  auto node_a = open_node(url_);
  auto node_b = open_node(url_);
  Application app = add_app(*node_a);
  std::vector<std::string> endpoints;
  for (int i = 0; i < 4; ++i) endpoints.push_back(add_endpoint(*node_a, app.id).id);
  constexpr int kMessages = 300;
  for (int i = 0; i < kMessages; ++i) add_message(i % 2 == 0 ? *node_a : *node_b, app.id, endpoints);
  const int total = kMessages * static_cast<int>(endpoints.size());

  std::mutex mutex;
  std::map<std::int64_t, std::string> claimed_by;  // delivery id -> thread name
  int duplicates = 0;
  std::atomic<int> errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Store& node = t % 2 == 0 ? *node_a : *node_b;
      const std::string owner = (t % 2 == 0 ? "node-a-" : "node-b-") + std::to_string(t);
      for (int round = 0; round < 1000; ++round) {  // bounded: 1200 rows, at least one row per round
        auto batch = node.claim_due(t0_, claim_options(owner, 7));
        if (!batch) {
          ++errors;
          return;
        }
        if (batch->empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& c : *batch) {
          if (!claimed_by.emplace(c.delivery.id, owner).second) ++duplicates;
          EXPECT_EQ(c.delivery.status, DeliveryStatus::sending);
          EXPECT_EQ(c.message.id, c.delivery.msg_id);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(static_cast<int>(claimed_by.size()), total);
  std::set<std::string> owners;
  for (const auto& [id, owner] : claimed_by) owners.insert(owner.substr(0, 6));
  EXPECT_EQ(owners.size(), 2u) << "both nodes should have claimed some";
  EXPECT_EQ(must(node_a->queue_depth()).sending, total);
  // While the leases are live nobody gets anything; once they run out every row is claimable again.
  EXPECT_TRUE(must(node_b->claim_due(t0_ + 59s, claim_options("node-b", 10000))).empty());
  EXPECT_EQ(must(node_b->claim_due(t0_ + 61s, claim_options("node-b", 10000))).size(),
            static_cast<std::size_t>(total));
}

// Recording outcomes writes an endpoint's row only when its failing streak begins or ends. A rewrite that
// changed nothing still made a new row version and held the row's lock until the commit, so nodes recording
// outcomes of one endpoint waited on each other. A new row version shows as a new xmin.
TEST_F(PostgresStore, OutcomesRewriteAnEndpointRowOnlyWhenItsStreakChanges) {
  auto store = open_node(url_);
  Application app = add_app(*store);
  Endpoint ep = add_endpoint(*store, app.id);
  for (int i = 0; i < 6; ++i) add_message(*store, app.id, {ep.id});
  auto claimed = must(store->claim_due(t0_, claim_options("node", 10)));
  ASSERT_EQ(claimed.size(), 6u);
  auto outcome = [&](std::size_t i, bool success) {
    return outcome_of(claimed[i], ep, success ? 200 : 500, std::chrono::seconds(i));
  };
  const std::string row_version = "SELECT xmin::text::bigint FROM endpoints WHERE id = '" + ep.id + "'";
  auto record = [&](std::vector<AttemptOutcome> batch) { must(store->record_outcomes(batch), "record"); };

  const auto created = scalar(url_, row_version);
  record({outcome(0, true), outcome(1, true)});
  EXPECT_EQ(scalar(url_, row_version), created) << "successes of a healthy endpoint rewrote its row";
  record({outcome(2, false), outcome(3, false)});
  const auto failing = scalar(url_, row_version);
  EXPECT_NE(failing, created);
  EXPECT_EQ(must(store->get_endpoint_by_id(ep.id)).failing_since, t0_ + 2s)
      << "the streak began at the first";
  record({outcome(4, false)});
  EXPECT_EQ(scalar(url_, row_version), failing) << "a failure in a streak rewrote the row";
  record({outcome(5, true)});
  EXPECT_NE(scalar(url_, row_version), failing);
  EXPECT_FALSE(must(store->get_endpoint_by_id(ep.id)).failing_since.has_value());
}

// Node A serves a create's configuration from memory; every write node B commits to it (an endpoint added,
// filtered, disabled by its outcomes or deleted, an event type archived, the tenant's validation setting)
// is seen by A's next create at once.
TEST_F(PostgresStore, TheCachedIngestConfigSeesEveryWriteOfAnotherNodeAtOnce) {
  auto node_a = open_node(url_);
  auto node_b = open_node(url_);
  Application app = add_app(*node_a);
  EventType type = add_event_type(*node_a, "user.created");
  const std::string key = "validation:" + app.id;
  auto config = [&] { return must(node_a->ingest_config(app.id, type.name, key), "ingest_config"); };
  auto endpoint_ids = [&] {
    std::vector<std::string> ids;
    for (const auto& e : config().endpoints) ids.push_back(e.id);
    return ids;
  };

  EXPECT_TRUE(config().endpoints.empty());
  EXPECT_FALSE(config().validation_setting.has_value());
  Endpoint ep = add_endpoint(*node_b, app.id);
  EXPECT_EQ(endpoint_ids(), std::vector<std::string>{ep.id}) << "an endpoint created on B";

  ep.event_types = std::vector<std::string>{"other.type"};
  must(node_b->update_endpoint(ep), "update_endpoint");
  EXPECT_EQ(config().endpoints.at(0).event_types, ep.event_types) << "an endpoint's filter changed on B";

  must(node_b->set_setting(key, "strict"), "set_setting");
  EXPECT_EQ(config().validation_setting, std::optional<std::string>("strict")) << "a setting written on B";

  type.archived = true;
  must(node_b->update_event_type(type), "update_event_type");
  EXPECT_TRUE(config().event_type.archived) << "an event type archived on B";

  // B's dispatcher disables the endpoint (410 Gone): an outcome's write of the endpoint row.
  add_message(*node_b, app.id, {ep.id});
  auto claimed = must(node_b->claim_due(t0_, claim_options("b", 10)));
  ASSERT_EQ(claimed.size(), 1u);
  AttemptOutcome gone = outcome_of(claimed[0], ep, 410);
  gone.next_status = DeliveryStatus::failed;
  gone.disable_endpoint = true;
  must(node_b->record_outcomes(std::vector<AttemptOutcome>{gone}), "record_outcomes");
  EXPECT_TRUE(config().endpoints.at(0).disabled) << "an endpoint disabled by an outcome on B";

  must(node_b->delete_endpoint(app.id, ep.id), "delete_endpoint");
  EXPECT_TRUE(config().endpoints.empty()) << "an endpoint deleted on B";
  must(node_b->delete_event_type(type.name), "delete_event_type");
  auto missing = node_a->ingest_config(app.id, type.name, key);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found) << "an event type deleted on B";
}

// While the version stands, the rows are not read again: a change made with the version's triggers turned
// off (never done by hookd) is not seen until something bumps the version.
TEST_F(PostgresStore, TheIngestConfigIsServedFromMemoryWhileTheVersionStands) {
  auto node = open_node(url_);
  Application app = add_app(*node);
  EventType type = add_event_type(*node, "user.created");
  Endpoint ep = add_endpoint(*node, app.id);
  const std::string key = "validation:" + app.id;
  ASSERT_FALSE(must(node->ingest_config(app.id, type.name, key)).endpoints.at(0).disabled);

  auto conn = must(postgres::PgConnection::connect(url_), "connect");
  must(conn.exec_script("ALTER TABLE endpoints DISABLE TRIGGER endpoints_bump_config; "
                        "UPDATE endpoints SET disabled = true; "
                        "ALTER TABLE endpoints ENABLE TRIGGER endpoints_bump_config"),
       "update without the trigger");
  EXPECT_FALSE(must(node->ingest_config(app.id, type.name, key)).endpoints.at(0).disabled)
      << "read again although the version had not moved";
  EXPECT_TRUE(must(node->get_endpoint(app.id, ep.id)).disabled) << "other reads are not cached";

  must(node->set_setting("unrelated", "x"), "set_setting");  // any write of the three tables bumps it
  EXPECT_TRUE(must(node->ingest_config(app.id, type.name, key)).endpoints.at(0).disabled);
}

TEST_F(PostgresStore, AnExpiredLeaseIsTakenOverAndARestartReleasesItsOwn) {
  auto node_a = open_node(url_);
  auto node_b = open_node(url_);
  Application app = add_app(*node_a);
  Endpoint ep = add_endpoint(*node_a, app.id);
  add_message(*node_a, app.id, {ep.id});
  add_message(*node_a, app.id, {ep.id});
  auto first = must(node_a->claim_due(t0_, claim_options("node-a", 1, 30s)));
  ASSERT_EQ(first.size(), 1u);
  // node-a "dies" holding the first row: node-b gets only the other one until the lease runs out.
  auto second = must(node_b->claim_due(t0_ + 1s, claim_options("node-b", 10, 30s)));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].delivery.id, first[0].delivery.id);
  EXPECT_TRUE(must(node_b->claim_due(t0_ + 30s, claim_options("node-b", 10, 30s))).empty());
  EXPECT_EQ(must(node_b->next_due_time()), t0_ + 30s + 1ms);
  auto taken_over = must(node_b->claim_due(t0_ + 31s, claim_options("node-b", 10, 30s)));
  ASSERT_EQ(taken_over.size(), 1u);
  EXPECT_EQ(taken_over[0].delivery.id, first[0].delivery.id);

  // node-b restarts: its leases become pending at once, nobody else's are touched. (Its lease on
  // `second` runs until t0+31s, so at t0+31s node-a gets only the new message.)
  add_message(*node_a, app.id, {ep.id});
  ASSERT_EQ(must(node_a->claim_due(t0_ + 31s, claim_options("node-a", 10, 30s))).size(), 1u);
  EXPECT_EQ(must(node_b->release_leases("node-b", t0_ + 31s)), 2);
  auto depth = must(node_a->queue_depth());
  EXPECT_EQ(depth.pending, 2);
  EXPECT_EQ(depth.sending, 1);
}

TEST_F(PostgresStore, FifoHoldsAcrossNodesClaimingConcurrently) {
  auto node_a = open_node(url_);
  auto node_b = open_node(url_);
  Application app = add_app(*node_a);
  Endpoint fifo = add_endpoint(*node_a, app.id, /*fifo=*/true);
  constexpr int kMessages = 20;
  std::vector<std::string> order;
  for (int i = 0; i < kMessages; ++i) order.push_back(add_message(*node_a, app.id, {fifo.id}));

  // Four claimers on two nodes; each finishes what it claimed before claiming again. The endpoint must
  // see its messages strictly in order and never two at once.
  std::mutex mutex;
  std::vector<std::string> delivered;
  std::atomic<int> in_flight = 0;
  std::atomic<int> overlaps = 0;
  std::atomic<int> errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Store& node = t % 2 == 0 ? *node_a : *node_b;
      IdGenerator ids{clock_, random_};
      for (int round = 0; round < 2000; ++round) {
        {
          std::lock_guard lock(mutex);
          if (delivered.size() == static_cast<std::size_t>(kMessages)) return;
        }
        auto batch = node.claim_due(t0_, claim_options("n" + std::to_string(t), 10));
        if (!batch) {
          ++errors;
          return;
        }
        for (const auto& c : *batch) {
          if (++in_flight > 1) ++overlaps;
          {
            std::lock_guard lock(mutex);
            delivered.push_back(c.delivery.msg_id);
          }
          AttemptOutcome o;
          o.delivery_id = c.delivery.id;
          o.attempt.id = ids.next(id_prefix::attempt);
          o.attempt.msg_id = c.delivery.msg_id;
          o.attempt.endpoint_id = c.delivery.endpoint_id;
          o.attempt.app_id = c.delivery.app_id;
          o.attempt.timestamp = t0_;
          o.attempt.status = AttemptStatus::success;
          o.attempt.response_status_code = 200;
          o.next_status = DeliveryStatus::succeeded;
          o.endpoint_succeeded = true;
          --in_flight;  // before recording: the next claim may only see it once it is recorded
          if (!node.record_outcomes(std::span(&o, 1))) ++errors;
        }
        if (batch->empty()) std::this_thread::sleep_for(1ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(delivered, order);
}

// A NOTIFY arrives in milliseconds; the waits below are bounds for a loaded machine, not the figure.
TEST_F(PostgresStore, NewWorkOnOneNodeWakesTheOther) {
  auto node_a = open_node(url_);
  auto node_b = open_node(url_);
  std::atomic<int> woken_a = 0, woken_b = 0;
  node_a->set_work_listener([&] { ++woken_a; });
  node_b->set_work_listener([&] { ++woken_b; });
  // Wait (bounded) until both nodes' LISTEN is in place: a NOTIFY is not kept for later listeners.
  auto listening = [&] {
    return scalar(url_,
                  "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND query = 'LISTEN hookd_work'") >= 2;
  };
  for (int i = 0; i < 100 && !listening(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(listening());

  Application app = add_app(*node_a);
  Endpoint ep = add_endpoint(*node_a, app.id);
  add_message(*node_a, app.id, {});  // no due work: nobody is woken
  auto sent = std::chrono::steady_clock::now();
  add_message(*node_a, app.id, {ep.id});
  EXPECT_EQ(woken_a.load(), 1);  // the writing node: synchronously
  while (woken_b.load() == 0 && std::chrono::steady_clock::now() - sent < 10s)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(woken_b.load(), 1) << "node-b was not woken within 10 s";
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(woken_a.load(), 1) << "a node must not be woken again by its own notice";
  EXPECT_EQ(woken_b.load(), 1);

  // A lease release on node-b wakes node-a.
  ASSERT_EQ(must(node_b->claim_due(t0_, claim_options("node-b", 10))).size(), 1u);
  must(node_b->release_leases("node-b", t0_));
  sent = std::chrono::steady_clock::now();
  while (woken_a.load() == 1 && std::chrono::steady_clock::now() - sent < 10s)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(woken_a.load(), 2);
  node_a->set_work_listener(nullptr);
  node_b->set_work_listener(nullptr);
}

// The other nodes hear of new work from a notifier that sends after the work's commit, so that creates never
// NOTIFY (PostgreSQL serializes the commits of notifying transactions). A burst of work is one notice, and
// work after the pause is told again.
TEST_F(PostgresStore, ABurstOfWorkIsToldToTheOtherNodesOnceAndLaterWorkAgain) {
  auto listener = must(postgres::PgConnection::connect(url_), "connect");
  must(listener.exec_script("LISTEN hookd_work"), "listen");
  // Notices with `token` received within `wait`.
  auto received = [&](const std::string& token, std::chrono::milliseconds wait) {
    int count = 0;
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      PQconsumeInput(listener.raw());
      while (PGnotify* notice = PQnotifies(listener.raw())) {
        if (token == notice->extra) ++count;
        PQfreemem(notice);
      }
      std::this_thread::sleep_for(5ms);
    }
    return count;
  };
  postgres::WorkNotifier notifier(url_, "token-1", 200ms);
  for (int i = 0; i < 1000; ++i) notifier.request();
  const int burst = received("token-1", 1s);
  EXPECT_GE(burst, 1) << "the burst was not told";
  EXPECT_LE(burst, 2) << "each request was told on its own";
  EXPECT_EQ(notifier.sent(), static_cast<std::uint64_t>(burst));
  notifier.request();
  EXPECT_EQ(received("token-1", 1s), 1) << "work after the pause was not told";
}

TEST_F(PostgresStore, SurvivesItsConnectionsBeingKilled) {
  auto node_a = open_node(url_);
  auto node_b = open_node(url_);
  std::atomic<int> woken_b = 0;
  node_b->set_work_listener([&] { ++woken_b; });
  Application app = add_app(*node_a);
  Endpoint ep = add_endpoint(*node_a, app.id);
  // The server drops every session of this database but ours (an admin, a restart, a proxy timeout).
  auto kill_sessions = [&] {
    return scalar(url_,
                  "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  };
  ASSERT_GE(kill_sessions(), 2);  // at least a pool connection of each node and node-b's listener
  // Stale pooled connections are replaced transparently, for reads and for writes.
  EXPECT_EQ(must(node_a->get_application(app.id)).id, app.id);
  add_message(*node_a, app.id, {ep.id});
  EXPECT_EQ(must(node_b->queue_depth()).pending, 1);
  // node-b's listener reconnects (and wakes its node once, as notices may have been missed) and then
  // hears node-a's notices again.
  // Bounded wait: the listener retries about once a second, and a loaded machine is slow to reconnect.
  for (int i = 0; i < 500 && woken_b.load() == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_GE(woken_b.load(), 1);
  auto listening = [&] {
    return scalar(url_,
                  "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND query = 'LISTEN hookd_work'") >= 2;
  };
  for (int i = 0; i < 500 && !listening(); ++i) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(listening());
  const int before = woken_b.load();
  add_message(*node_a, app.id, {ep.id});
  for (int i = 0; i < 250 && woken_b.load() == before; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(woken_b.load(), before + 1);
  node_b->set_work_listener(nullptr);
}

TEST_F(PostgresStore, OpenStoreRoutesPostgresUrlsHere) {
  StoreOptions options;
  options.url = url_;
  auto store = must(open_store(options), "open_store");
  Application app = add_app(*store);
  EXPECT_EQ(scalar(url_, "SELECT COUNT(*) FROM applications"), 1);
  EXPECT_EQ(must(store->get_application(app.id)).name, "app");
}

TEST_F(PostgresStore, AnUnreachableServerIsUnavailable) {
  StoreOptions options;
  options.url = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2";
  auto store = open_postgres_store(options.url, options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(store.error().code, "store_unavailable");
}

TEST_F(PostgresStore, ServerErrorsMapToErrorKinds) {
  using postgres::pg_error;
  EXPECT_EQ(pg_error("23505", "dup", false).kind, ErrorKind::conflict);
  EXPECT_EQ(pg_error("08006", "gone", false).code, "store_unavailable");
  EXPECT_EQ(pg_error("", "gone", true).kind, ErrorKind::unavailable);
  EXPECT_EQ(pg_error("57P01", "shutdown", false).kind, ErrorKind::unavailable);
  EXPECT_TRUE(postgres::is_retryable(pg_error("40P01", "deadlock", false)));
  EXPECT_EQ(pg_error("42601", "syntax", false).kind, ErrorKind::internal);
}

TEST_F(PostgresStore, TextArraysAndParametersSurviveQuotes) {
  auto conn = must(postgres::PgConnection::connect(url_), "connect");
  auto result =
      must(conn.exec("SELECT array_length($1::text[], 1), ($1::text[])[2], $2::text IS NULL",
                     postgres::Params(postgres::text_array({"a", "b\"c\\d", "'; DROP"}), std::nullopt)));
  EXPECT_EQ(result.row(0).int64(0), 3);
  EXPECT_EQ(result.row(0).text(1), "b\"c\\d");
  EXPECT_TRUE(result.row(0).boolean(2));
}

// A statement is parsed and planned once a session: its second run executes the prepared one. Past the bound,
// statements still run (unnamed) and the session keeps no more of them; a table changed under a prepared
// statement (another node's migration) is re-planned by the server, not an error.
TEST_F(PostgresStore, StatementsArePreparedOnceASessionWithinABound) {
  auto conn = must(postgres::PgConnection::connect(url_), "connect");
  const std::string sum = "SELECT $1::int + 1";
  EXPECT_EQ(must(conn.exec(sum, postgres::Params(std::int64_t{1}))).row(0).int64(0), 2);
  EXPECT_EQ(must(conn.exec(sum, postgres::Params(std::int64_t{41}))).row(0).int64(0), 42);
  const std::string count_prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1";
  EXPECT_EQ(must(conn.exec(count_prepared, postgres::Params(sum))).row(0).int64(0), 1);

  for (int i = 0; i < 300; ++i) {
    auto sql = fmt::format("SELECT $1::int * {}", i);
    EXPECT_EQ(must(conn.exec(sql, postgres::Params(std::int64_t{2}))).row(0).int64(0), 2 * i) << sql;
  }
  EXPECT_EQ(must(conn.exec("SELECT count(*) FROM pg_prepared_statements")).row(0).int64(0), 256);

  must(conn.exec_script("CREATE TABLE prepared_probe (a int); INSERT INTO prepared_probe VALUES (7)"));
  auto table_sql = "SELECT a FROM prepared_probe";
  EXPECT_EQ(must(conn.exec(table_sql)).row(0).int64(0), 7);
  must(conn.exec_script("ALTER TABLE prepared_probe ADD COLUMN b int; CREATE INDEX ON prepared_probe (a)"));
  EXPECT_EQ(must(conn.exec(table_sql)).row(0).int64(0), 7);
  must(conn.exec_script("DROP TABLE prepared_probe"));

  // A statement the server refuses is an error as before, and is not kept.
  auto bad = conn.exec("SELEC 1");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind, ErrorKind::internal);
}

}  // namespace
}  // namespace hookd::store
