// The delivery pipeline's pure parts: the request as signed and sent, and the decision after an attempt.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/secrets.hpp"
#include "delivery/request_builder.hpp"
#include "delivery/retry_decision.hpp"
#include "delivery/signing.hpp"

namespace hookd::delivery {
namespace {

using namespace std::chrono_literals;

class HalfRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override { std::ranges::fill(out, std::uint8_t{0x80}); }
};

const TimePoint kNow = from_millis(1'700'000'000'000);

std::string header(const OutboundRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(RequestBuilder, SignsTheExactBodyWithEveryUnexpiredSecret) {
  Message m;
  m.id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  m.payload = R"({"test": 2432232314})";
  Endpoint e;
  e.url = "https://example.com/hook";
  e.headers = {{"x-tenant", "acme"}};
  e.secrets = {{"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", std::nullopt},
               {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kNow + 1h},  // rotating out, still valid
               {"whsec_" + std::string(32, 'A'), kNow - 1s}};          // expired: not used
  auto r = build_delivery_request({m, e, "", kNow, 15s});
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->body, m.payload);
  EXPECT_EQ(header(*r, "content-type"), "application/json");
  EXPECT_EQ(header(*r, "webhook-id"), m.id);
  EXPECT_EQ(header(*r, "svix-id"), m.id);
  EXPECT_EQ(header(*r, "webhook-timestamp"), "1700000000");
  EXPECT_EQ(header(*r, "x-tenant"), "acme");
  auto sig = header(*r, "webhook-signature");
  EXPECT_EQ(sig, header(*r, "svix-signature"));
  EXPECT_EQ(std::ranges::count(sig, ' '), 1) << sig;  // two entries: current and rotating-out
  EXPECT_TRUE(verify("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", m.id, 1700000000, r->body, sig));
  EXPECT_TRUE(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", m.id, 1700000000, r->body, sig));
  EXPECT_FALSE(verify("whsec_" + std::string(32, 'A'), m.id, 1700000000, r->body, sig));
}

TEST(RequestBuilder, FormEndpointsGetSignedFormBodiesAndAPingFirst) {
  Message m;
  m.id = "msg_1";
  m.payload = R"({"email":"a@b.c","total":25.00,"itemsId":[5,9,7]})";
  Endpoint e;
  e.url = "https://example.com/buq";
  e.body_format = BodyFormat::form;
  e.auth_id = "client";
  e.auth_secret = "s3cret";
  e.secrets = {{"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", std::nullopt}};
  auto r = build_delivery_request({m, e, "adduser", kNow, 15s});
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(header(*r, "content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r->body,
            "type=adduser&auth_id=client&auth_secret=s3cret&email=a%40b.c&total=25.00&itemsId=5%2C9%2C7");
  EXPECT_TRUE(verify(e.secrets[0].key, m.id, 1700000000, r->body, header(*r, "webhook-signature")));
  auto ping = build_ping_request({m, e, "adduser", kNow, 15s});
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->body, "type=permission&auth_id=client&auth_secret=s3cret");
}

TEST(RequestBuilder, SuccessRules) {
  OutboundResponse ok{.status = 200, .body = "ok"};
  OutboundResponse empty{.status = 200};
  OutboundResponse created{.status = 201, .body = "ok"};
  OutboundResponse timeout{.error = ErrorClass::timeout};
  EXPECT_TRUE(is_success(ok, SuccessRule::any_2xx));
  EXPECT_TRUE(is_success(empty, SuccessRule::any_2xx));
  EXPECT_TRUE(is_success(created, SuccessRule::any_2xx));
  EXPECT_TRUE(is_success(ok, SuccessRule::ok_with_body));
  EXPECT_FALSE(is_success(empty, SuccessRule::ok_with_body));
  EXPECT_FALSE(is_success(created, SuccessRule::ok_with_body));
  EXPECT_FALSE(is_success(timeout, SuccessRule::any_2xx));
}

struct DecisionFixture : ::testing::Test {
  Delivery delivery;
  Endpoint endpoint;
  RetrySchedule schedule = *RetrySchedule::parse("5s,5m");
  HalfRandom random;
  Decision run(AttemptResult result) {
    return decide({delivery, endpoint, result, kNow, schedule, std::chrono::hours(24 * 5)}, random);
  }
};

TEST_F(DecisionFixture, SuccessEndsTheDelivery) {
  auto d = run({true, 200, std::nullopt});
  EXPECT_EQ(d.next_status, DeliveryStatus::succeeded);
  EXPECT_FALSE(d.disable_endpoint);
}

TEST_F(DecisionFixture, FailuresFollowTheScheduleThenGiveUp) {
  delivery.attempt_count = 0;
  auto first = run({false, 500, std::nullopt});
  EXPECT_EQ(first.next_status, DeliveryStatus::pending);
  ASSERT_TRUE(first.next_attempt_at);
  EXPECT_NEAR(static_cast<double>((*first.next_attempt_at - kNow).count()), 5000.0, 10.0);
  delivery.attempt_count = 1;
  EXPECT_EQ(run({false, 500, std::nullopt}).next_status, DeliveryStatus::pending);
  delivery.attempt_count = 2;  // the third attempt failed: the two-delay schedule is exhausted
  EXPECT_EQ(run({false, 500, std::nullopt}).next_status, DeliveryStatus::failed);
}

TEST_F(DecisionFixture, GoneDisablesAndManualAttemptsAreNotRetried) {
  auto gone = run({false, 410, std::nullopt});
  EXPECT_EQ(gone.next_status, DeliveryStatus::failed);
  EXPECT_TRUE(gone.disable_endpoint);
  delivery.manual = true;
  auto manual = run({false, 500, std::nullopt});
  EXPECT_EQ(manual.next_status, DeliveryStatus::failed);
  EXPECT_FALSE(manual.disable_endpoint);
}

TEST_F(DecisionFixture, AnEndpointFailingForFiveDaysIsDisabled) {
  endpoint.failing_since = kNow - std::chrono::hours(24 * 5) + 1s;
  EXPECT_FALSE(run({false, 500, std::nullopt}).disable_endpoint);
  endpoint.failing_since = kNow - std::chrono::hours(24 * 5);
  auto d = run({false, 500, std::nullopt});
  EXPECT_TRUE(d.disable_endpoint);
  EXPECT_EQ(d.next_status, DeliveryStatus::failed);
}

}  // namespace
}  // namespace hookd::delivery
