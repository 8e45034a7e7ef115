#pragma once
// Private to the validator: the compiled form shared by json_schema_compile.cpp and json_schema_validate.cpp.
#include <boost/json/value.hpp>
#include <regex>
#include <string>
#include <unordered_map>

#include "catalog/json_schema.hpp"

namespace hookd::catalog {

struct Schema::Compiled {
  boost::json::value root;
  // Every `pattern` and `patternProperties` key in the document, compiled once (std::regex is slow to build).
  std::unordered_map<std::string, std::regex> patterns;
  // Every "$ref" string to the subschema it names; the pointers point into `root`, which never changes.
  std::unordered_map<std::string, const boost::json::value*> refs;
};

}  // namespace hookd::catalog
