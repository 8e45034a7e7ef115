// Schema::compile: walks every subschema once, checks the keyword shapes the validator relies on, builds the
// regexes and resolves the $refs, so validate() never meets a malformed schema.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <set>

#include "catalog/json_schema.hpp"
#include "catalog/json_schema_compiled.hpp"
#include "catalog/json_values.hpp"

namespace hookd::catalog {

namespace json = boost::json;

namespace {

constexpr std::string_view kTypes[] = {"null", "boolean", "object", "array", "number", "string", "integer"};

// Decodes %XX escapes in a URI fragment (the test suite's "#/percent%25field").
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t k = i + 1; k <= i + 2; ++k) {
      const char c = s[k];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

class Compiler {
 public:
  explicit Compiler(Schema::Compiled& out) : out_(out) {}

  Result<void> walk(const json::value& s, const std::string& where) {
    if (!visited_.insert(&s).second) return {};
    if (s.is_bool()) return {};
    const auto* obj = s.if_object();
    if (obj == nullptr) return bad(where, "a schema must be an object or a boolean");

    for (const auto& [key, value] : *obj) {
      const std::string at = where + "/" + pointer_escape(key);
      if (auto r = keyword(key, value, at); !r) return r;
    }
    return {};
  }

 private:
  static std::unexpected<Error> bad(const std::string& where, std::string_view why) {
    return invalid("schema", fmt::format("invalid schema at {}: {}", where.empty() ? "/" : where, why));
  }

  Result<void> schema_map(const json::value& v, const std::string& at) {
    const auto* obj = v.if_object();
    if (obj == nullptr) return bad(at, "must be an object of schemas");
    for (const auto& [name, sub] : *obj) {
      if (auto r = walk(sub, at + "/" + pointer_escape(name)); !r) return r;
    }
    return {};
  }

  Result<void> schema_list(const json::value& v, const std::string& at, bool allow_empty) {
    const auto* arr = v.if_array();
    if (arr == nullptr || (!allow_empty && arr->empty()))
      return bad(at, "must be a non-empty array of schemas");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      if (auto r = walk((*arr)[i], fmt::format("{}/{}", at, i)); !r) return r;
    }
    return {};
  }

  static bool string_list(const json::value& v) {
    const auto* arr = v.if_array();
    if (arr == nullptr) return false;
    for (const auto& item : *arr) {
      if (!item.is_string()) return false;
    }
    return true;
  }

  Result<void> pattern(std::string_view p, const std::string& at) {
    const std::string key(p);
    if (out_.patterns.contains(key)) return {};
    try {
      out_.patterns.emplace(key, std::regex(key, std::regex::ECMAScript));
    } catch (const std::regex_error& e) {
      return bad(at, fmt::format("pattern \"{}\" is not a valid regular expression: {}", key, e.what()));
    }
    return {};
  }

  Result<void> ref(const json::value& v, const std::string& at) {
    if (!v.is_string()) return bad(at, "$ref must be a string");
    const std::string r(v.get_string());
    if (r.empty() || r.front() != '#')
      return bad(at, fmt::format("$ref \"{}\": only references within the document (#...) are supported", r));
    const auto pointer = percent_decode(std::string_view(r).substr(1));
    const json::value* target = pointer ? resolve_pointer(out_.root, *pointer) : nullptr;
    if (target == nullptr) return bad(at, fmt::format("$ref \"{}\" does not resolve", r));
    out_.refs.emplace(r, target);
    return walk(*target, *pointer);
  }

  static bool non_negative_integer(const json::value& v) { return is_integer(v) && *as_number(v) >= 0; }

  Result<void> keyword(std::string_view key, const json::value& v, const std::string& at) {
    if (key == "type") {
      auto known = [](const json::value& t) {
        return t.is_string() &&
               std::ranges::find(kTypes, std::string_view(t.get_string())) != std::end(kTypes);
      };
      bool ok = known(v);
      if (const auto* arr = v.if_array()) ok = std::ranges::all_of(*arr, known);
      return ok ? Result<void>{} : bad(at, "type must be a type name or an array of type names");
    }
    if (key == "required") return string_list(v) ? Result<void>{} : bad(at, "must be an array of strings");
    if (key == "properties" || key == "$defs" || key == "definitions" || key == "dependentSchemas") {
      return schema_map(v, at);
    }
    if (key == "patternProperties") {
      if (!v.is_object()) return bad(at, "must be an object of schemas");
      for (const auto& [p, sub] : v.get_object()) {
        if (auto r = pattern(p, at); !r) return r;
        if (auto r = walk(sub, at + "/" + pointer_escape(p)); !r) return r;
      }
      return {};
    }
    if (key == "additionalProperties" || key == "additionalItems" || key == "not" || key == "contains" ||
        key == "propertyNames" || key == "if" || key == "then" || key == "else") {
      return walk(v, at);
    }
    if (key == "items") return v.is_array() ? schema_list(v, at, true) : walk(v, at);
    if (key == "prefixItems") return schema_list(v, at, true);
    if (key == "allOf" || key == "anyOf" || key == "oneOf") return schema_list(v, at, false);
    if (key == "enum") return v.is_array() ? Result<void>{} : bad(at, "enum must be an array");
    if (key == "pattern")
      return v.is_string() ? pattern(v.get_string(), at) : bad(at, "pattern must be a string");
    if (key == "format") return v.is_string() ? Result<void>{} : bad(at, "format must be a string");
    if (key == "$ref") return ref(v, at);
    if (key == "minimum" || key == "maximum") {
      return as_number(v) ? Result<void>{} : bad(at, "must be a number");
    }
    if (key == "exclusiveMinimum" || key == "exclusiveMaximum") {
      return as_number(v) || v.is_bool() ? Result<void>{}
                                         : bad(at, "must be a number (or a draft-4 boolean)");
    }
    if (key == "multipleOf") {
      const auto n = as_number(v);
      return n && *n > 0 ? Result<void>{} : bad(at, "multipleOf must be a number greater than 0");
    }
    if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems" ||
        key == "minProperties" || key == "maxProperties") {
      return non_negative_integer(v) ? Result<void>{} : bad(at, "must be a non-negative integer");
    }
    if (key == "uniqueItems") return v.is_bool() ? Result<void>{} : bad(at, "must be a boolean");
    if (key == "dependentRequired") {
      if (!v.is_object() ||
          !std::ranges::all_of(v.get_object(), [](const auto& kv) { return string_list(kv.value()); })) {
        return bad(at, "must be an object of string arrays");
      }
      return {};
    }
    if (key == "dependencies") {
      if (!v.is_object()) return bad(at, "must be an object");
      for (const auto& [name, dep] : v.get_object()) {
        if (string_list(dep)) continue;
        if (auto r = walk(dep, at + "/" + pointer_escape(name)); !r) return r;
      }
      return {};
    }
    return {};  // annotations and unknown keywords are ignored, as the specification says
  }

