// /metrics pieces: ingest counters by outcome, and the queue gauges read from a real (SQLite) store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <string>

#include "api/ingest_metrics.hpp"
#include "core/ids.hpp"
#include "delivery/queue_metrics.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "test_dir.hpp"

namespace hookd {
namespace {

using namespace std::chrono_literals;

// The value of the one sample `series` (name with labels, exactly as rendered); NaN when absent.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(IngestMetrics, CountsEachAnswerUnderItsOutcome) {
  api::IngestMetrics m;
  for (int status : {202, 202, 202, 200, 409, 422, 400, 401, 404, 429, 503, 500}) m.record(status);
  auto text = "\n" + m.render();
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"accepted\"}"), 3);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"duplicate\"}"), 2);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"invalid\"}"), 2);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"unauthorized\"}"), 1);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"not_found\"}"), 1);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"throttled\"}"), 1);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"unavailable\"}"), 1);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"error\"}"), 1);
  EXPECT_EQ(sample(text, "hookd_ingest_requests_total{outcome=\"other\"}"), 0);
}

TEST(IngestMetrics, RecognisesOnlyMessageCreatingRequests) {
  EXPECT_TRUE(api::IngestMetrics::is_ingest_request("POST", "/api/v1/app/app_1/msg"));
  EXPECT_TRUE(api::IngestMetrics::is_ingest_request("POST", "/api/v1/app/salon/msg/"));
  EXPECT_TRUE(api::IngestMetrics::is_ingest_request("POST", "/api/v1/events"));
  EXPECT_FALSE(api::IngestMetrics::is_ingest_request("GET", "/api/v1/app/salon/msg"));
  EXPECT_FALSE(api::IngestMetrics::is_ingest_request("POST", "/api/v1/app/salon/endpoint"));
  EXPECT_FALSE(api::IngestMetrics::is_ingest_request("POST", "/api/v1/app/salon/msg/msg_1/resend"));
  EXPECT_FALSE(api::IngestMetrics::is_ingest_request("POST", "/api/v1/app//msg"));
}

class QueueMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    auto path = (dir_ / "hookd.db").string();
    store::StoreOptions options;
    options.url = "sqlite:" + path;
    auto opened = store::open_sqlite_store(path, options);
    ASSERT_TRUE(opened) << opened.error().detail;
    store_ = std::move(*opened);
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.name = "metrics";
    app_ = *store_->create_application(app);
  }
  void TearDown() override { store_.reset(); }

  Endpoint add_endpoint() {
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.app_id = app_.id;
    ep.url = "http://127.0.0.1:9/hook";
    ep.secrets = {EndpointSecret{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", std::nullopt}};
    return *store_->create_endpoint(ep);
  }
  void add_message(const std::string& endpoint_id, TimePoint created) {
    store::NewMessage nm;
    nm.message.id = ids_.next(id_prefix::message);
    nm.message.app_id = app_.id;
    nm.message.event_type = "booking.created";
    nm.message.payload = "{}";
    nm.message.created_at = created;
    nm.endpoint_ids = {endpoint_id};
    ASSERT_TRUE(store_->create_message(nm));
  }
  // Claims every due delivery and records a failed attempt for each, retried at `retry_at`.
  void fail_all(TimePoint now, TimePoint retry_at) {
    store::ClaimOptions claim;
    claim.owner = "test";
    auto claimed = store_->claim_due(now, claim);
    ASSERT_TRUE(claimed);
    std::vector<store::AttemptOutcome> outcomes;
    for (const auto& c : *claimed) {
      store::AttemptOutcome o;
      o.delivery_id = c.delivery.id;
      o.attempt.id = ids_.next(id_prefix::attempt);
      o.attempt.msg_id = c.delivery.msg_id;
      o.attempt.endpoint_id = c.delivery.endpoint_id;
      o.attempt.app_id = c.delivery.app_id;
      o.attempt.timestamp = now;
      o.attempt.error = ErrorClass::connect;
      o.next_status = DeliveryStatus::pending;
      o.next_attempt_at = retry_at;
      outcomes.push_back(o);
    }
    ASSERT_TRUE(store_->record_outcomes(outcomes));
  }

  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  const TimePoint t0_ = from_millis(1'700'000'000'000);
  test_support::TestDir dir_{"hookd-metrics-test"};
  std::unique_ptr<store::Store> store_;
  Application app_;
};

TEST_F(QueueMetrics, OldestPendingAgeGrowsWithTheWaitAndDropsWhenNothingIsDue) {
  auto text = "\n" + delivery::render_queue_metrics(*store_, t0_);
  EXPECT_EQ(sample(text, "hookd_oldest_pending_age_seconds"), 0);
  EXPECT_EQ(sample(text, "hookd_endpoints_failing"), 0);

  Endpoint ep = add_endpoint();
  add_message(ep.id, t0_);
  add_message(ep.id, t0_ + 5s);
  text = "\n" + delivery::render_queue_metrics(*store_, t0_ + 12500ms);
  EXPECT_DOUBLE_EQ(sample(text, "hookd_oldest_pending_age_seconds"), 12.5);

  // Both fail and are scheduled for later: nothing is overdue any more, but the endpoint is failing.
  fail_all(t0_ + 20s, t0_ + 80s);
  text = "\n" + delivery::render_queue_metrics(*store_, t0_ + 30s);
  EXPECT_EQ(sample(text, "hookd_oldest_pending_age_seconds"), 0);
  EXPECT_EQ(sample(text, "hookd_endpoints_failing"), 1);
  EXPECT_DOUBLE_EQ(
      sample(text, "hookd_endpoint_failing_seconds{app=\"" + app_.id + "\",endpoint=\"" + ep.id + "\"}"),
      10.0);
  text = "\n" + delivery::render_queue_metrics(*store_, t0_ + 90s);
  EXPECT_DOUBLE_EQ(sample(text, "hookd_oldest_pending_age_seconds"), 10.0);
}

TEST_F(QueueMetrics, FailingEndpointSeriesAreCappedButTheTotalIsNot) {
  for (int i = 0; i < 5; ++i) add_message(add_endpoint().id, t0_);
  fail_all(t0_ + 1s, t0_ + 1h);
  auto text = "\n" + delivery::render_queue_metrics(*store_, t0_ + 2s, 3);
  EXPECT_EQ(sample(text, "hookd_endpoints_failing"), 5);
  std::regex series(
      "\nhookd_endpoint_failing_seconds\\{app=\"app_[^\"]+\",endpoint=\"ep_[^\"]+\"\\} 1\\.000");
  auto n = std::distance(std::sregex_iterator(text.begin(), text.end(), series), std::sregex_iterator());
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace hookd
