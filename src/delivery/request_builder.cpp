#include "delivery/request_builder.hpp"

#include "delivery/form_encoder.hpp"
#include "delivery/signing.hpp"

namespace hookd::delivery {
namespace {

Result<OutboundRequest> signed_request(const AttemptInput& in, std::string body,
                                       std::string_view content_type) {
  std::vector<std::string> secrets;
  for (const auto& s : in.endpoint.secrets)
    if (!s.expires_at || *s.expires_at > in.now) secrets.push_back(s.key);
  auto timestamp = std::chrono::duration_cast<std::chrono::seconds>(in.now.time_since_epoch()).count();
  auto signature = signature_header(secrets, in.message.id, timestamp, body);
  if (!signature) return std::unexpected(signature.error());
  OutboundRequest request;
  request.url = in.endpoint.url;
  request.timeout = in.timeout;
  // Custom headers first; reserved names are refused at the API, and ours are added after them.
  request.headers.reserve(in.endpoint.headers.size() + 7);
  for (const auto& [k, v] : in.endpoint.headers) request.headers.emplace_back(k, v);
  auto ts = std::to_string(timestamp);
  request.headers.emplace_back("content-type", content_type);
  request.headers.emplace_back("webhook-id", in.message.id);
  request.headers.emplace_back("webhook-timestamp", ts);
  request.headers.emplace_back("webhook-signature", *signature);
  request.headers.emplace_back("svix-id", in.message.id);
  request.headers.emplace_back("svix-timestamp", ts);
  request.headers.emplace_back("svix-signature", *signature);
  request.body = std::move(body);
  return request;
}

}  // namespace

Result<OutboundRequest> build_delivery_request(const AttemptInput& in) {
  if (in.endpoint.body_format == BodyFormat::form) {
    auto body = form_encode(in.message.payload,
                            FormOptions{in.form_type, in.endpoint.auth_id, in.endpoint.auth_secret});
    if (!body) return std::unexpected(body.error());
    return signed_request(in, std::move(*body), "application/x-www-form-urlencoded");
  }
  return signed_request(in, in.message.payload, "application/json");
}

Result<OutboundRequest> build_ping_request(const AttemptInput& in) {
  auto body = form_encode("{}", FormOptions{"permission", in.endpoint.auth_id, in.endpoint.auth_secret});
  if (!body) return std::unexpected(body.error());
  return signed_request(in, std::move(*body), "application/x-www-form-urlencoded");
}

bool is_success(const OutboundResponse& response, SuccessRule rule) {
  if (response.error != ErrorClass::none && response.error != ErrorClass::http_status) return false;
  if (rule == SuccessRule::ok_with_body) return response.status == 200 && !response.body.empty();
  return response.status >= 200 && response.status < 300;
}

}  // namespace hookd::delivery
