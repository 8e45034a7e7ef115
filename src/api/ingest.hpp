#pragma once
// Accepting a message: check its type, validate its payload, compute the fan-out, store it durably.
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/context.hpp"
#include "api/http.hpp"
#include "api/payload_validation.hpp"

namespace hookd::api {

struct IngestRequest {
  std::string app_id;
  std::string event_type;
  std::string payload;  // minified JSON text, delivered byte for byte
  std::optional<std::string> event_id;
  std::optional<std::vector<std::string>> channels;
  std::optional<std::string> message_id;  // preassigned (the native API puts it in the envelope)
  std::optional<TimePoint> created_at;
  // The payload already parsed, when the route has it (not owned; lives for the call): not parsed twice.
  const boost::json::value* parsed_payload = nullptr;
};

// Everything before the write: the message and the endpoints it goes to, or why it is refused.
Result<store::NewMessage> prepare_message(ApiContext& ctx, PayloadValidator& validator,
                                          IngestRequest&& request);
// Writes a prepared message and answers with `answer(created)`. Without `wait`, from the store's thread
// once the message is durable: the caller's thread is not held. With it, on this thread, after the commit
// and the outcomes of its deliveries (or the end of the wait), added to a 202 answer as `outcomes`.
using CreatedAnswer = Response (*)(const Result<store::CreatedMessage>&);
void write_and_answer(ApiContext& ctx, store::NewMessage message, std::optional<Millis> wait,
                      CreatedAnswer answer, const Responder& respond);
// prepare_message, then the write.
Result<store::CreatedMessage> ingest(ApiContext& ctx, PayloadValidator& validator, IngestRequest&& request);

}  // namespace hookd::api
