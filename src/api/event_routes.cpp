// The native producer API: POST /api/v1/events {type, tenant_id, data, id?}. Receivers get exactly the
// seeds' envelope {"id","type","created","tenant_id","data"}, with `data` byte for byte as sent (minified).
#include "api/ingest.hpp"
#include "api/request_helpers.hpp"
#include "api/wait_outcomes.hpp"
#include "core/json_text.hpp"
#include "core/time_format.hpp"

namespace hookd::api {

void register_event_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/events", [&ctx](const Request& req, const PathParams&) {
    auto body = parse_object(req.body);
    if (!body) return to_response(body.error());
    auto type = read_string(*body, "type", 256);
    if (!type) return to_response(type.error());
    if (!type->value) return validation_error("type", "type is required");
    if (auto r = check_name("type", *type->value); !r) return to_response(r.error());
    auto tenant = read_string(*body, "tenant_id", 256);
    if (!tenant) return to_response(tenant.error());
    if (!tenant->value) return validation_error("tenant_id", "tenant_id is required");
    auto id = read_string(*body, "id", 256);
    if (!id) return to_response(id.error());
    if (id->value)
      if (auto r = check_name("id", *id->value); !r) return to_response(r.error());
    const auto* data = body->if_contains("data");
    if (!data || !data->is_object()) return validation_error("data", "data must be a JSON object");

    auto wait = wait_param(req);
    if (!wait) return to_response(wait.error());
    auto app = ctx.store.get_application(*tenant->value);
    if (!app) {
      if (app.error().kind == ErrorKind::not_found) {
        return error_response(404, "tenant_not_found", "no tenant with id or uid " + *tenant->value);
      }
      return to_response(app.error());
    }
    auto minified = json_text::minified_member(req.body, "data");
    if (!minified) return to_response(minified.error());
    if (!*minified) return validation_error("data", "data must be an object");

    auto now = ctx.clock.now();
    std::string event_id = id->value ? *id->value : ctx.ids.next(id_prefix::event);
    std::string envelope =
        "{\"id\":" + json_text::quote(event_id) + ",\"type\":" + json_text::quote(*type->value) +
        ",\"created\":" + json_text::quote(format_rfc3339(now, false)) +
        ",\"tenant_id\":" + json_text::quote(app->uid.value_or(app->id)) + ",\"data\":" + **minified + "}";
    IngestRequest in{app->id, *type->value, std::move(envelope), event_id, std::nullopt, std::nullopt, now};
    auto created = ingest(ctx, ctx.validator, std::move(in));
    if (!created) return to_response(created.error());
    // A repeated event id returns the first message: producers may retry safely.
    std::string out = message_json(created->message);
    if (*wait && !created->existed) {
      out = append_raw_member(std::move(out), "outcomes",
                              wait_for_outcomes(ctx, created->message, created->endpoint_ids, **wait));
    }
    return json_response(created->existed ? 200 : 202, out);
  });
}

}  // namespace hookd::api
