// Event types (the global catalog): /api/v1/event-type.
#include "api/request_helpers.hpp"
#include "catalog/catalog.hpp"

namespace hookd::api {
namespace {

Result<void> apply_event_type_body(const json::object& body, EventType& type, bool partial) {
  auto description = read_string(body, "description", 4096);
  if (!description) return std::unexpected(description.error());
  if (description->value)
    type.description = *description->value;
  else if (!partial)
    type.description.clear();
  auto group = read_string(body, "groupName", 256);
  if (!group) return std::unexpected(group.error());
  if (group->value)
    type.group_name = *group->value;
  else if (group->present)
    type.group_name.clear();
  for (auto [key, target] :
       {std::pair{"archived", &type.archived}, std::pair{"deprecated", &type.deprecated}}) {
    auto flag = read_bool(body, key);
    if (!flag) return std::unexpected(flag.error());
    if (flag->value) *target = *flag->value;
  }
  if (const auto* schemas = body.if_contains("schemas")) {
    if (!schemas->is_object() && !schemas->is_null())
      return invalid("schemas", "must be an object like {\"1\": {…}}");
    type.schemas_json = json::serialize(*schemas);
  }
  if (const auto* examples = body.if_contains("examples")) {
    if (!examples->is_array()) return invalid("examples", "must be an array of example payloads");
    type.examples_json = json::serialize(*examples);
  }
  return {};
}

Response type_out(int status, const EventType& t) {
  return json_response(status, json::serialize(to_json(t)));
}

}  // namespace

void register_event_type_routes(Router& router, ApiContext& ctx) {
  router.add("GET", "/api/v1/event-type", [&ctx](const Request& req, const PathParams&) {
    auto page = page_request(req);
    if (!page) return to_response(page.error());
    bool archived = req.query_param("include_archived") == "true";
    return respond(ctx.store.list_event_types(*page, archived), [](const store::Page<EventType>& p) {
      return json_response(200, list_body(
                                    p, [](const EventType& t) { return json::serialize(to_json(t)); },
                                    [](const EventType& t) { return t.name; }));
    });
  });

  router.add("POST", "/api/v1/event-type", [&ctx](const Request& req, const PathParams&) {
    auto body = parse_object(req.body);
    if (!body) return to_response(body.error());
    auto name = read_string(*body, "name", 256);
    if (!name) return to_response(name.error());
    if (!name->value) return validation_error("name", "name is required");
    if (auto r = check_name("name", *name->value); !r) return to_response(r.error());
    EventType type;
    type.name = *name->value;
    if (auto r = apply_event_type_body(*body, type, false); !r) return to_response(r.error());
    type.created_at = type.updated_at = ctx.clock.now();
    // Svix: creating an archived type unarchives it, replacing description and schemas with the new body.
    if (auto existing = ctx.store.get_event_type(type.name); existing && existing->archived) {
      type.archived = false;
      type.created_at = existing->created_at;
      return respond(ctx.store.update_event_type(type), [](const EventType& t) { return type_out(201, t); });
    }
    return respond(ctx.store.create_event_type(type), [](const EventType& t) { return type_out(201, t); });
  });

  // A whole catalog (the format of catalogs/*.json) in one call. Existing types are kept unless
  // ?overwrite=true, so re-importing never clobbers an operator's edits by accident.
  router.add("POST", "/api/v1/event-type/import", [&ctx](const Request& req, const PathParams&) {
    auto parsed = catalog::parse_catalog(req.body);
    if (!parsed) return to_response(parsed.error());
    auto now = ctx.clock.now();
    for (auto& t : parsed->event_types) t.created_at = t.updated_at = now;
    bool overwrite = req.query_param("overwrite") == "true";
    auto changed = ctx.store.import_event_types(parsed->event_types, overwrite);
    if (!changed) return to_response(changed.error());
    return json_response(200, json::serialize(json::object{{"catalog", parsed->name},
                                                           {"eventTypes", parsed->event_types.size()},
                                                           {"imported", *changed}}));
  });

  router.add("GET", "/api/v1/event-type/{name}", [&ctx](const Request&, const PathParams& params) {
    return respond(ctx.store.get_event_type(params.at("name")),
                   [](const EventType& t) { return type_out(200, t); });
  });

  auto update = [&ctx](bool partial, bool upsert) {
    return [&ctx, partial, upsert](const Request& req, const PathParams& params) {
      auto body = parse_object(req.body);
      if (!body) return to_response(body.error());
      auto existing = ctx.store.get_event_type(params.at("name"));
      if (!existing) {
        if (!upsert || existing.error().kind != ErrorKind::not_found) return to_response(existing.error());
        if (auto r = check_name("name", params.at("name")); !r) return to_response(r.error());
        EventType type;
        type.name = params.at("name");
        if (auto r = apply_event_type_body(*body, type, false); !r) return to_response(r.error());
        type.created_at = type.updated_at = ctx.clock.now();
        return respond(ctx.store.create_event_type(type),
                       [](const EventType& t) { return type_out(201, t); });
      }
      EventType type = *existing;
      if (auto r = apply_event_type_body(*body, type, partial); !r) return to_response(r.error());
      type.updated_at = ctx.clock.now();
      return respond(ctx.store.update_event_type(type), [](const EventType& t) { return type_out(200, t); });
    };
  };
  router.add("PUT", "/api/v1/event-type/{name}", update(false, true));
  router.add("PATCH", "/api/v1/event-type/{name}", update(true, false));

  router.add("DELETE", "/api/v1/event-type/{name}", [&ctx](const Request& req, const PathParams& params) {
    auto existing = ctx.store.get_event_type(params.at("name"));
    if (!existing) return to_response(existing.error());
    if (req.query_param("expunge") == "true") {
      auto r = ctx.store.delete_event_type(existing->name);
      return r ? no_content() : to_response(r.error());
    }
    EventType type = *existing;
    type.archived = true;
    type.updated_at = ctx.clock.now();
    auto r = ctx.store.update_event_type(type);
    return r ? no_content() : to_response(r.error());
  });
}

}  // namespace hookd::api
