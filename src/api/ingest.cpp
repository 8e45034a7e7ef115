#include "api/ingest.hpp"

#include "api/json_mapping.hpp"
#include "api/wait_outcomes.hpp"
#include "core/filter.hpp"

namespace hookd::api {

Result<store::NewMessage> prepare_message(ApiContext& ctx, PayloadValidator& validator,
                                          IngestRequest&& request) {
  auto config =
      ctx.store.ingest_config(request.app_id, request.event_type, tenant_validation_key(request.app_id));
  if (!config) {
    if (config.error().kind == ErrorKind::not_found) {
      return invalid("eventType", "unknown event type: " + request.event_type);
    }
    return std::unexpected(config.error());
  }
  const EventType& type = config->event_type;
  if (type.archived) return invalid("eventType", "event type is archived: " + request.event_type);
  std::optional<ValidationMode> tenant_mode;
  if (config->validation_setting) tenant_mode = parse_validation_mode(*config->validation_setting);
  if (auto r = validator.check(type, request.payload, tenant_mode, request.parsed_payload); !r)
    return std::unexpected(r.error());

  store::NewMessage out;
  Message& m = out.message;
  m.id = request.message_id ? *request.message_id : ctx.ids.next(id_prefix::message);
  m.app_id = request.app_id;
  m.event_id = std::move(request.event_id);
  m.event_type = std::move(request.event_type);
  m.payload = std::move(request.payload);
  m.channels = std::move(request.channels);
  m.created_at = request.created_at ? *request.created_at : ctx.clock.now();

  for (const auto& e : config->endpoints)
    if (endpoint_wants(e, m)) out.endpoint_ids.push_back(e.id);
  return out;
}

void write_and_answer(ApiContext& ctx, store::NewMessage message, std::optional<Millis> wait,
                      CreatedAnswer answer, const Responder& respond) {
  if (!wait) {
    return ctx.store.create_message_async(
        std::move(message),
        [answer, respond](Result<store::CreatedMessage> created) { respond(answer(created)); });
  }
  auto created = ctx.store.create_message(message);
  Response response = answer(created);
  if (response.status == 202) {
    response.body = append_raw_member(std::move(response.body), "outcomes",
                                      wait_for_outcomes(ctx, created->message, created->endpoint_ids, *wait));
  }
  respond(std::move(response));
}

Result<store::CreatedMessage> ingest(ApiContext& ctx, PayloadValidator& validator, IngestRequest&& request) {
  auto message = prepare_message(ctx, validator, std::move(request));
  if (!message) return std::unexpected(message.error());
  return ctx.store.create_message(*message);
}

}  // namespace hookd::api
