// The native producer API: POST /api/v1/events {type, tenant_id, data, id?}. Receivers get exactly the
// seeds' envelope {"id","type","created","tenant_id","data"}, with `data` byte for byte as sent (minified).
#include "api/ingest.hpp"
#include "api/request_helpers.hpp"
#include "api/wait_outcomes.hpp"
#include "core/json_text.hpp"
#include "core/time_format.hpp"

namespace hookd::api {
namespace {

// A repeated event id answers 200 with the first message: producers may retry safely.
Response event_response(const Result<store::CreatedMessage>& created) {
  if (!created) return to_response(created.error());
  return json_response(created->existed ? 200 : 202, message_json(created->message));
}

// Like a message create: without `wait`, answered from the store once the event is durable.
void create_event(ApiContext& ctx, const Request& req, const Responder& respond) {
  auto body = parse_object(req.body);
  if (!body) return respond(to_response(body.error()));
  auto type = read_string(*body, "type", 256);
  if (!type) return respond(to_response(type.error()));
  if (!type->value) return respond(validation_error("type", "type is required"));
  if (auto r = check_name("type", *type->value); !r) return respond(to_response(r.error()));
  auto tenant = read_string(*body, "tenant_id", 256);
  if (!tenant) return respond(to_response(tenant.error()));
  if (!tenant->value) return respond(validation_error("tenant_id", "tenant_id is required"));
  auto id = read_string(*body, "id", 256);
  if (!id) return respond(to_response(id.error()));
  if (id->value)
    if (auto r = check_name("id", *id->value); !r) return respond(to_response(r.error()));
  const auto* data = body->if_contains("data");
  if (!data || !data->is_object()) return respond(validation_error("data", "data must be a JSON object"));

  auto wait = wait_param(req);
  if (!wait) return respond(to_response(wait.error()));
  auto app = ctx.store.get_application(*tenant->value);
  if (!app) {
    if (app.error().kind == ErrorKind::not_found) {
      return respond(error_response(404, "tenant_not_found", "no tenant with id or uid " + *tenant->value));
    }
    return respond(to_response(app.error()));
  }
  auto minified = json_text::minified_member(req.body, "data");
  if (!minified) return respond(to_response(minified.error()));
  if (!*minified) return respond(validation_error("data", "data must be an object"));

  auto now = ctx.clock.now();
  std::string event_id = id->value ? *id->value : ctx.ids.next(id_prefix::event);
  std::string envelope =
      "{\"id\":" + json_text::quote(event_id) + ",\"type\":" + json_text::quote(*type->value) +
      ",\"created\":" + json_text::quote(format_rfc3339(now, false)) +
      ",\"tenant_id\":" + json_text::quote(app->uid.value_or(app->id)) + ",\"data\":" + **minified + "}";
  IngestRequest in{app->id, *type->value, std::move(envelope), event_id, std::nullopt, std::nullopt, now};
  auto message = prepare_message(ctx, ctx.validator, std::move(in));
  if (!message) return respond(to_response(message.error()));
  write_and_answer(ctx, std::move(*message), *wait, event_response, respond);
}

}  // namespace

void register_event_routes(Router& router, ApiContext& ctx) {
  router.add_async(
      "POST", "/api/v1/events",
      [&ctx](const Request& req, const PathParams&, const Responder& respond) {
        create_event(ctx, req, respond);
      },
      // Without `wait` an event waits for nothing but reads; its write answers later.
      [](const Request& req) { return !req.query_param("wait"); });
}

}  // namespace hookd::api
