// libFuzzer target for api/json_mapping: the request-body readers that turn JSON into domain inputs, and the
// model -> JSON output that must give back what went in. The input is a request body. For a JSON object,
// every reader runs on every member (and on a missing key) and its answer is checked against the value
// read directly from Boost.JSON: accepted exactly when the type and limits allow it, the value unchanged, a
// refusal naming its field. Then an Application and a Message built from the body's values go through
// to_json/message_json/list_json and must parse back to the same values.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/json_mapping.hpp"
#include "core/filter.hpp"
#include "core/ids.hpp"
#include "json_same.hpp"

namespace {

namespace json = boost::json;
using namespace hookd;
using namespace hookd::api;

[[noreturn]] void broken(std::string_view what, std::string_view key, std::string_view input) {
  std::fprintf(stderr, "invariant broken: %.*s\nkey: %.*s\ninput: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(key.size()), key.data(), static_cast<int>(input.size()),
               input.data());
  std::abort();
}

// What every reader must say for an absent key or a null.
template <class F>
void check_absent_or_null(const F& field, const json::value* v, std::string_view key,
                          std::string_view input) {
  if (field.present != (v != nullptr)) broken("present flag wrong", key, input);
  if (v && v->is_null() && field.value) broken("null read as a value", key, input);
}

// Output nests the input one or two levels deeper than parse_object allows; read it back without that limit.
json::value parse_back(std::string_view text) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth + 8;
  return json::parse(text, {}, options);
}

template <class R>
void check_refusal(const R& result, std::string_view key, std::string_view input) {
  if (!result && (result.error().field != key || result.error().kind != ErrorKind::invalid_input))
    broken("refusal does not name its field", key, input);
}

void check_readers(const json::object& o, std::string_view key, std::size_t max_len, std::string_view input) {
  const json::value* v = o.if_contains(key);
  const bool nullish = !v || v->is_null();

  auto s = read_string(o, key, max_len);
  check_refusal(s, key, input);
  const bool string_ok = nullish || (v->is_string() && v->as_string().size() <= max_len);
  if (s.has_value() != string_ok) broken("read_string accepts the wrong values", key, input);
  if (s) {
    check_absent_or_null(*s, v, key, input);
    if (!nullish && *s->value != std::string_view(v->as_string()))
      broken("read_string changed it", key, input);
    if (s->value) {
      if (s->value->size() > max_len) broken("read_string over the limit", key, input);
      // check_name and check_uid agree with the core rule on whatever text they get.
      if (check_name(key, *s->value).has_value() != is_valid_name(*s->value))
        broken("check_name", key, input);
      const bool uid_ok = is_valid_name(*s->value) && !s->value->starts_with(id_prefix::application);
      if (check_uid(key, *s->value, id_prefix::application).has_value() != uid_ok)
        broken("check_uid", key, input);
    }
  }

  auto b = read_bool(o, key);
  check_refusal(b, key, input);
  if (b.has_value() != (nullish || v->is_bool())) broken("read_bool accepts the wrong values", key, input);
  if (b) {
    check_absent_or_null(*b, v, key, input);
    if (!nullish && *b->value != v->as_bool()) broken("read_bool changed it", key, input);
  }

  auto i = read_int(o, key);
  check_refusal(i, key, input);
  const bool int_ok = nullish || v->is_int64() || (v->is_uint64() && v->as_uint64() <= INT64_MAX);
  if (i.has_value() != int_ok) broken("read_int accepts the wrong values", key, input);
  if (i) {
    check_absent_or_null(*i, v, key, input);
    if (!nullish && json::value(*i->value) != *v) broken("read_int changed it", key, input);
  }

  const std::size_t max_items = max_len % 8;
  auto list = read_string_list(o, key, max_items);
  check_refusal(list, key, input);
  bool list_ok = nullish || (v->is_array() && v->as_array().size() <= max_items);
  if (!nullish && v->is_array())
    for (const auto& item : v->as_array()) list_ok = list_ok && item.is_string();
  if (list.has_value() != list_ok) broken("read_string_list accepts the wrong values", key, input);
  if (list && !nullish) {
    check_absent_or_null(*list, v, key, input);
    const auto& a = v->as_array();
    if (list->value->size() != a.size()) broken("read_string_list lost items", key, input);
    for (std::size_t n = 0; n < a.size(); ++n)
      if ((*list->value)[n] != std::string_view(a[n].as_string()))
        broken("read_string_list changed one", key, input);
  }

  auto map = read_string_map(o, key);
  check_refusal(map, key, input);
  bool map_ok = nullish || v->is_object();
  if (!nullish && v->is_object())
    for (const auto& [k, item] : v->as_object()) map_ok = map_ok && (item.is_string() || item.is_null());
  if (map.has_value() != map_ok) broken("read_string_map accepts the wrong values", key, input);
  if (map && !nullish) {
    for (const auto& [k, item] : v->as_object()) {
      auto it = map->value->find(std::string(k));
      const std::string_view want = item.is_null() ? std::string_view() : std::string_view(item.as_string());
      if (it == map->value->end() || it->second != want)
        broken("read_string_map changed a value", key, input);
    }
  }

  auto text = read_object_text(o, key);
  check_refusal(text, key, input);
  if (text.has_value() != (nullish || v->is_object()))
    broken("read_object_text accepts the wrong values", key, input);
  if (text && !nullish && !same_json(parse_back(*text->value), *v))
    broken("read_object_text does not round-trip", key, input);
}

