// Deliveries written already leased to this process's dispatcher (store::LeaseTaker): what the SQLite store
// writes, hands over and gives back, and that a handed delivery nobody sends is still never lost.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "test_dir.hpp"

namespace hookd::store {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = from_millis(1'700'000'000'000);

// A taker with room for `room` deliveries, which remembers what it was given and given back.
class RecordingTaker final : public LeaseTaker {
 public:
  explicit RecordingTaker(int room) : room_(room) {}
  bool reserve(const std::string& endpoint_id) override {
    reserved.push_back(endpoint_id);
    return room_-- > 0;
  }
  void returned(const std::string& endpoint_id) override { returned_ids.push_back(endpoint_id); }
  void handed(std::vector<ClaimedDelivery> deliveries) override {
    for (auto& d : deliveries) handed_deliveries.push_back(std::move(d));
  }
  const std::string& owner() const override { return owner_; }
  TimePoint lease_until() const override { return kT0 + 60s; }

  std::vector<std::string> reserved, returned_ids;
  std::vector<ClaimedDelivery> handed_deliveries;

 private:
  int room_;
  std::string owner_ = "node-a";
};

class LeaseAtBirth : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_ / "hookd.db").string();
    auto opened = open_sqlite_store(path_, StoreOptions{});
    if (!opened) throw std::runtime_error(opened.error().detail);
    store_ = std::move(*opened);
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.uid = "app";
    app.name = "app";
    app.created_at = app.updated_at = kT0;
    if (!store_->create_application(app)) throw std::runtime_error("create_application");
    app_id_ = app.id;
  }
  void TearDown() override { store_.reset(); }

  std::string endpoint(bool fifo = false) {
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.app_id = app_id_;
    ep.url = "https://example.com/hook";
    ep.fifo = fifo;
    if (!store_->create_endpoint(ep)) throw std::runtime_error("create_endpoint");
    return ep.id;
  }
  Message message() {
    Message msg;
    msg.id = ids_.next(id_prefix::message);
    msg.app_id = app_id_;
    msg.event_type = "booking.created";
    msg.payload = R"({"booking":{"id":"b_1"}})";
    msg.created_at = kT0;
    return msg;
  }
  Result<CreatedMessage> create(std::vector<std::string> endpoint_ids) {
    return store_->create_message(NewMessage{message(), std::move(endpoint_ids), std::nullopt});
  }
  // (status, lease_owner or "", lease_until or 0) of every delivery, by id.
  std::vector<std::tuple<int, std::string, std::int64_t>> rows() {
    auto db = sqlite::Database::open(path_, sqlite::Database::Mode::read_only, 1000);
    if (!db) throw std::runtime_error(db.error().detail);
    auto statement = db->prepare(
        "SELECT status, COALESCE(lease_owner, ''), COALESCE(lease_until, 0) FROM deliveries ORDER BY id");
    if (!statement) throw std::runtime_error(statement.error().detail);
    std::vector<std::tuple<int, std::string, std::int64_t>> out;
    while (true) {
      auto row = (*statement)->step();
      if (!row) throw std::runtime_error(row.error().detail);
      if (!*row) return out;
      out.emplace_back(static_cast<int>((*statement)->int64(0)), (*statement)->text(1),
                       (*statement)->int64(2));
    }
  }

  test_support::TestDir dir_{"hookd-lease-at-birth"};
  std::string path_;
  std::unique_ptr<Store> store_;
  std::string app_id_;
  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
};

TEST_F(LeaseAtBirth, NewDeliveriesAreWrittenLeasedAndHandedOverWithTheirMessage) {
  auto taker = std::make_shared<RecordingTaker>(10);
  store_->set_lease_taker(taker);
  const auto a = endpoint(), b = endpoint();
  auto created = create({a, b});
  ASSERT_TRUE(created) << created.error().detail;
  EXPECT_EQ(created->endpoint_ids, (std::vector<std::string>{a, b}));

  ASSERT_EQ(taker->handed_deliveries.size(), 2u);
  for (const auto& h : taker->handed_deliveries) {
    EXPECT_EQ(h.delivery.status, DeliveryStatus::sending);
    EXPECT_EQ(h.delivery.msg_id, created->message.id);
    EXPECT_EQ(h.delivery.app_id, app_id_);
    EXPECT_EQ(h.delivery.attempt_count, 0);
    EXPECT_EQ(h.message.payload, R"({"booking":{"id":"b_1"}})");
  }
  EXPECT_EQ(taker->handed_deliveries[0].delivery.endpoint_id, a);
  EXPECT_EQ(taker->handed_deliveries[1].delivery.endpoint_id, b);
  EXPECT_NE(taker->handed_deliveries[0].delivery.id, taker->handed_deliveries[1].delivery.id);
  EXPECT_TRUE(taker->returned_ids.empty());
  const auto until = to_millis(kT0 + 60s);
  EXPECT_EQ(rows(), (std::vector<std::tuple<int, std::string, std::int64_t>>{{1, "node-a", until},
                                                                             {1, "node-a", until}}));

  // Out under a live lease: no claim takes them while the dispatcher sends them.
  EXPECT_TRUE(store_->claim_due(kT0 + 1s, ClaimOptions{})->empty());
}

