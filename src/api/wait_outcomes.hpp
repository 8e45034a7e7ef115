#pragma once
// Blocking ("wait") message creation: after the message is stored, wait (bounded) until every subscribed
// endpoint's first attempt is recorded, and report each outcome. Retries go on afterwards as usual, so a
// platform can refuse an action its tenant's webhook refused without losing the message.
#include <optional>
#include <string>
#include <vector>

#include "api/context.hpp"
#include "api/http.hpp"

namespace hookd::api {

inline constexpr int kMaxWaitSeconds = 60;

// The `wait` query parameter in seconds (1..60), nullopt when absent; an invalid value is an error.
Result<std::optional<Millis>> wait_param(const Request& request);

// `{"outcomes":[{endpointId, status: success|fail|pending, responseStatusCode, error}]}` members, as text.
std::string wait_for_outcomes(ApiContext& ctx, const Message& message,
                              const std::vector<std::string>& endpoint_ids, Millis wait);

}  // namespace hookd::api
