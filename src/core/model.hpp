#pragma once
// Domain types: tenant (application), event type, endpoint, message, delivery, attempt. Plain data, no I/O.
// JSON-valued fields (metadata, payload, schemas) are kept as their JSON text.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace hookd {

struct Application {
  std::string id;  // app_…
  std::optional<std::string> uid;
  std::string name;
  std::optional<int> rate_limit;  // messages per second, Svix's throttleRate
  std::string metadata_json = "{}";
  TimePoint created_at{};
  TimePoint updated_at{};
};

struct EventType {
  std::string name;  // dotted, exactly as the platform spells it
  std::string description;
  std::string group_name;
  std::string schemas_json = "null";  // {"1": <JSON Schema>} or null
  std::string examples_json = "[]";   // array of example payloads
  std::string body_format = "json";   // "json" or "form" (catalog default for new endpoints)
  std::string form_type;              // for form catalogs: the `type` field value (e.g. "adduser")
  bool deprecated = false;
  bool archived = false;
  TimePoint created_at{};
  TimePoint updated_at{};
};

enum class BodyFormat { json, form };
enum class SuccessRule { any_2xx, ok_with_body };

struct EndpointSecret {
  std::string key;                      // whsec_… or whsk_…
  std::optional<TimePoint> expires_at;  // set on old keys during a rotation's grace period
};

struct Endpoint {
  std::string id;  // ep_…
  std::string app_id;
  std::optional<std::string> uid;
  std::string url;
  std::string description;
  std::optional<std::vector<std::string>> event_types;  // nullopt: every type
  std::optional<std::vector<std::string>> channels;     // nullopt: every message
  bool disabled = false;
  std::optional<int> rate_limit;
  std::string metadata_json = "{}";
  std::map<std::string, std::string> headers;
  std::vector<EndpointSecret> secrets;  // secrets[0] is the current one
  BodyFormat body_format = BodyFormat::json;
  SuccessRule success_rule = SuccessRule::any_2xx;
  bool verification_ping = false;
  std::string auth_id;
  std::string auth_secret;
  bool fifo = false;
  std::optional<TimePoint> failing_since;  // first failure of the current failing streak
  TimePoint created_at{};
  TimePoint updated_at{};
};

struct Message {
  std::string id;  // msg_…
  std::string app_id;
  std::optional<std::string> event_id;  // producer's idempotency id
  std::string event_type;
  std::string payload;  // exact JSON text the receivers get (json endpoints)
  std::optional<std::vector<std::string>> channels;
  TimePoint created_at{};
};

enum class DeliveryStatus { pending = 0, sending = 1, succeeded = 2, failed = 3 };

struct Delivery {
  std::int64_t id = 0;
  std::string msg_id;
  std::string endpoint_id;
  std::string app_id;
  DeliveryStatus status = DeliveryStatus::pending;
  int attempt_count = 0;
  TimePoint next_attempt_at{};
  bool manual = false;  // a resend: one attempt, never retried
};

// Svix's MessageStatus numbers, used in the API.
enum class AttemptStatus { success = 0, pending = 1, fail = 2, sending = 3 };
enum class TriggerType { scheduled = 0, manual = 1 };
enum class ErrorClass {
  none,
  timeout,
  connect,
  dns,
  tls,
  http_status,
  blocked_target,
  verification_failed,
  other
};

std::string_view to_string(ErrorClass c);
std::optional<ErrorClass> error_class_from_string(std::string_view s);

struct Attempt {
  std::string id;  // atmpt_…
  std::string msg_id;
  std::string endpoint_id;
  std::string app_id;
  std::string url;
  TimePoint timestamp{};
  AttemptStatus status = AttemptStatus::fail;
  int response_status_code = 0;  // 0 for network errors
  std::string response_body;     // capped
  std::string response_headers_json = "{}";
  std::string request_headers_json = "{}";
  std::optional<std::string> request_body;  // nullopt: the message payload as stored (json endpoints)
  int duration_ms = 0;
  ErrorClass error = ErrorClass::none;
  std::string error_detail;
  TriggerType trigger = TriggerType::scheduled;
};

}  // namespace hookd
