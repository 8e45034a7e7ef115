#pragma once
// Small helpers over Boost.JSON values that JSON Schema needs: the schema's notion of numbers and equality
// (1 and 1.0 are the same number), type names, Unicode length, and JSON Pointer (RFC 6901).
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hookd::catalog {

// JSON Schema equality: numbers compare by value across int64/uint64/double; objects ignore key order.
bool json_equal(const boost::json::value& a, const boost::json::value& b);

// The numeric value as a double, or nullopt for non-numbers.
std::optional<double> as_number(const boost::json::value& v);

// True for integer kinds and for doubles with no fractional part (draft 6+ semantics: 1.0 is an integer).
bool is_integer(const boost::json::value& v);

// "null", "boolean", "object", "array", "string", "integer" or "number" (integers report "integer").
std::string_view type_name(const boost::json::value& v);

// Number of Unicode code points in UTF-8 text (JSON Schema lengths count characters, not bytes).
std::size_t code_point_length(std::string_view utf8);

// Escapes one reference token for a JSON Pointer ("~" -> "~0", "/" -> "~1").
std::string pointer_escape(std::string_view token);

// Resolves a JSON Pointer such as "/$defs/booking" or "/items/0" inside `root`; nullptr when absent.
const boost::json::value* resolve_pointer(const boost::json::value& root, std::string_view pointer);

}  // namespace hookd::catalog