TEST_F(LeaseAtBirth, AHandedDeliveryNobodySendsIsClaimedOnceItsLeaseEnds) {
  store_->set_lease_taker(std::make_shared<RecordingTaker>(10));
  ASSERT_TRUE(create({endpoint()}));
  store_->set_lease_taker(nullptr);  // the dispatcher died holding it
  auto claimed = store_->claim_due(kT0 + 61s, ClaimOptions{});
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].message.payload, R"({"booking":{"id":"b_1"}})");
}

TEST_F(LeaseAtBirth, ANodesNextStartReleasesWhatWasHandedToIt) {
  store_->set_lease_taker(std::make_shared<RecordingTaker>(10));
  ASSERT_TRUE(create({endpoint(), endpoint()}));
  auto released = store_->release_leases("node-a", kT0 + 1s);
  ASSERT_TRUE(released);
  EXPECT_EQ(*released, 2);
  EXPECT_EQ(store_->claim_due(kT0 + 1s, ClaimOptions{})->size(), 2u);
}

TEST_F(LeaseAtBirth, AFifoEndpointsDeliveryWaitsForTheClaimAndItsSlotIsReturned) {
  auto taker = std::make_shared<RecordingTaker>(10);
  store_->set_lease_taker(taker);
  const auto fifo = endpoint(/*fifo=*/true), plain = endpoint();
  ASSERT_TRUE(create({fifo, plain}));
  ASSERT_EQ(taker->handed_deliveries.size(), 1u);
  EXPECT_EQ(taker->handed_deliveries[0].delivery.endpoint_id, plain);
  EXPECT_EQ(taker->returned_ids, std::vector<std::string>{fifo});
  EXPECT_EQ(std::get<0>(rows()[0]), 0);  // pending, no lease
  EXPECT_EQ(std::get<1>(rows()[0]), "");
  auto claimed = store_->claim_due(kT0, ClaimOptions{});
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].delivery.endpoint_id, fifo);
}

TEST_F(LeaseAtBirth, DeliveriesBeyondTheTakersRoomArePendingForTheClaim) {
  auto taker = std::make_shared<RecordingTaker>(1);
  store_->set_lease_taker(taker);
  const auto a = endpoint(), b = endpoint();
  ASSERT_TRUE(create({a, b}));
  EXPECT_EQ(taker->reserved, (std::vector<std::string>{a, b}));
  ASSERT_EQ(taker->handed_deliveries.size(), 1u);
  EXPECT_EQ(taker->handed_deliveries[0].delivery.endpoint_id, a);
  EXPECT_TRUE(taker->returned_ids.empty());  // b's reservation was refused, not held
  auto claimed = store_->claim_due(kT0, ClaimOptions{});
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].delivery.endpoint_id, b);
}

TEST_F(LeaseAtBirth, AFailedCreateHandsNothingOverAndReturnsEverySlotItHeld) {
  auto taker = std::make_shared<RecordingTaker>(10);
  store_->set_lease_taker(taker);
  const auto a = endpoint(), b = endpoint();
  // The file may not grow: the message and its deliveries fit in its free space, the 2 MiB idempotency
  // record written after them does not, and SQLite rolls the whole transaction back.
  ASSERT_TRUE(sqlite_exec_in_writer(*store_, "PRAGMA max_page_count = 1"));
  auto failed = store_->create_message(
      NewMessage{message(), {a, b}, IdempotencyRecord{"idem", 202, std::string(2 << 20, 'x'), kT0 + 1h}});
  ASSERT_FALSE(failed);
  EXPECT_EQ(taker->reserved, (std::vector<std::string>{a, b}));
  EXPECT_EQ(taker->returned_ids, (std::vector<std::string>{a, b}));
  EXPECT_TRUE(taker->handed_deliveries.empty());
  EXPECT_TRUE(rows().empty());
}

TEST_F(LeaseAtBirth, ADeliveryForAnotherApplicationsEndpointIsNotWrittenAndItsSlotComesBack) {
  auto taker = std::make_shared<RecordingTaker>(10);
  store_->set_lease_taker(taker);
  const auto a = endpoint();
  auto created = create({"ep_of_another_app", a});
  ASSERT_TRUE(created);
  EXPECT_EQ(created->endpoint_ids, std::vector<std::string>{a});
  ASSERT_EQ(taker->handed_deliveries.size(), 1u);
  EXPECT_EQ(taker->returned_ids, std::vector<std::string>{"ep_of_another_app"});
}

TEST_F(LeaseAtBirth, WithoutATakerEveryDeliveryIsPending) {
  const auto a = endpoint();
  ASSERT_TRUE(create({a}));
  EXPECT_EQ(std::get<0>(rows()[0]), 0);
  EXPECT_EQ(store_->claim_due(kT0, ClaimOptions{})->size(), 1u);
}

}  // namespace
}  // namespace hookd::store
