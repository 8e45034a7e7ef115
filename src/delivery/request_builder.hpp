#pragma once
// Builds the signed HTTP request for one delivery attempt: body (JSON or form), Standard Webhooks headers
// (webhook-* and svix-*), custom headers. Pure: same inputs, same bytes.
#include <string>

#include "core/model.hpp"
#include "delivery/http_client.hpp"

namespace hookd::delivery {

struct AttemptInput {
  const Message& message;
  const Endpoint& endpoint;
  std::string form_type;  // the event type's form name (form endpoints)
  TimePoint now;
  Millis timeout;
};

// The delivery itself.
Result<OutboundRequest> build_delivery_request(const AttemptInput& input);
// The verification ping sent before it when the endpoint asks for one (Buq's `type=permission`).
Result<OutboundRequest> build_ping_request(const AttemptInput& input);

// Is this answer a success under the endpoint's rule?
bool is_success(const OutboundResponse& response, SuccessRule rule);

}  // namespace hookd::delivery
