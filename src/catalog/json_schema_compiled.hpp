#pragma once
// Private to the validator: the compiled form shared by json_schema_compile.cpp and json_schema_validate.cpp.
#include <array>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "catalog/json_schema.hpp"
#include "core/string_keyed_map.hpp"

namespace hookd::catalog {

// The keywords the validator reads. Each schema object gets a bitmask of the ones it has, computed once at
// compile time, so the validator's many "has this keyword?" questions on a node cost a bit test instead of
// a scan of the node's members (a callgrind profile of ingest found keyword lookups the largest part of
// validation).
inline constexpr std::array<std::string_view, 37> kSchemaKeywords = {"$ref",
                                                                     "additionalItems",
                                                                     "additionalProperties",
                                                                     "allOf",
                                                                     "anyOf",
                                                                     "const",
                                                                     "contains",
                                                                     "dependencies",
                                                                     "dependentRequired",
                                                                     "dependentSchemas",
                                                                     "else",
                                                                     "enum",
                                                                     "exclusiveMaximum",
                                                                     "exclusiveMinimum",
                                                                     "format",
                                                                     "if",
                                                                     "items",
                                                                     "maxItems",
                                                                     "maxLength",
                                                                     "maxProperties",
                                                                     "maximum",
                                                                     "minItems",
                                                                     "minLength",
                                                                     "minProperties",
                                                                     "minimum",
                                                                     "multipleOf",
                                                                     "not",
                                                                     "oneOf",
                                                                     "pattern",
                                                                     "patternProperties",
                                                                     "prefixItems",
                                                                     "properties",
                                                                     "propertyNames",
                                                                     "required",
                                                                     "then",
                                                                     "type",
                                                                     "uniqueItems"};

consteval int schema_keyword_bit(std::string_view name) {
  for (std::size_t i = 0; i < kSchemaKeywords.size(); ++i)
    if (kSchemaKeywords[i] == name) return static_cast<int>(i);
  throw "not a keyword the validator knows";  // a compile-time error
}

struct Schema::Compiled {
  boost::json::value root;
  // Looked up by the schema's own string views (StringKeyedMap), so a lookup during validation copies no
  // string. Every `pattern` and `patternProperties` key in the document, compiled once (std::regex is slow to
  // build).
  StringKeyedMap<std::regex> patterns;
  // Every "$ref" string to the subschema it names; the pointers point into `root`, which never changes.
  StringKeyedMap<const boost::json::value*> refs;
  // Keyword bitmask of every object in `root` (see kSchemaKeywords); filled by index_keywords().
  std::unordered_map<const boost::json::object*, std::uint64_t> keyword_masks;

  const std::regex& pattern(std::string_view key) const { return patterns.find(key)->second; }
  const boost::json::value& ref(std::string_view key) const { return *refs.find(key)->second; }

  void index_keywords();
  std::uint64_t keyword_mask(const boost::json::object& node) const;
};

}  // namespace hookd::catalog
