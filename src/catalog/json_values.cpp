#include "catalog/json_values.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace hookd::catalog {

namespace json = boost::json;

std::optional<double> as_number(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return static_cast<double>(v.get_int64());
    case json::kind::uint64:
      return static_cast<double>(v.get_uint64());
    case json::kind::double_:
      return v.get_double();
    default:
      return std::nullopt;
  }
}

bool is_integer(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (!v.is_double()) return false;
  const double d = v.get_double();
  return std::isfinite(d) && std::trunc(d) == d;
}

namespace {

// Exact comparison when both sides are integers, so large 64-bit ids do not collapse through double.
bool numbers_equal(const json::value& a, const json::value& b) {
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  if (a.is_int64() && b.is_uint64())
    return a.get_int64() >= 0 && static_cast<std::uint64_t>(a.get_int64()) == b.get_uint64();
  if (a.is_uint64() && b.is_int64()) return numbers_equal(b, a);
  return *as_number(a) == *as_number(b);
}

}  // namespace

bool json_equal(const json::value& a, const json::value& b) {
  const bool a_num = as_number(a).has_value();
  const bool b_num = as_number(b).has_value();
  if (a_num || b_num) return a_num && b_num && numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!json_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x) {
        const auto* other = y.if_contains(key);
        if (other == nullptr || !json_equal(value, *other)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    case json::kind::string:
      return "string";
    default:
      return is_integer(v) ? "integer" : "number";
  }
}

std::size_t code_point_length(std::string_view utf8) {
  std::size_t n = 0;
  for (const char c : utf8) {
    // Continuation bytes (10xxxxxx) belong to the code point started before them.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string pointer_escape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string pointer_unescape(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

}  // namespace

const json::value* resolve_pointer(const json::value& root, std::string_view pointer) {
  const json::value* at = &root;
  if (pointer.empty()) return at;
  if (pointer.front() != '/') return nullptr;
  pointer.remove_prefix(1);
  while (true) {
    const auto slash = pointer.find('/');
    const std::string token = pointer_unescape(pointer.substr(0, slash));
    if (const auto* object = at->if_object()) {
      at = object->if_contains(token);
    } else if (const auto* array = at->if_array()) {
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (ec != std::errc{} || end != token.data() + token.size() || token.empty() ||
          (token.size() > 1 && token[0] == '0') || index >= array->size()) {
        return nullptr;
      }
      at = &(*array)[index];
    } else {
      return nullptr;
    }
    if (at == nullptr) return nullptr;
    if (slash == std::string_view::npos) return at;
    pointer.remove_prefix(slash + 1);
  }
}

}  // namespace hookd::catalog
