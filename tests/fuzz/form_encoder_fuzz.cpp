// libFuzzer target for delivery::form_encode. Arbitrary bytes are parsed with json_text::parse; for JSON
// objects the form body must (1) succeed, (2) contain only the serializer's output alphabet, and (3) decode,
// with a WHATWG-style form decoder written independently of the encoder (tests/support), into exactly the
// expected pairs: the set options first, then each payload field in order; flat scalar fields and scalar
// arrays with their exact values, nested fields as `key[...]` names. Non-objects must be refused.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../support/form_decode.hpp"
#include "core/json_text.hpp"
#include "delivery/form_encoder.hpp"

namespace {

using hookd::json_text::Value;
using Pairs = hookd::test_support::FormPairs;
using hookd::test_support::form_decode;

[[noreturn]] void broken(std::string_view what, std::string_view input, std::string_view body = {}) {
  std::fprintf(stderr, "invariant broken: %.*s\ninput: %.*s\nbody: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(input.size()), input.data(), static_cast<int>(body.size()),
               body.data());
  std::abort();
}

// docs/form-encoding.md, restated: how one scalar reads once decoded.
std::string scalar_text(const Value& v) {
  if (v.kind == Value::null_) return {};
  if (v.kind == Value::boolean) return v.text == "true" ? "1" : "0";
  return v.text;
}

bool scalar_array(const Value& v) {
  if (v.kind != Value::array) return false;
  for (const Value& item : v.items) {
    if (!item.is_scalar()) return false;
  }
  return true;
}

// How many pairs a field produces: one per scalar, scalar array or empty container.
std::size_t leaf_count(const Value& v) {
  if (v.is_scalar() || scalar_array(v)) return 1;
  std::size_t n = 0;
  for (const Value& item : v.items) n += leaf_count(item);
  for (const auto& [key, child] : v.members) n += leaf_count(child);
  return n == 0 ? 1 : n;
}

hookd::delivery::FormOptions options_for(std::size_t size) {
  switch (size % 4) {
    case 0:
      return {};
    case 1:
      return {.type = "adduser"};
    case 2:
      return {.type = "permission", .auth_id = "id 1", .auth_secret = "s&c=r+t\xC3\xA9"};
    default:
      return {.auth_secret = "only-secret"};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto options = options_for(size);
  const auto payload = hookd::json_text::parse(text);
  const auto body = hookd::delivery::form_encode(text, options);
  if (!payload || payload->kind != Value::object) {
    if (body) broken("encoded a payload that is not a JSON object", text, *body);
    return 0;
  }
  if (!body) broken("refused a JSON object: " + body.error().detail, text);

  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._+%=&";
  if (body->find_first_not_of(kAlphabet) != std::string::npos)
    broken("character outside the alphabet", text, *body);

  const Pairs pairs = form_decode(*body);
  std::size_t at = 0;
  auto expect_pair = [&](std::string_view name, std::string_view value) {
    if (at >= pairs.size() || pairs[at].first != name || pairs[at].second != value) {
      broken("pair missing or different: " + std::string(name), text, *body);
    }
    ++at;
  };
  const std::pair<std::string_view, const std::string*> fixed[] = {
      {"type", &options.type}, {"auth_id", &options.auth_id}, {"auth_secret", &options.auth_secret}};
  for (const auto& [name, value] : fixed) {
    if (!value->empty()) expect_pair(name, *value);
  }
  for (const auto& [key, value] : payload->members) {
    bool overridden = false;
    for (const auto& [name, option] : fixed) overridden = overridden || (key == name && !option->empty());
    if (overridden) continue;
    if (value.is_scalar()) {
      expect_pair(key, scalar_text(value));
    } else if (scalar_array(value)) {
      std::string joined;
      for (std::size_t i = 0; i < value.items.size(); ++i)
        joined += (i ? "," : "") + scalar_text(value.items[i]);
      expect_pair(key, joined);
    } else if (value.items.empty() && value.members.empty()) {
      expect_pair(key, "");
    } else {
      for (std::size_t n = leaf_count(value); n > 0; --n, ++at) {
        if (at >= pairs.size()) broken("nested field short of pairs: " + key, text, *body);
        const std::string& name = pairs[at].first;
        if (name.size() < key.size() + 2 || name.compare(0, key.size() + 1, key + "[") != 0 ||
            name.back() != ']') {
          broken("nested field name not in bracket notation: " + name, text, *body);
        }
      }
    }
  }
  if (at != pairs.size()) broken("more pairs than fields", text, *body);
  return 0;
}
