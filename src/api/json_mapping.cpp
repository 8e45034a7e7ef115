#include "api/json_mapping.hpp"

#include <fmt/format.h>

#include "core/filter.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/time_format.hpp"

namespace hookd::api {

Result<json::object> parse_object(std::string_view body, json::storage_ptr storage) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, std::move(storage), options);
  if (ec)
    return fail(ErrorKind::invalid_input, "invalid_json", "request body is not valid JSON: " + ec.message());
  if (!v.is_object())
    return fail(ErrorKind::invalid_input, "invalid_json", "request body must be a JSON object");
  return std::move(v.as_object());
}

namespace {
template <class T>
Result<Field<T>> absent_or_null(const json::object& o, std::string_view key, const json::value*& out) {
  out = o.if_contains(key);
  Field<T> f;
  if (!out) return f;
  f.present = true;
  if (out->is_null()) out = nullptr;
  return f;
}
}  // namespace

Result<Field<std::string>> read_string(const json::object& o, std::string_view key, std::size_t max_len) {
  const json::value* v = nullptr;
  auto f = absent_or_null<std::string>(o, key, v);
  if (!v) return f;
  if (!v->is_string()) return invalid(std::string(key), "must be a string");
  if (v->as_string().size() > max_len)
    return invalid(std::string(key), fmt::format("longer than {} bytes", max_len));
  f->value = std::string(v->as_string());
  return f;
}

Result<Field<bool>> read_bool(const json::object& o, std::string_view key) {
  const json::value* v = nullptr;
  auto f = absent_or_null<bool>(o, key, v);
  if (!v) return f;
  if (!v->is_bool()) return invalid(std::string(key), "must be a boolean");
  f->value = v->as_bool();
  return f;
}

Result<Field<std::int64_t>> read_int(const json::object& o, std::string_view key) {
  const json::value* v = nullptr;
  auto f = absent_or_null<std::int64_t>(o, key, v);
  if (!v) return f;
  if (v->is_int64())
    f->value = v->as_int64();
  else if (v->is_uint64() && v->as_uint64() <= INT64_MAX)
    f->value = static_cast<std::int64_t>(v->as_uint64());
  else
    return invalid(std::string(key), "must be an integer");
  return f;
}

Result<Field<std::vector<std::string>>> read_string_list(const json::object& o, std::string_view key,
                                                         std::size_t max_items) {
  const json::value* v = nullptr;
  auto f = absent_or_null<std::vector<std::string>>(o, key, v);
  if (!v) return f;
  if (!v->is_array()) return invalid(std::string(key), "must be an array of strings");
  if (v->as_array().size() > max_items) {
    return invalid(std::string(key), fmt::format("at most {} items", max_items));
  }
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return invalid(std::string(key), "must be an array of strings");
    out.emplace_back(item.as_string());
  }
  f->value = std::move(out);
  return f;
}

Result<Field<std::map<std::string, std::string>>> read_string_map(const json::object& o,
                                                                  std::string_view key) {
  const json::value* v = nullptr;
  auto f = absent_or_null<std::map<std::string, std::string>>(o, key, v);
  if (!v) return f;
  if (!v->is_object()) return invalid(std::string(key), "must be an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [k, item] : v->as_object()) {
    if (item.is_null()) {
      out.emplace(std::string(k), std::string{});  // a null value: the caller decides (PATCH deletes)
      continue;
    }
    if (!item.is_string()) return invalid(std::string(key), "values must be strings");
    out.emplace(std::string(k), std::string(item.as_string()));
  }
  f->value = std::move(out);
  return f;
}

Result<Field<std::string>> read_object_text(const json::object& o, std::string_view key) {
  const json::value* v = nullptr;
  auto f = absent_or_null<std::string>(o, key, v);
  if (!v) return f;
  if (!v->is_object()) return invalid(std::string(key), "must be an object");
  f->value = json::serialize(*v);
  return f;
}

Result<void> check_name(std::string_view field, std::string_view value) {
  if (!is_valid_name(value)) {
    return invalid(std::string(field), "must be 1 to 256 characters of letters, digits, '.', '_' or '-'");
  }
  return {};
}

Result<void> check_uid(std::string_view field, std::string_view value, std::string_view id_prefix) {
  if (auto r = check_name(field, value); !r) return r;
  if (value.starts_with(id_prefix)) {
    return invalid(std::string(field), fmt::format("a uid must not start with '{}'", id_prefix));
  }
  return {};
}

