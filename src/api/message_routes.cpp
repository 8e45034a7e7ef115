// Messages of an application: /api/v1/app/{app}/msg (Svix-compatible create, get, list).
#include <array>

#include "api/ingest.hpp"
#include "api/request_helpers.hpp"
#include "api/wait_outcomes.hpp"
#include "core/json_text.hpp"

namespace hookd::api {
namespace {

constexpr std::size_t kMaxChannels = 10;

// The application for a message create; Svix's `application` field creates it on the fly.
Result<Application> app_for_create(ApiContext& ctx, const PathParams& params, const json::object& body) {
  auto app = find_app(ctx, params);
  if (app || app.error().kind != ErrorKind::not_found) return app;
  const auto* in = body.if_contains("application");
  if (!in || !in->is_object()) return app;
  const std::string& key = params.at("app");
  if (key.starts_with(id_prefix::application)) return app;
  Application created;
  auto name = read_string(in->as_object(), "name", 256);
  if (!name) return std::unexpected(name.error());
  if (auto r = check_uid("application.uid", key, id_prefix::application); !r)
    return std::unexpected(r.error());
  created.name = name->value.value_or(key);
  created.uid = key;
  created.id = ctx.ids.next(id_prefix::application);
  created.created_at = created.updated_at = ctx.clock.now();
  auto stored = ctx.store.create_application(created);
  if (!stored && stored.error().kind == ErrorKind::conflict) return ctx.store.get_application(key);
  return stored;
}

Result<std::optional<std::vector<std::string>>> channels_field(const json::object& body) {
  auto channels = read_string_list(body, "channels", kMaxChannels);
  if (!channels) return std::unexpected(channels.error());
  if (channels->value)
    for (const auto& c : *channels->value)
      if (auto r = check_name("channels", c); !r) return std::unexpected(r.error());
  return std::move(channels->value);
}

Response created_response(const Result<store::CreatedMessage>& created) {
  if (!created) return to_response(created.error());
  if (created->existed) {
    return error_response(409, "conflict",
                          "a message with this eventId already exists: " + created->message.id);
  }
  return json_response(202, message_json(created->message));
}

// Answers through `respond`: without `wait`, the answer comes from the store once the message is durable
// (on its thread), and no thread is held while the commit is waited for.
void create_message(ApiContext& ctx, const Request& req, const PathParams& params, const Responder& respond) {
  // The body's tree lives for this request only, so it is built in one arena on the stack (growing onto
  // the heap for large bodies) instead of one allocation per object, array and string: 53 for a 1 KB
  // booking payload, a tenth of all the allocations a message cost.
  std::array<unsigned char, 16 * 1024> arena;
  json::monotonic_resource arena_resource(arena.data(), arena.size());
  auto body = parse_object(req.body, &arena_resource);
  if (!body) return respond(to_response(body.error()));
  auto event_type = read_string(*body, "eventType", 256);
  if (!event_type) return respond(to_response(event_type.error()));
  if (!event_type->value) return respond(validation_error("eventType", "eventType is required"));
  if (auto r = check_name("eventType", *event_type->value); !r) return respond(to_response(r.error()));
  auto event_id = read_string(*body, "eventId", 256);
  if (!event_id) return respond(to_response(event_id.error()));
  if (event_id->value)
    if (auto r = check_name("eventId", *event_id->value); !r) return respond(to_response(r.error()));
  const auto* payload_value = body->if_contains("payload");
  if (!payload_value || !payload_value->is_object())
    return respond(validation_error("payload", "payload must be a JSON object"));
  auto channels = channels_field(*body);
  if (!channels) return respond(to_response(channels.error()));
  auto wait = wait_param(req);
  if (!wait) return respond(to_response(wait.error()));
  auto app = app_for_create(ctx, params, *body);
  if (!app) return respond(to_response(app.error()));

  // The payload is kept as the producer wrote it (numbers keep their lexemes), minus whitespace.
  auto payload = json_text::minified_member(req.body, "payload");
  if (!payload) return respond(to_response(payload.error()));
  if (!*payload) return respond(validation_error("payload", "payload must be a JSON object"));

  IngestRequest in{
      app->id, *event_type->value, std::move(**payload), event_id->value, std::move(*channels), {},
      {},      payload_value};
  auto message = prepare_message(ctx, ctx.validator, std::move(in));
  if (!message) return respond(to_response(message.error()));
  write_and_answer(ctx, std::move(*message), *wait, created_response, respond);
}

store::MessageFilter message_filter(const Request& req) {
  store::MessageFilter filter;
  filter.event_types = event_types_param(req);
  if (auto c = req.query_param("channel"); c && !c->empty()) filter.channel = std::string(*c);
  filter.with_content = req.query_param("with_content") != "false";
  return filter;
}

}  // namespace

void register_message_routes(Router& router, ApiContext& ctx) {
  router.add_async(
      "POST", "/api/v1/app/{app}/msg",
      [&ctx](const Request& req, const PathParams& params, Responder respond) {
        create_message(ctx, req, params, respond);
      },
      // Without `wait`, a create waits for nothing but reads (the write answers later), unless
      // it creates its application on the fly: one commit waited for, once an application.
      [](const Request& req) { return !req.query_param("wait"); });

  router.add("GET", "/api/v1/app/{app}/msg", [&ctx](const Request& req, const PathParams& params) {
    auto app = find_app(ctx, params);
    if (!app) return to_response(app.error());
    auto page = page_request(req);
    if (!page) return to_response(page.error());
    auto filter = message_filter(req);
    auto before = time_param(req, "before");
    if (!before) return to_response(before.error());
    auto after = time_param(req, "after");
    if (!after) return to_response(after.error());
    filter.before = *before;
    filter.after = *after;
    bool content = filter.with_content;
    return respond(ctx.store.list_messages(app->id, filter, *page), [content](const store::Page<Message>& p) {
      return json_response(200, list_body(
                                    p, [content](const Message& m) { return message_json(m, content); },
                                    [](const Message& m) { return m.id; }));
    });
  });

  router.add("GET", "/api/v1/app/{app}/msg/{msg}", [&ctx](const Request& req, const PathParams& params) {
    auto app = find_app(ctx, params);
    if (!app) return to_response(app.error());
    bool content = req.query_param("with_content") != "false";
    return respond(ctx.store.get_message(app->id, params.at("msg")),
                   [content](const Message& m) { return json_response(200, message_json(m, content)); });
  });
}

}  // namespace hookd::api
