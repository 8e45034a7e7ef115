// Applications (tenants): /api/v1/app.
#include "api/request_helpers.hpp"

namespace hookd::api {
namespace {

// Applies an ApplicationIn body to `app`. `partial`: PATCH (absent fields keep their value).
Result<void> apply_app_body(const json::object& body, Application& app, bool partial) {
  auto name = read_string(body, "name", 256);
  if (!name) return std::unexpected(name.error());
  if (name->value)
    app.name = *name->value;
  else if (!partial)
    return invalid("name", "name is required");
  auto uid = read_string(body, "uid", 256);
  if (!uid) return std::unexpected(uid.error());
  if (uid->value) {
    if (auto r = check_uid("uid", *uid->value, id_prefix::application); !r) return r;
    app.uid = uid->value;
  } else if (uid->present || !partial) {
    if (!partial || uid->present) app.uid.reset();
  }
  for (const char* key : {"rateLimit", "throttleRate"}) {
    auto rate = read_int(body, key);
    if (!rate) return std::unexpected(rate.error());
    if (rate->value) {
      if (*rate->value < 1 || *rate->value > 100000) return invalid(key, "must be from 1 to 100000");
      app.rate_limit = static_cast<int>(*rate->value);
    } else if (rate->present) {
      app.rate_limit.reset();
    }
  }
  auto metadata = read_object_text(body, "metadata");
  if (!metadata) return std::unexpected(metadata.error());
  if (metadata->value) app.metadata_json = *metadata->value;
  // Checked here, before anything is stored; saved by apply_validation once the application is.
  auto mode = read_string(body, "payloadValidation", 16);
  if (!mode) return std::unexpected(mode.error());
  if (mode->value && !parse_validation_mode(*mode->value)) {
    return invalid("payloadValidation", "must be \"off\", \"warn\", \"strict\" or null");
  }
  return {};
}

// hookd's extension: `payloadValidation` ("off" | "warn" | "strict" | null for the server's default).
Result<void> apply_validation(ApiContext& ctx, const json::object& body, const Application& app) {
  auto mode = read_string(body, "payloadValidation", 16);
  if (!mode) return std::unexpected(mode.error());
  if (!mode->present) return {};
  return ctx.store.set_setting(tenant_validation_key(app.id), mode->value.value_or(""));
}

Response app_out(ApiContext& ctx, int status, const Application& app) {
  json::object out = to_json(app);
  auto mode = ctx.store.get_setting(tenant_validation_key(app.id));
  out["payloadValidation"] = mode && *mode && !(*mode)->empty() ? json::value(**mode) : json::value(nullptr);
  return json_response(status, json::serialize(out));
}

// Stores the application, then its validation mode; answers with both.
Response save(ApiContext& ctx, Result<Application> stored, const json::object& body, int status) {
  if (!stored) return to_response(stored.error());
  if (auto r = apply_validation(ctx, body, *stored); !r) return to_response(r.error());
  return app_out(ctx, status, *stored);
}

}  // namespace

void register_app_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/app", [&ctx](const Request& req, const PathParams&) {
    auto page = page_request(req);
    if (!page) return to_response(page.error());
    return respond(ctx.store.list_applications(*page), [](const store::Page<Application>& p) {
      return json_response(200, list_body(
                                    p, [](const Application& a) { return json::serialize(to_json(a)); },
                                    [](const Application& a) { return a.id; }));
    });
  });

  router.add("POST", "/api/v1/app", [&ctx](const Request& req, const PathParams&) {
    auto body = parse_object(req.body);
    if (!body) return to_response(body.error());
    Application app;
    if (auto r = apply_app_body(*body, app, false); !r) return to_response(r.error());
    if (req.query_param("get_if_exists") == "true" && app.uid) {
      if (auto existing = ctx.store.get_application(*app.uid)) return app_out(ctx, 200, *existing);
    }
    app.id = ctx.ids.next(id_prefix::application);
    app.created_at = app.updated_at = ctx.clock.now();
    return save(ctx, ctx.store.create_application(app), *body, 201);
  });

  router.add("GET", "/api/v1/app/{app}", [&ctx](const Request&, const PathParams& params) {
    return respond(find_app(ctx, params), [&ctx](const Application& a) { return app_out(ctx, 200, a); });
  });

  router.add("PUT", "/api/v1/app/{app}", [&ctx](const Request& req, const PathParams& params) {
    auto body = parse_object(req.body);
    if (!body) return to_response(body.error());
    auto existing = find_app(ctx, params);
    if (existing) {
      Application app = *existing;
      app.rate_limit.reset();  // PUT replaces: what the body does not mention returns to its default
      app.metadata_json = "{}";
      if (auto r = apply_app_body(*body, app, false); !r) return to_response(r.error());
      app.updated_at = ctx.clock.now();
      return save(ctx, ctx.store.update_application(app), *body, 200);
    }
    if (existing.error().kind != ErrorKind::not_found) return to_response(existing.error());
    Application app;
    if (auto r = apply_app_body(*body, app, false); !r) return to_response(r.error());
    const std::string& key = params.at("app");
    if (!app.uid && !key.starts_with(id_prefix::application)) app.uid = key;
    app.id = ctx.ids.next(id_prefix::application);
    app.created_at = app.updated_at = ctx.clock.now();
    return save(ctx, ctx.store.create_application(app), *body, 201);
  });

  router.add("PATCH", "/api/v1/app/{app}", [&ctx](const Request& req, const PathParams& params) {
    auto body = parse_object(req.body);
    if (!body) return to_response(body.error());
    auto existing = find_app(ctx, params);
    if (!existing) return to_response(existing.error());
    Application app = *existing;
    if (auto r = apply_app_body(*body, app, true); !r) return to_response(r.error());
    app.updated_at = ctx.clock.now();
    return save(ctx, ctx.store.update_application(app), *body, 200);
  });

  router.add("DELETE", "/api/v1/app/{app}", [&ctx](const Request&, const PathParams& params) {
    auto app = find_app(ctx, params);
    if (!app) return to_response(app.error());
    auto r = ctx.store.delete_application(app->id);
    return r ? no_content() : to_response(r.error());
  });
}

}  // namespace hookd::api