namespace {
json::value opt(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
json::value opt(const std::optional<int>& i) {
  return i ? json::value(*i) : json::value(nullptr);
}
json::value opt(const std::optional<std::vector<std::string>>& list) {
  if (!list) return nullptr;
  json::array a;
  for (const auto& s : *list) a.emplace_back(s);
  return a;
}
json::value parse_or_null(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}
}  // namespace

json::object to_json(const Application& app) {
  return json::object{{"id", app.id},
                      {"uid", opt(app.uid)},
                      {"name", app.name},
                      {"rateLimit", opt(app.rate_limit)},
                      {"throttleRate", opt(app.rate_limit)},
                      {"metadata", parse_or_null(app.metadata_json)},
                      {"createdAt", format_rfc3339(app.created_at)},
                      {"updatedAt", format_rfc3339(app.updated_at)}};
}

json::object to_json(const EventType& type) {
  return json::object{
      {"name", type.name},
      {"description", type.description},
      {"groupName", type.group_name.empty() ? json::value(nullptr) : json::value(type.group_name)},
      {"schemas", parse_or_null(type.schemas_json)},
      {"examples", parse_or_null(type.examples_json)},
      {"bodyFormat", type.body_format},
      {"archived", type.archived},
      {"deprecated", type.deprecated},
      {"featureFlag", nullptr},
      {"createdAt", format_rfc3339(type.created_at)},
      {"updatedAt", format_rfc3339(type.updated_at)}};
}

json::object to_json(const Endpoint& e) {
  return json::object{{"id", e.id},
                      {"uid", opt(e.uid)},
                      {"url", e.url},
                      {"description", e.description},
                      {"version", 1},
                      {"rateLimit", opt(e.rate_limit)},
                      {"throttleRate", opt(e.rate_limit)},
                      {"disabled", e.disabled},
                      {"filterTypes", opt(e.event_types)},
                      {"eventTypes", opt(e.event_types)},
                      {"channels", opt(e.channels)},
                      {"metadata", parse_or_null(e.metadata_json)},
                      {"bodyFormat", e.body_format == BodyFormat::form ? "form" : "json"},
                      {"successRule", e.success_rule == SuccessRule::ok_with_body ? "200-with-body" : "2xx"},
                      {"verificationPing", e.verification_ping},
                      {"authId", e.auth_id},
                      {"fifo", e.fifo},
                      {"createdAt", format_rfc3339(e.created_at)},
                      {"updatedAt", format_rfc3339(e.updated_at)}};
}

json::object to_json(const Attempt& a) {
  static constexpr const char* kStatusText[] = {"success", "pending", "fail", "sending"};
  return json::object{
      {"id", a.id},
      {"msgId", a.msg_id},
      {"endpointId", a.endpoint_id},
      {"url", a.url},
      {"response", a.response_body},
      {"responseStatusCode", a.response_status_code},
      {"responseDurationMs", a.duration_ms},
      {"responseHeaders", parse_or_null(a.response_headers_json)},
      {"requestHeaders", parse_or_null(a.request_headers_json)},
      {"requestBody", opt(a.request_body)},
      {"status", static_cast<int>(a.status)},
      {"statusText", kStatusText[static_cast<int>(a.status)]},
      {"errorClass", a.error == ErrorClass::none ? json::value(nullptr) : json::value(to_string(a.error))},
      {"errorDetail", a.error_detail},
      {"triggerType", static_cast<int>(a.trigger)},
      {"timestamp", format_rfc3339(a.timestamp)}};
}

std::string append_raw_member(std::string out, std::string_view key, std::string_view raw_json) {
  bool empty = out == "{}";
  out.pop_back();  // the closing brace
  if (!empty) out += ',';
  out += json::serialize(json::value(key));
  out += ':';
  out += raw_json;
  out += '}';
  return out;
}

std::string with_raw_member(const json::object& object, std::string_view key, std::string_view raw_json) {
  return append_raw_member(json::serialize(object), key, raw_json);
}

// Written member by member rather than through a json::object: every create answers with it, and the object
// (a copy of each string, a serializer pass, then one more copy to splice in the payload) cost about 13,500
// instructions a message (callgrind, ingest).
std::string message_json(const Message& m, bool with_content) {
  const std::string_view payload =
      with_content && !m.payload.empty() ? std::string_view(m.payload) : std::string_view("{}");
  std::string out;
  out.reserve(192 + payload.size());
  out += "{\"id\":";
  json_text::append_quoted(out, m.id);
  out += ",\"eventId\":";
  if (m.event_id)
    json_text::append_quoted(out, *m.event_id);
  else
    out += "null";
  out += ",\"eventType\":";
  json_text::append_quoted(out, m.event_type);
  out += ",\"channels\":";
  if (m.channels) {
    out += '[';
    for (std::size_t i = 0; i < m.channels->size(); ++i) {
      if (i > 0) out += ',';
      json_text::append_quoted(out, (*m.channels)[i]);
    }
    out += ']';
  } else {
    out += "null";
  }
  out += ",\"timestamp\":";
  json_text::append_quoted(out, format_rfc3339(m.created_at));
  out += ",\"payload\":";
  out += payload;
  out += '}';
  return out;
}

std::string list_json(const std::vector<std::string>& item_texts, const std::vector<std::string>& ids,
                      bool done) {
  std::string out = "{\"data\":[";
  for (std::size_t i = 0; i < item_texts.size(); ++i) {
    if (i) out += ',';
    out += item_texts[i];
  }
  out += "],\"iterator\":";
  out += ids.empty() ? "null" : json::serialize(json::value(ids.back()));
  out += ",\"prevIterator\":";
  out += ids.empty() ? "null" : json::serialize(json::value("-" + ids.front()));
  out += ",\"done\":";
  out += done ? "true" : "false";
  out += '}';
  return out;
}

}  // namespace hookd::api
