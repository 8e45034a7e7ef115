#pragma once
// Event-type catalogs: the JSON files under catalogs/ (format in catalogs/README.md), parsed into the
// core EventType records the store keeps. Parsing also compiles every schema and validates every example
// against it, so a catalog that loads is internally consistent.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/json_schema.hpp"
#include "core/model.hpp"
#include "core/result.hpp"

namespace hookd::catalog {

struct Catalog {
  std::string name;
  std::string description;
  std::string body_format;             // "json" or "form"
  std::vector<EventType> event_types;  // in file order; schemas_json = {"1": schema}, self-contained
};

Result<Catalog> parse_catalog(std::string_view json_text);

// `name_or_path` is a built-in name ("wink" -> <catalogs_dir>/wink.json) or, when it contains a '/' or
// ends in ".json", a file path.
Result<Catalog> load_catalog(std::string_view name_or_path, std::string_view catalogs_dir);

// Names of the *.json catalogs in `catalogs_dir`, sorted; empty if the directory does not exist.
std::vector<std::string> builtin_catalog_names(std::string_view catalogs_dir);

// The schema of an event type's newest version (highest numeric key of schemas_json), compiled;
// nullopt when the event type has no schema.
Result<std::optional<Schema>> compile_event_schema(const EventType& event_type);

}  // namespace hookd::catalog
