// Requests answered later: routes that answer through a Responder, and a message create that waits for its
// commit without holding the thread that called it (which is what lets the server run it on an I/O thread).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "api/api.hpp"
#include "api/router.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/secrets.hpp"
#include "held_writer.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "test_dir.hpp"

namespace hookd::api {
namespace {

using namespace std::chrono_literals;

Request request(std::string method, std::string path, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

TEST(RouterAsync, ARouteMayAnswerLaterAndDispatchWaitsForIt) {
  Router router;
  std::thread answerer;
  router.add_async("POST", "/later/{id}", [&](const Request&, const PathParams& params, Responder respond) {
    answerer = std::thread([respond, id = params.at("id")] {
      std::this_thread::sleep_for(10ms);
      respond(json_response(202, id));
    });
  });
  router.add("GET", "/now", [](const Request&, const PathParams&) { return json_response(200, "now"); });

  Response later = router.dispatch(request("POST", "/later/7"));  // returns once the other thread answered
  answerer.join();
  EXPECT_EQ(later.status, 202);
  EXPECT_EQ(later.body, "7");

  std::optional<Response> now;
  router.dispatch_async(request("GET", "/now"), [&](Response r) { now = std::move(r); });
  ASSERT_TRUE(now) << "a synchronous route answers before dispatch_async returns";
  EXPECT_EQ(now->body, "now");
  std::optional<Response> missing, wrong_method;
  router.dispatch_async(request("GET", "/nothing"), [&](Response r) { missing = std::move(r); });
  router.dispatch_async(request("GET", "/later/7"), [&](Response r) { wrong_method = std::move(r); });
  ASSERT_TRUE(missing && wrong_method);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(wrong_method->status, 405);
}

TEST(RouterAsync, OnlyARouteThatSaysSoRunsInline) {
  Router router;
  auto nothing = [](const Request&, const PathParams&, const Responder& respond) { respond(no_content()); };
  router.add_async("POST", "/a", nothing, [](const Request& r) { return !r.query_param("wait"); });
  router.add_async("POST", "/b", nothing);
  router.add("POST", "/c", [](const Request&, const PathParams&) { return no_content(); });
  EXPECT_TRUE(router.runs_inline(request("POST", "/a")));
  Request waiting = request("POST", "/a");
  waiting.query.emplace_back("wait", "5");
  EXPECT_FALSE(router.runs_inline(waiting));
  EXPECT_FALSE(router.runs_inline(request("GET", "/a")));  // 405: not the route's
  EXPECT_FALSE(router.runs_inline(request("POST", "/b")));
  EXPECT_FALSE(router.runs_inline(request("POST", "/c")));
  EXPECT_FALSE(router.runs_inline(request("POST", "/none")));
}

class ApiAsyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite_store((dir_ / "hookd.db").string(), store::StoreOptions{});
    ASSERT_TRUE(opened.has_value());
    store_ = std::move(*opened);
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.uid = "salon";
    app.name = "salon";
    app.created_at = app.updated_at = clock_.now();
    ASSERT_TRUE(store_->create_application(app));
    EventType type;
    type.name = "booking.created";
    type.created_at = type.updated_at = clock_.now();
    ASSERT_TRUE(store_->create_event_type(type));
    ctx_.emplace(ApiContext{*store_, clock_, random_, ids_, validator_, ApiConfig{}, sha256_hex("token"),
                            "portal-key"});
    api_.emplace(*ctx_);
  }
  Request authorized(std::string method, std::string path, std::string body = {}) {
    Request r = request(std::move(method), std::move(path), std::move(body));
    r.headers["authorization"] = "Bearer token";
    return r;
  }

  test_support::TestDir dir_{"hookd-api-async"};
  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  PayloadValidator validator_{ValidationMode::warn};
  std::unique_ptr<store::Store> store_;
  std::optional<ApiContext> ctx_;
  std::optional<Api> api_;
};

TEST_F(ApiAsyncTest, OnlyAMessageOrEventCreateThatWaitsForNothingRunsInline) {
  const std::string create = "/api/v1/app/salon/msg";
  EXPECT_TRUE(api_->runs_inline(authorized("POST", create)));
  Request waiting = authorized("POST", create);
  waiting.query.emplace_back("wait", "5");
  EXPECT_FALSE(api_->runs_inline(waiting));
  Request keyed = authorized("POST", create);
  keyed.headers["idempotency-key"] = "k1";
  EXPECT_FALSE(api_->runs_inline(keyed));
  EXPECT_TRUE(api_->runs_inline(authorized("POST", "/api/v1/events")));  // the native producer API
  Request waiting_event = authorized("POST", "/api/v1/events");
  waiting_event.query.emplace_back("wait", "5");
  EXPECT_FALSE(api_->runs_inline(waiting_event));
  EXPECT_FALSE(api_->runs_inline(authorized("GET", create)));
  EXPECT_FALSE(api_->runs_inline(authorized("POST", "/api/v1/app")));
  EXPECT_FALSE(api_->runs_inline(authorized("GET", "/api/v1/health")));
}

// The writer is held: the create returns without an answer (its thread is free), and answers 202 with the
// message once the writer commits it.
TEST_F(ApiAsyncTest, AMessageCreateAnswersAfterItsCommitWithoutHoldingItsThread) {
  test_support::HeldWriter held(*store_);
  ASSERT_TRUE(held.holding());

  Request create =
      authorized("POST", "/api/v1/app/salon/msg", R"({"eventType":"booking.created","payload":{"n":1}})");
  std::promise<Response> answered;
  auto answer = answered.get_future();
  api_->handle_async(create, [&](Response r) { answered.set_value(std::move(r)); });
  EXPECT_EQ(answer.wait_for(50ms), std::future_status::timeout) << "answered before the commit";
  EXPECT_TRUE(held.release());
  ASSERT_EQ(answer.wait_for(20s), std::future_status::ready);
  Response r = answer.get();
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_NE(r.body.find(R"("eventType":"booking.created")"), std::string::npos) << r.body;

  // Refusals are answered at once, through the same Responder.
  Request unknown = authorized("POST", "/api/v1/app/salon/msg", R"({"eventType":"no.such","payload":{}})");
  std::optional<Response> refused;
  api_->handle_async(unknown, [&](Response resp) { refused = std::move(resp); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 422);
}

// The native event API answers the same way, and a repeated event id answers 200 with the first message.
TEST_F(ApiAsyncTest, AnEventIsAnsweredOnceCommittedAndARepeatWith200) {
  auto post = [&](const std::string& body) {
    Request r = authorized("POST", "/api/v1/events", body);
    std::promise<Response> answered;
    auto answer = answered.get_future();
    api_->handle_async(r, [&](Response resp) { answered.set_value(std::move(resp)); });
    EXPECT_EQ(answer.wait_for(20s), std::future_status::ready);
    return answer.get();
  };
  const std::string event = R"({"type":"booking.created","tenant_id":"salon","id":"evt_1","data":{"n":1}})";
  Response first = post(event);
  EXPECT_EQ(first.status, 202) << first.body;
  Response again = post(event);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(post(R"({"type":"booking.created","tenant_id":"nobody","data":{}})").status, 404);
}

}  // namespace
}  // namespace hookd::api
