// parse_catalog: catalog JSON text -> Catalog, with every schema compiled and every example checked.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <set>

#include "catalog/catalog.hpp"
#include "catalog/json_values.hpp"

namespace hookd::catalog {

namespace json = boost::json;

namespace {

bool valid_catalog_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::ranges::all_of(
      s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; });
}

// An optional string member: nullopt result means "present but not a string".
std::optional<std::string> string_member(const json::object& o, std::string_view key,
                                         std::string fallback = {}) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

constexpr std::string_view kDefsRef = "#/$defs/";

// Names of the file-level $defs that `v` refers to, directly or through other file-level definitions.
void collect_def_refs(const json::value& v, const json::object& file_defs, std::set<std::string>& names) {
  if (const auto* arr = v.if_array()) {
    for (const auto& item : *arr) collect_def_refs(item, file_defs, names);
    return;
  }
  const auto* obj = v.if_object();
  if (obj == nullptr) return;
  for (const auto& [key, sub] : *obj) {
    if (key == "$ref" && sub.is_string() && std::string_view(sub.get_string()).starts_with(kDefsRef)) {
      const std::string_view rest = std::string_view(sub.get_string()).substr(kDefsRef.size());
      std::string name(rest.substr(0, rest.find('/')));
      if (const auto* def = file_defs.if_contains(name); def != nullptr && names.insert(name).second) {
        collect_def_refs(*def, file_defs, names);
      }
    } else {
      collect_def_refs(sub, file_defs, names);
    }
  }
}

// Copies the file-level definitions an event's schema uses into its own $defs, so the schema stored per
// event type resolves on its own (the store and the API see one event type at a time).
Result<json::value> self_contained(json::value schema, const json::object* file_defs,
                                   const std::string& field) {
  if (file_defs == nullptr || !schema.is_object()) return schema;
  std::set<std::string> names;
  collect_def_refs(schema, *file_defs, names);
  if (names.empty()) return schema;
  auto& own = schema.get_object()["$defs"];
  if (own.is_null()) own = json::object();
  if (!own.is_object()) return invalid(field, "$defs must be an object");
  for (const auto& name : names) {
    if (own.get_object().contains(name)) {
      return invalid(field,
                     fmt::format("$defs/{} is defined both in the event's schema and in the file", name));
    }
    own.get_object()[name] = file_defs->at(name);
  }
  return schema;
}

std::string describe(const std::vector<ValidationError>& errors) {
  std::string out;
  for (std::size_t i = 0; i < errors.size() && i < 3; ++i) {
    if (!out.empty()) out += "; ";
    out += (errors[i].path.empty() ? "/" : errors[i].path) + " " + errors[i].message;
  }
  if (errors.size() > 3) out += fmt::format("; and {} more", errors.size() - 3);
  return out;
}

Result<EventType> parse_event_type(const json::value& v, const std::string& field, const Catalog& cat,
                                   const json::object* file_defs) {
  const auto* o = v.if_object();
  if (o == nullptr) return invalid(field, "an event type must be an object");
  EventType et;
  const auto name = string_member(*o, "name");
  if (!name || name->empty() || name->find_first_of(" \t\r\n") != std::string::npos) {
    return invalid(field + ".name", "name must be a non-empty string without spaces");
  }
  et.name = *name;
  const auto group = string_member(*o, "groupName");
  const auto description = string_member(*o, "description");
  if (!group) return invalid(field + ".groupName", fmt::format("{}: groupName must be a string", et.name));
  if (!description)
    return invalid(field + ".description", fmt::format("{}: description must be a string", et.name));
  et.group_name = *group;
  et.description = *description;
  et.body_format = cat.body_format;

  const auto form_type = string_member(*o, "formType");
  if (!form_type) return invalid(field + ".formType", fmt::format("{}: formType must be a string", et.name));
  if (cat.body_format == "form" && form_type->empty()) {
    return invalid(field + ".formType",
                   fmt::format("{}: a form catalog's event types need a formType", et.name));
  }
  if (cat.body_format != "form" && !form_type->empty()) {
    return invalid(field + ".formType", fmt::format("{}: formType is only for form catalogs", et.name));
  }
  et.form_type = *form_type;

  const auto* schema_in = o->if_contains("schema");
  if (schema_in == nullptr || !schema_in->is_object()) {
    return invalid(field + ".schema", fmt::format("{}: schema must be a JSON Schema object", et.name));
  }
  auto schema_json = self_contained(*schema_in, file_defs, field + ".schema");
  if (!schema_json) return std::unexpected(schema_json.error());
  auto schema = Schema::compile(*schema_json);
  if (!schema) return invalid(field + ".schema", fmt::format("{}: {}", et.name, schema.error().detail));

  json::array examples;
  if (const auto* ex = o->if_contains("examples")) {
    if (!ex->is_array())
      return invalid(field + ".examples", fmt::format("{}: examples must be an array", et.name));
    examples = ex->get_array();
  }
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto errors = schema->validate(examples[i]);
    if (!errors.empty()) {
      return invalid(
          fmt::format("{}.examples[{}]", field, i),
          fmt::format("{}: example {} does not match its schema: {}", et.name, i, describe(errors)));
    }
  }
  et.schemas_json = json::serialize(json::object{{"1", std::move(*schema_json)}});
  et.examples_json = json::serialize(examples);
  return et;
}

}  // namespace

