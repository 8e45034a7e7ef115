// The dispatcher against a real SQLite store and a real receiver on loopback, with the store's recording of
// outcomes held or failed on purpose: which work waits for a recording, and what a failed one leaves behind.
#include "delivery/dispatcher.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/secrets.hpp"
#include "forwarding_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "test_dir.hpp"
#include "test_receiver.hpp"

namespace hookd::delivery {
namespace {

using namespace std::chrono_literals;
using test_support::TestReceiver;

// Polls `done` every millisecond for at most `limit`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Passes a lease taker's hand-overs on, counting them once they are in the dispatcher's mailbox.
class CountingTaker final : public store::LeaseTaker {
 public:
  CountingTaker(std::shared_ptr<store::LeaseTaker> inner, std::atomic<int>& handed)
      : inner_(std::move(inner)), handed_(handed) {}
  bool reserve(const std::string& endpoint_id) override { return inner_->reserve(endpoint_id); }
  void returned(const std::string& endpoint_id) override { inner_->returned(endpoint_id); }
  void handed(std::vector<store::ClaimedDelivery> deliveries) override {
    const auto n = static_cast<int>(deliveries.size());
    inner_->handed(std::move(deliveries));
    handed_ += n;
  }
  const std::string& owner() const override { return inner_->owner(); }
  TimePoint lease_until() const override { return inner_->lease_until(); }

 private:
  std::shared_ptr<store::LeaseTaker> inner_;
  std::atomic<int>& handed_;
};

// A real store whose record_outcomes can be held at a gate (armed: each call waits for a pass) or made to
// fail, and which counts the deliveries handed over to the dispatcher.
class GatedStore final : public test_support::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  Result<void> record_outcomes(std::span<const store::AttemptOutcome> outcomes) override {
    {
      std::unique_lock lock(mutex_);
      ++entered_;
      cv_.notify_all();
      // Bounded: a test that fails midway must not hang the dispatcher's thread for ever.
      cv_.wait_for(lock, 30s, [&] { return !armed_ || passes_ > 0; });
      if (armed_ && passes_ > 0) --passes_;
      ++left_;
      cv_.notify_all();
      if (failing_)
        return std::unexpected(Error{ErrorKind::internal, "internal", "recording failed (test)", {}});
    }
    return inner_.record_outcomes(outcomes);
  }
  void set_lease_taker(std::shared_ptr<store::LeaseTaker> taker) override {
    inner_.set_lease_taker(taker ? std::make_shared<CountingTaker>(std::move(taker), handed_) : nullptr);
  }

  void arm() {
    set([&] { armed_ = true; });
  }
  void pass_one() {
    set([&] { ++passes_; });
  }
  void open() {
    set([&] { armed_ = false; });
  }
  void fail_recordings(bool on) {
    set([&] { failing_ = on; });
  }
  int entered() { return read(entered_); }
  int left() { return read(left_); }
  int handed() const { return handed_.load(); }

 private:
  void set(const std::function<void()>& change) {
    {
      std::lock_guard lock(mutex_);
      change();
    }
    cv_.notify_all();
  }
  int read(const int& field) {
    std::lock_guard lock(mutex_);
    return field;
  }

  std::mutex mutex_;  // guards the fields below
  std::condition_variable cv_;
  bool armed_ = false;
  bool failing_ = false;
  int passes_ = 0;
  int entered_ = 0;  // record_outcomes calls that reached the gate
  int left_ = 0;     // and passed it
  std::atomic<int> handed_{0};
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite_store((dir_ / "hookd.db").string(), store::StoreOptions{});
    if (!opened) throw std::runtime_error(opened.error().detail);
    real_ = std::move(*opened);
    store_ = std::make_unique<GatedStore>(*real_);
    // As serve does: a commit that wrote due work wakes the dispatcher.
    real_->set_work_listener([this] {
      std::lock_guard lock(wake_mutex_);
      if (awake_ != nullptr) awake_->wake();
    });
    client_ = std::make_unique<HttpClient>(client_options());
  }
  void TearDown() override {
    store_->open();  // a recording still held must not hold up the dispatcher's stop
    stop_dispatcher();
    real_->set_work_listener(nullptr);
    client_.reset();
    store_.reset();
    real_.reset();
  }

