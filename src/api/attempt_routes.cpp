// Delivery attempts and manual resend.
#include "api/request_helpers.hpp"

namespace hookd::api {

namespace {

Result<store::AttemptFilter> attempt_filter(const Request& req) {
  store::AttemptFilter filter;
  if (auto s = req.query_param("status"); s && !s->empty()) {
    if (*s == "0")
      filter.status = AttemptStatus::success;
    else if (*s == "1")
      filter.status = AttemptStatus::pending;
    else if (*s == "2")
      filter.status = AttemptStatus::fail;
    else if (*s == "3")
      filter.status = AttemptStatus::sending;
    else
      return invalid("status", "status must be 0 (success), 1 (pending), 2 (fail) or 3 (sending)");
  }
  if (auto c = req.query_param("status_code_class"); c && !c->empty()) {
    static constexpr std::pair<std::string_view, int> kClasses[] = {{"0", 0},     {"100", 100}, {"200", 200},
                                                                    {"300", 300}, {"400", 400}, {"500", 500}};
    bool found = false;
    for (auto [text, value] : kClasses)
      if (*c == text) filter.status_code_class = value, found = true;
    if (!found) return invalid("status_code_class", "must be 0, 100, 200, 300, 400 or 500");
  }
  filter.event_types = event_types_param(req);
  auto before = time_param(req, "before");
  if (!before) return std::unexpected(before.error());
  auto after = time_param(req, "after");
  if (!after) return std::unexpected(after.error());
  filter.before = *before;
  filter.after = *after;
  return filter;
}

Response list(ApiContext& ctx, const Request& req, const std::string& app_id, store::AttemptFilter filter) {
  auto page = page_request(req);
  if (!page) return to_response(page.error());
  return respond(ctx.store.list_attempts(app_id, filter, *page), [](const store::Page<Attempt>& p) {
    return json_response(200, list_body(
                                  p, [](const Attempt& a) { return json::serialize(to_json(a)); },
                                  [](const Attempt& a) { return a.id; }));
  });
}

}  // namespace

void register_attempt_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/app/{app}/attempt/msg/{msg}",
             [&ctx](const Request& req, const PathParams& params) {
               auto app = find_app(ctx, params);
               if (!app) return to_response(app.error());
               auto msg = ctx.store.get_message(app->id, params.at("msg"));
               if (!msg) return to_response(msg.error());
               auto filter = attempt_filter(req);
               if (!filter) return to_response(filter.error());
               filter->msg_id = msg->id;
               if (auto ep = req.query_param("endpoint_id"); ep && !ep->empty()) {
                 auto endpoint = ctx.store.get_endpoint(app->id, *ep);
                 if (!endpoint) return to_response(endpoint.error());
                 filter->endpoint_id = endpoint->id;
               }
               return list(ctx, req, app->id, std::move(*filter));
             });

  router.add("GET", "/api/v1/app/{app}/attempt/endpoint/{endpoint}",
             [&ctx](const Request& req, const PathParams& params) {
               auto app = find_app(ctx, params);
               if (!app) return to_response(app.error());
               auto endpoint = ctx.store.get_endpoint(app->id, params.at("endpoint"));
               if (!endpoint) return to_response(endpoint.error());
               auto filter = attempt_filter(req);
               if (!filter) return to_response(filter.error());
               filter->endpoint_id = endpoint->id;
               return list(ctx, req, app->id, std::move(*filter));
             });

  router.add("GET", "/api/v1/app/{app}/msg/{msg}/attempt/{attempt}",
             [&ctx](const Request&, const PathParams& params) {
               auto app = find_app(ctx, params);
               if (!app) return to_response(app.error());
               auto msg = ctx.store.get_message(app->id, params.at("msg"));
               if (!msg) return to_response(msg.error());
               auto attempt = ctx.store.get_attempt(app->id, params.at("attempt"));
               if (!attempt) return to_response(attempt.error());
               if (attempt->msg_id != msg->id) return error_response(404, "not_found", "no such attempt");
               return json_response(200, json::serialize(to_json(*attempt)));
             });

  router.add("POST", "/api/v1/app/{app}/msg/{msg}/endpoint/{endpoint}/resend",
             [&ctx](const Request&, const PathParams& params) {
               auto app = find_app(ctx, params);
               if (!app) return to_response(app.error());
               auto msg = ctx.store.get_message(app->id, params.at("msg"));
               if (!msg) return to_response(msg.error());
               auto endpoint = ctx.store.get_endpoint(app->id, params.at("endpoint"));
               if (!endpoint) return to_response(endpoint.error());
               auto r = ctx.store.enqueue_resend(app->id, msg->id, endpoint->id, ctx.clock.now());
               return r ? json_response(202, "{}") : to_response(r.error());
             });
}

}  // namespace hookd::api
