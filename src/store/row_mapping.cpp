#include "store/row_mapping.hpp"

#include <boost/json.hpp>

namespace hookd::store {
namespace json = boost::json;

namespace {
// Our own columns always hold valid JSON; a damaged value reads as empty rather than failing the call.
json::value parse_or_null(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return nullptr;
  return v;
}
}  // namespace

std::string encode_list(const std::vector<std::string>& values) {
  json::array array;
  array.reserve(values.size());
  for (const auto& v : values) array.emplace_back(v);
  return json::serialize(array);
}

std::optional<std::string> encode_list(const std::optional<std::vector<std::string>>& values) {
  if (!values) return std::nullopt;
  return encode_list(*values);
}

std::optional<std::vector<std::string>> decode_list(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::vector<std::string> out;
  json::value v = parse_or_null(*text);
  if (const auto* array = v.if_array()) {
    for (const auto& item : *array)
      if (const auto* s = item.if_string()) out.emplace_back(*s);
  }
  return out;
}

std::string encode_headers(const std::map<std::string, std::string>& headers) {
  json::object object;
  for (const auto& [name, value] : headers) object[name] = value;
  return json::serialize(object);
}

std::map<std::string, std::string> decode_headers(std::string_view text) {
  std::map<std::string, std::string> out;
  json::value v = parse_or_null(text);
  if (const auto* object = v.if_object()) {
    for (const auto& [name, value] : *object)
      if (const auto* s = value.if_string()) out.emplace(std::string(name), std::string(*s));
  }
  return out;
}

std::string encode_secrets(const std::vector<EndpointSecret>& secrets) {
  json::array array;
  for (const auto& secret : secrets) {
    json::object o;
    o["key"] = secret.key;
    if (secret.expires_at) {
      o["expires_at"] = to_millis(*secret.expires_at);
    } else {
      o["expires_at"] = nullptr;
    }
    array.emplace_back(std::move(o));
  }
  return json::serialize(array);
}

std::vector<EndpointSecret> decode_secrets(std::string_view text) {
  std::vector<EndpointSecret> out;
  json::value v = parse_or_null(text);
  const auto* array = v.if_array();
  if (array == nullptr) return out;
  for (const auto& item : *array) {
    const auto* o = item.if_object();
    if (o == nullptr) continue;
    EndpointSecret secret;
    if (const auto* key = o->if_contains("key"); key != nullptr && key->is_string()) {
      secret.key = std::string(key->get_string());
    }
    if (const auto* exp = o->if_contains("expires_at"); exp != nullptr && exp->is_int64()) {
      secret.expires_at = from_millis(exp->get_int64());
    }
    out.push_back(std::move(secret));
  }
  return out;
}

std::string_view to_db(BodyFormat format) {
  return format == BodyFormat::form ? "form" : "json";
}
std::string_view to_db(SuccessRule rule) {
  return rule == SuccessRule::ok_with_body ? "ok_with_body" : "any_2xx";
}

}  // namespace hookd::store
