#pragma once
// Value equality for the fuzz targets that use Boost.JSON as their reference parser, with two allowances for
// Boost.JSON 1.81's number parsing, both found by these fuzzers and both library limits, not bugs of ours:
// - it parses some doubles one ulp off, and the result can depend on what follows the number in the buffer
//   (the same lexeme inside a document and alone can differ), so doubles compare within 1e-15 relative;
// - it reads some huge-exponent numbers (0e10100) as NaN, which is unequal to itself, so NaN equals NaN.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_number() || !b.is_number()) return false;
    const double x = a.to_number<double>();
    const double y = b.to_number<double>();
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return x == y || std::abs(x - y) <= 1e-15 * std::max(std::abs(x), std::abs(y));
  }
  if (a.is_array() && b.is_array()) {
    if (a.as_array().size() != b.as_array().size()) return false;
    for (std::size_t i = 0; i < a.as_array().size(); ++i)
      if (!same_json(a.as_array()[i], b.as_array()[i])) return false;
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.as_object().size() != b.as_object().size()) return false;
    for (const auto& [k, v] : a.as_object()) {
      const auto* other = b.as_object().if_contains(k);
      if (!other || !same_json(v, *other)) return false;
    }
    return true;
  }
  return a == b;
}