  static HttpClientOptions client_options() {
    HttpClientOptions options;
    options.policy.allow_private = true;  // the receiver is on loopback
    return options;
  }
  void start_dispatcher(DispatcherOptions options = {}) {
    stop_dispatcher();
    dispatcher_ = std::make_unique<Dispatcher>(*store_, *client_, clock_, random_, ids_, metrics_, options);
    {
      std::lock_guard lock(wake_mutex_);
      awake_ = dispatcher_.get();
    }
    dispatcher_->start();
  }
  // The work listener never wakes a dispatcher being destroyed: it is taken out of reach first.
  void stop_dispatcher() {
    {
      std::lock_guard lock(wake_mutex_);
      awake_ = nullptr;
    }
    dispatcher_.reset();
  }
  // An application with one endpoint at `path` of the receiver; returns the application's id.
  std::string app_with_endpoint(const std::string& path) {
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.uid = app.name = "app" + std::to_string(++apps_);
    app.created_at = app.updated_at = clock_.now();
    if (!real_->create_application(app)) throw std::runtime_error("create_application");
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.app_id = app.id;
    ep.url = receiver_.url(path);
    ep.secrets = {EndpointSecret{generate_symmetric_secret(random_), std::nullopt}};
    ep.created_at = ep.updated_at = clock_.now();
    if (!real_->create_endpoint(ep)) throw std::runtime_error("create_endpoint");
    endpoints_[app.id] = ep.id;
    return app.id;
  }
  // One message to the application's endpoint; returns once it is committed.
  void send_message(const std::string& app_id) {
    Message msg;
    msg.id = ids_.next(id_prefix::message);
    msg.app_id = app_id;
    msg.event_type = "booking.created";
    msg.payload = R"({"booking":{"id":"b_1"}})";
    msg.created_at = clock_.now();
    auto created = real_->create_message(store::NewMessage{msg, {endpoints_.at(app_id)}, std::nullopt});
    if (!created) throw std::runtime_error(created.error().detail);
  }
  // The recorded attempts of an application, as their response status codes (0 for a network error).
  std::vector<int> attempt_statuses(const std::string& app_id) {
    auto page = real_->list_attempts(app_id, store::AttemptFilter{}, store::PageRequest{});
    if (!page) throw std::runtime_error(page.error().detail);
    std::vector<int> out;
    for (const auto& a : page->items) out.push_back(a.response_status_code);
    return out;
  }

  test_support::TestDir dir_{"hookd-dispatcher"};
  TestReceiver receiver_;
  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  DeliveryMetrics metrics_;
  std::unique_ptr<store::Store> real_;
  std::unique_ptr<GatedStore> store_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::mutex wake_mutex_;                         // guards awake_
  Dispatcher* awake_ = nullptr;                   // the dispatcher the store's work listener wakes
  std::map<std::string, std::string> endpoints_;  // app id -> its endpoint's id
  int apps_ = 0;
};

// Recording outcomes waits for the writer's commit (an fsync). A delivery handed over while the dispatcher
// waits must go out at its next turn, not after that turn's own recording as well.
TEST_F(DispatcherTest, HandedDeliveriesGoOutBeforeTheOutcomesOfTheSameTurnAreRecorded) {
  const std::string fast = app_with_endpoint("/ok");
  const std::string slow = app_with_endpoint("/held");
  start_dispatcher();

  // C: in flight to the slow endpoint, answered later.
  send_message(slow);
  ASSERT_TRUE(eventually([&] { return receiver_.requests_to("/held") == 1; }));

  // A: answered at once; recording its outcome (#1) is held.
  store_->arm();
  send_message(fast);
  ASSERT_TRUE(eventually([&] { return store_->entered() == 1; }));
  ASSERT_EQ(receiver_.requests_to("/ok"), 1);

  // While #1 is held: B is handed over, and C's answer arrives. The dispatcher's next turn has both.
  send_message(fast);
  ASSERT_TRUE(eventually([&] { return store_->handed() == 3; }));
  receiver_.release_held();
  ASSERT_TRUE(eventually([&] { return client_->in_flight() == 0; }));
  std::this_thread::sleep_for(50ms);  // in_flight() drops just before the completion reaches the mailbox
  EXPECT_EQ(receiver_.requests_to("/ok"), 1) << "B went out while the dispatcher was recording";

  // #1 passes; the gate stays armed, so the next turn's recording (C's outcome, #2) is held in its turn.
  store_->pass_one();
  EXPECT_TRUE(eventually([&] { return receiver_.requests_to("/ok") == 2; }))
      << "B waited for the recording of the turn it was handed over in";
  EXPECT_EQ(store_->left(), 1) << "B went out only after a second recording";
  EXPECT_TRUE(eventually([&] { return store_->entered() == 2; }));

  store_->open();
  ASSERT_TRUE(
      eventually([&] { return attempt_statuses(fast).size() == 2 && attempt_statuses(slow).size() == 1; }));
  EXPECT_EQ(attempt_statuses(fast), (std::vector<int>{200, 200}));
  EXPECT_EQ(attempt_statuses(slow), (std::vector<int>{200}));
}

