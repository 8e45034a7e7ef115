#include "delivery/form_encoder.hpp"

#include <array>
#include <cstddef>

#include "core/json_text.hpp"

namespace hookd::delivery {
namespace {

using json_text::Value;

bool kept_as_is(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' || c == '-' ||
         c == '.' || c == '_';
}

// PHP's http_build_query sends booleans as 1 and 0, and the platform's receivers test them with PHP's
// truthiness, in which the string "false" is true. So true/false travel as 1/0 (see docs/form-encoding.md).
std::string scalar_text(const Value& v) {
  switch (v.kind) {
    case Value::null_:
      return {};
    case Value::boolean:
      return v.text == "true" ? "1" : "0";
    default:
      return v.text;  // number lexeme or decoded string
  }
}

bool all_scalars(const Value& array) {
  for (const Value& item : array.items) {
    if (!item.is_scalar()) return false;
  }
  return true;
}

class Writer {
 public:
  void pair(std::string_view name, std::string_view value) {
    if (!out_.empty()) out_ += '&';
    out_ += form_escape(name);
    out_ += '=';
    out_ += form_escape(value);
  }

  // Depth is bounded by json_text::parse's max_depth, so this recursion is too.
  void field(const std::string& name, const Value& v) {
    if (v.is_scalar()) {
      pair(name, scalar_text(v));
    } else if (v.kind == Value::array && all_scalars(v)) {
      // Arrays of scalars as one comma-joined field, the way the Buq document sends item lists. An empty
      // array is an empty value, so the receiver still sees the field.
      std::string joined;
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) joined += ',';
        joined += scalar_text(v.items[i]);
      }
      pair(name, joined);
    } else if (v.kind == Value::array) {
      for (std::size_t i = 0; i < v.items.size(); ++i)
        field(name + "[" + std::to_string(i) + "]", v.items[i]);
    } else if (v.members.empty()) {
      pair(name, {});  // an empty object: the field is still present, with an empty value
    } else {
      for (const auto& [key, child] : v.members) field(name + "[" + key + "]", child);
    }
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string form_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (kept_as_is(c)) {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Result<std::string> form_encode(std::string_view payload_json, const FormOptions& options) {
  auto payload = json_text::parse(payload_json);
  if (!payload) return std::unexpected(payload.error());
  if (payload->kind != Value::object) {
    return invalid("payload", "a form body needs a JSON object payload");
  }
  const std::array<std::pair<std::string_view, const std::string*>, 3> fixed{{
      {"type", &options.type},
      {"auth_id", &options.auth_id},
      {"auth_secret", &options.auth_secret},
  }};
  Writer writer;
  for (const auto& [name, value] : fixed) {
    if (!value->empty()) writer.pair(name, *value);
  }
  for (const auto& [key, value] : payload->members) {
    bool overridden = false;
    for (const auto& [name, option] : fixed) overridden = overridden || (key == name && !option->empty());
    if (!overridden) writer.field(key, value);
  }
  return writer.take();
}

}  // namespace hookd::delivery