std::string string_or(const json::object& o, std::string_view key, std::string fallback) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : fallback;
}

void check_output(const json::object& o, std::string_view input) {
  Application app;
  app.id = "app_" + string_or(o, "id", "x");
  app.name = string_or(o, "name", "");
  if (o.contains("uid")) app.uid = string_or(o, "uid", "");
  app.metadata_json = json::serialize(o);
  const json::value out = parse_back(json::serialize(to_json(app)));
  if (out.at("name") != json::value(app.name) || out.at("id") != json::value(app.id))
    broken("to_json(Application) changed a string", "name", input);
  if (app.uid ? out.at("uid") != json::value(*app.uid) : !out.at("uid").is_null())
    broken("to_json(Application) changed the uid", "uid", input);
  if (!same_json(out.at("metadata"), json::value(o)))
    broken("metadata does not round-trip", "metadata", input);

  // Payloads are spliced in as raw text: the message must still be one JSON object carrying them unchanged.
  Message m;
  m.id = app.id;
  m.event_type = app.name;
  m.payload = std::string(input);
  const json::value message = parse_back(message_json(m));
  if (!same_json(message.at("payload"), json::value(o)) || message.at("eventType") != json::value(app.name))
    broken("message_json does not carry the payload", "payload", input);
  const json::value list = parse_back(list_json({message_json(m), "{}"}, {m.id, "msg_2"}, false));
  if (list.at("data").as_array().size() != 2 || !same_json(list.at("data").at(0), message) ||
      list.at("iterator") != json::value("msg_2") || list.at("prevIterator") != json::value("-" + m.id))
    broken("list_json envelope", "data", input);
}

}  // namespace

// Boost.JSON 1.81 reads a number beyond the double range (a long mantissa with a huge exponent) as infinity,
// writes infinity as 1e99999 and then refuses to read that back ("number too large"): such documents cannot
// round-trip through text at all, so the output checks skip them (found by this fuzzer; a library limit).
bool has_non_finite(const json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_object())
    return std::ranges::any_of(v.get_object(), [](const auto& m) { return has_non_finite(m.value()); });
  if (v.is_array())
    return std::ranges::any_of(v.get_array(), [](const json::value& i) { return has_non_finite(i); });
  return false;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto body = parse_object(input);
  if (!body) {
    if (body.error().code != "invalid_json") broken("a parse failure that is not invalid_json", "", input);
    return 0;
  }
  // Independent check of what parse_object accepted: valid JSON, an object, no deeper than the limit.
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  const json::value direct = json::parse(input, ec, {}, options);
  if (ec || !same_json(direct, json::value(*body)))
    broken("parse_object disagrees with Boost.JSON", "", input);
  if (has_non_finite(direct)) return 0;

  const std::size_t max_len = size % 300;
  check_readers(*body, "no-such-key", max_len, input);
  for (const auto& [key, value] : *body) check_readers(*body, key, max_len, input);
  check_output(*body, input);
  return 0;
}