// A recording that fails loses nothing: the delivery keeps its lease, and the dispatcher's next start
// releases it and sends it again (at-least-once), this time recorded.
TEST_F(DispatcherTest, ADeliveryWhoseOutcomeCouldNotBeRecordedIsSentAgainAfterARestart) {
  const std::string app = app_with_endpoint("/ok");
  store_->fail_recordings(true);
  start_dispatcher();
  send_message(app);
  ASSERT_TRUE(eventually([&] { return store_->left() == 1; }));
  dispatcher_->stop();
  EXPECT_EQ(receiver_.requests_to("/ok"), 1);
  EXPECT_TRUE(attempt_statuses(app).empty());
  auto depth = real_->queue_depth();
  ASSERT_TRUE(depth);
  EXPECT_EQ(depth->sending, 1) << "the delivery still holds its lease";

  store_->fail_recordings(false);
  start_dispatcher();
  ASSERT_TRUE(eventually([&] { return attempt_statuses(app).size() == 1; }));
  EXPECT_EQ(receiver_.requests_to("/ok"), 2);
  EXPECT_EQ(attempt_statuses(app), (std::vector<int>{200}));
  depth = real_->queue_depth();
  ASSERT_TRUE(depth);
  EXPECT_EQ(depth->success, 1);
  EXPECT_EQ(depth->sending + depth->pending, 0);
}

// An endpoint at its limit, its requests unanswered, costs no claims: deliveries that find no slot wait
// without waking the dispatcher, and it claims them once a slot of theirs comes back. (Claiming on every
// turn while a full endpoint had rows pending made a stuck endpoint cost a claim a turn.)
// A backlog waiting when the dispatcher starts (a restart, endpoints paused) is claimed at once, without a
// wake-up from the store and without waiting for the periodic claim.
TEST_F(DispatcherTest, ABacklogWaitingAtStartIsClaimedAtOnce) {
  const std::string app = app_with_endpoint("/ok");
  for (int i = 0; i < 3; ++i) send_message(app);  // no dispatcher yet: the deliveries wait, pending
  DispatcherOptions options;
  options.idle_poll = std::chrono::seconds(60);
  start_dispatcher(options);
  EXPECT_TRUE(eventually([&] { return receiver_.requests_to("/ok") == 3; }))
      << "the backlog waited for the periodic claim";
  EXPECT_TRUE(eventually([&] { return attempt_statuses(app).size() == 3; }));
}

TEST_F(DispatcherTest, AFullEndpointCostsNoClaimsUntilOneOfItsSlotsComesBack) {
  const std::string app = app_with_endpoint("/held");
  DispatcherOptions options;
  options.per_endpoint_limit = 2;
  options.idle_poll = std::chrono::seconds(60);  // no periodic claim within the test
  start_dispatcher(options);
  send_message(app);
  send_message(app);
  ASSERT_TRUE(eventually([&] { return receiver_.requests_to("/held") == 2; }));
  ASSERT_TRUE(eventually([&] { return store_->handed() == 2; }));

  auto writer_jobs = [&] { return store::sqlite_writer_stats(*real_)->jobs; };
  std::this_thread::sleep_for(100ms);  // the claims of the start, if any, have run
  const auto before = writer_jobs();
  for (int i = 0; i < 5; ++i) send_message(app);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(writer_jobs() - before, 5u) << "the writer ran claims besides the 5 messages";
  EXPECT_EQ(receiver_.requests_to("/held"), 2);

  receiver_.release_held();  // the two come back, and each slot brings the next claim
  EXPECT_TRUE(eventually([&] { return attempt_statuses(app).size() == 7; }));
  EXPECT_EQ(receiver_.requests_to("/held"), 7);
}

}  // namespace
}  // namespace hookd::delivery