Result<Catalog> parse_catalog(std::string_view json_text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(json_text, ec);
  if (ec) return invalid("catalog", fmt::format("catalog is not valid JSON: {}", ec.message()));
  const auto* o = doc.if_object();
  if (o == nullptr) return invalid("catalog", "a catalog must be a JSON object");

  Catalog cat;
  const auto name = string_member(*o, "name");
  if (!name || !valid_catalog_name(*name)) {
    return invalid("name", "name must be 1-64 characters of a-z, 0-9, '-' and '_'");
  }
  cat.name = *name;
  const auto description = string_member(*o, "description");
  if (!description) return invalid("description", "description must be a string");
  cat.description = *description;
  const auto body_format = string_member(*o, "bodyFormat", "json");
  if (!body_format || (*body_format != "json" && *body_format != "form")) {
    return invalid("bodyFormat", "bodyFormat must be \"json\" or \"form\"");
  }
  cat.body_format = *body_format;

  const json::object* file_defs = nullptr;
  if (const auto* defs = o->if_contains("$defs")) {
    if (!defs->is_object()) return invalid("$defs", "$defs must be an object of schemas");
    file_defs = &defs->get_object();
  }
  const auto* types = o->if_contains("eventTypes");
  if (types == nullptr || !types->is_array() || types->get_array().empty()) {
    return invalid("eventTypes", "eventTypes must be a non-empty array");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < types->get_array().size(); ++i) {
    auto et = parse_event_type(types->get_array()[i], fmt::format("eventTypes[{}]", i), cat, file_defs);
    if (!et) return std::unexpected(et.error());
    if (!seen.insert(et->name).second) {
      return invalid(fmt::format("eventTypes[{}].name", i),
                     fmt::format("event type {} is listed twice", et->name));
    }
    cat.event_types.push_back(std::move(*et));
  }
  return cat;
}

Result<std::optional<Schema>> compile_event_schema(const EventType& event_type) {
  boost::system::error_code ec;
  const json::value schemas = json::parse(event_type.schemas_json, ec);
  if (ec) return internal_error(fmt::format("event type {}: stored schemas are not JSON", event_type.name));
  if (schemas.is_null()) return std::optional<Schema>{};
  if (!schemas.is_object()) return invalid("schemas", "schemas must be an object of version -> schema");
  // Versions are numeric strings ("1", "2", ...); the newest is the one payloads are checked against.
  const json::value* newest = nullptr;
  long newest_version = -1;
  for (const auto& [key, schema] : schemas.get_object()) {
    char* end = nullptr;
    const std::string k(key);
    const long version = std::strtol(k.c_str(), &end, 10);
    if (end == k.c_str() || *end != '\0')
      return invalid("schemas", fmt::format("schema version {} is not a number", k));
    if (version > newest_version) {
      newest_version = version;
      newest = &schema;
    }
  }
  if (newest == nullptr) return std::optional<Schema>{};
  auto compiled = Schema::compile(*newest);
  if (!compiled) return std::unexpected(compiled.error());
  return std::optional<Schema>(std::move(*compiled));
}

}  // namespace hookd::catalog
