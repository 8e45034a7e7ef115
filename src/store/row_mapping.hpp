#pragma once
// Encodings of list, map and secret fields as JSON text, the column list of each table, and the row
// mappers, shared by both stores (same tables and meaning on SQLite and PostgreSQL).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "store/secret_columns.hpp"

namespace hookd::store {

std::string encode_list(const std::vector<std::string>& values);
std::optional<std::string> encode_list(const std::optional<std::vector<std::string>>& values);
std::optional<std::vector<std::string>> decode_list(const std::optional<std::string>& json);
std::string encode_headers(const std::map<std::string, std::string>& headers);
std::map<std::string, std::string> decode_headers(std::string_view json);
std::string encode_secrets(const std::vector<EndpointSecret>& secrets);
std::vector<EndpointSecret> decode_secrets(std::string_view json);

std::string_view to_db(BodyFormat format);
std::string_view to_db(SuccessRule rule);

inline constexpr std::string_view kApplicationColumns =
    "id, uid, name, rate_limit, metadata, created_at, updated_at";

inline constexpr std::string_view kEventTypeColumns =
    "name, description, group_name, schemas, examples, body_format, form_type, deprecated, archived, "
    "created_at, updated_at";

inline constexpr std::string_view kEndpointColumns =
    "id, app_id, uid, url, description, event_types, channels, disabled, rate_limit, metadata, headers, "
    "secrets, body_format, success_rule, verification_ping, auth_id, auth_secret, fifo, failing_since, "
    "created_at, updated_at";

// Seven columns from `first` on; the payload column may be selected as '' (with_content = false).
inline constexpr std::string_view kMessageColumns =
    "id, app_id, event_id, event_type, payload, channels, created_at";

inline constexpr std::string_view kDeliveryColumns =
    "id, msg_id, endpoint_id, app_id, status, attempt_count, next_attempt_at, manual";

inline constexpr std::string_view kAttemptColumns =
    "id, msg_id, endpoint_id, app_id, url, attempted_at, status, response_status_code, response_body, "
    "response_headers, request_headers, request_body, duration_ms, error, error_detail, trigger_type";

// Catalog import's conflict clauses (the same SQL on both stores). created_at survives an overwrite: the type
// existed before the import.
inline constexpr std::string_view kEventTypeImportOverwrite =
    " ON CONFLICT (name) DO UPDATE SET description = excluded.description, "
    "group_name = excluded.group_name, schemas = excluded.schemas, examples = excluded.examples, "
    "body_format = excluded.body_format, form_type = excluded.form_type, "
    "deprecated = excluded.deprecated, archived = excluded.archived, updated_at = excluded.updated_at";
inline constexpr std::string_view kEventTypeImportKeep = " ON CONFLICT (name) DO NOTHING";

// Row -> model mappers: `row` is any row with text, optional_text, boolean, optional_int64, time and
// optional_time accessors (SQLite's Statement, PostgreSQL's Row), its columns in the order of k*Columns.
inline constexpr auto read_application = [](const auto& row) -> Application {
  Application app;
  app.id = row.text(0);
  app.uid = row.optional_text(1);
  app.name = row.text(2);
  if (auto limit = row.optional_int64(3)) app.rate_limit = static_cast<int>(*limit);
  app.metadata_json = row.text(4);
  app.created_at = row.time(5);
  app.updated_at = row.time(6);
  return app;
};

inline constexpr auto read_event_type = [](const auto& row) -> EventType {
  EventType type;
  type.name = row.text(0);
  type.description = row.text(1);
  type.group_name = row.text(2);
  type.schemas_json = row.text(3);
  type.examples_json = row.text(4);
  type.body_format = row.text(5);
  type.form_type = row.text(6);
  type.deprecated = row.boolean(7);
  type.archived = row.boolean(8);
  type.created_at = row.time(9);
  type.updated_at = row.time(10);
  return type;
};

// The secret columns are returned as stored: only store/secret_columns opens them.
inline constexpr auto read_stored_endpoint = [](const auto& row) -> StoredEndpoint {
  StoredEndpoint stored;
  Endpoint& ep = stored.endpoint;
  ep.id = row.text(0);
  ep.app_id = row.text(1);
  ep.uid = row.optional_text(2);
  ep.url = row.text(3);
  ep.description = row.text(4);
  ep.event_types = decode_list(row.optional_text(5));
  ep.channels = decode_list(row.optional_text(6));
  ep.disabled = row.boolean(7);
  if (auto limit = row.optional_int64(8)) ep.rate_limit = static_cast<int>(*limit);
  ep.metadata_json = row.text(9);
  ep.headers = decode_headers(row.text(10));
  stored.columns.secrets = row.text(11);
  ep.body_format = row.text(12) == "form" ? BodyFormat::form : BodyFormat::json;
  ep.success_rule = row.text(13) == "ok_with_body" ? SuccessRule::ok_with_body : SuccessRule::any_2xx;
  ep.verification_ping = row.boolean(14);
  ep.auth_id = row.text(15);
  stored.columns.auth_secret = row.text(16);
  ep.fifo = row.boolean(17);
  ep.failing_since = row.optional_time(18);
  ep.created_at = row.time(19);
  ep.updated_at = row.time(20);
  return stored;
};

inline constexpr auto read_message = [](const auto& row, int first = 0) -> Message {
  Message msg;
  msg.id = row.text(first);
  msg.app_id = row.text(first + 1);
  msg.event_id = row.optional_text(first + 2);
  msg.event_type = row.text(first + 3);
  msg.payload = row.text(first + 4);
  msg.channels = decode_list(row.optional_text(first + 5));
  msg.created_at = row.time(first + 6);
  return msg;
};

inline constexpr auto read_delivery = [](const auto& row, int first = 0) -> Delivery {
  Delivery d;
  d.id = row.int64(first);
  d.msg_id = row.text(first + 1);
  d.endpoint_id = row.text(first + 2);
  d.app_id = row.text(first + 3);
  d.status = static_cast<DeliveryStatus>(row.int32(first + 4));
  d.attempt_count = row.int32(first + 5);
  d.next_attempt_at = row.time(first + 6);
  d.manual = row.boolean(first + 7);
  return d;
};

inline constexpr auto read_attempt = [](const auto& row) -> Attempt {
  Attempt a;
  a.id = row.text(0);
  a.msg_id = row.text(1);
  a.endpoint_id = row.text(2);
  a.app_id = row.text(3);
  a.url = row.text(4);
  a.timestamp = row.time(5);
  a.status = static_cast<AttemptStatus>(row.int32(6));
  a.response_status_code = row.int32(7);
  a.response_body = row.text(8);
  a.response_headers_json = row.text(9);
  a.request_headers_json = row.text(10);
  a.request_body = row.optional_text(11);
  a.duration_ms = row.int32(12);
  a.error = error_class_from_string(row.text(13)).value_or(ErrorClass::other);
  a.error_detail = row.text(14);
  a.trigger = static_cast<TriggerType>(row.int32(15));
  return a;
};

}  // namespace hookd::store