  Schema::Compiled& out_;
  std::set<const json::value*> visited_;
};

}  // namespace

Result<Schema> Schema::compile(const json::value& schema) {
  auto compiled = std::make_shared<Compiled>();
  compiled->root = schema;
  Compiler compiler(*compiled);
  if (auto r = compiler.walk(compiled->root, ""); !r) return std::unexpected(r.error());
  compiled->index_keywords();
  return Schema(std::move(compiled));
}

namespace {

std::uint64_t mask_of(const json::object& node) {
  std::uint64_t mask = 0;
  for (const auto& member : node) {
    for (std::size_t i = 0; i < kSchemaKeywords.size(); ++i)
      if (kSchemaKeywords[i] == std::string_view(member.key())) mask |= std::uint64_t{1} << i;
  }
  return mask;
}

// Every object anywhere in the document (subschemas and, harmlessly, plain values such as enum members).
void index_all(const json::value& v, std::unordered_map<const json::object*, std::uint64_t>& out) {
  if (v.is_object()) {
    out.emplace(&v.get_object(), mask_of(v.get_object()));
    for (const auto& member : v.get_object()) index_all(member.value(), out);
  } else if (v.is_array()) {
    for (const auto& item : v.get_array()) index_all(item, out);
  }
}

}  // namespace

void Schema::Compiled::index_keywords() {
  keyword_masks.clear();
  index_all(root, keyword_masks);
}

std::uint64_t Schema::Compiled::keyword_mask(const json::object& node) const {
  auto it = keyword_masks.find(&node);
  return it != keyword_masks.end() ? it->second : mask_of(node);
}

const json::value& Schema::document() const {
  return compiled_->root;
}

}  // namespace hookd::catalog
