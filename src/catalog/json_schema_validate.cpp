// Schema::validate: one recursive walk over schema and instance together, collecting every failure.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>

#include "catalog/json_formats.hpp"
#include "catalog/json_schema.hpp"
#include "catalog/json_schema_compiled.hpp"
#include "catalog/json_values.hpp"

namespace hookd::catalog {

namespace json = boost::json;

namespace {

// A recursive "$ref": "#" can recurse without consuming the instance; this bounds it.
constexpr int kMaxDepth = 200;
// libstdc++'s std::regex matcher recurses per character; longer strings could exhaust the stack.
constexpr std::size_t kMaxPatternInput = 8192;

std::string shorten(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

// A JSON pointer that is only spelled out when a failure needs it, so validating a valid payload builds
// no path strings (they were a fifth of validation's cost). Each level lives on the validator's stack.
struct Path {
  const Path* parent = nullptr;  // nullptr: the root
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  std::string str() const {
    if (parent == nullptr) return {};
    return parent->str() + "/" + (is_index ? std::to_string(index) : pointer_escape(key));
  }
};

Path child(const Path& path, std::string_view key) {
  return Path{&path, key, 0, false};
}
Path child(const Path& path, std::size_t index) {
  return Path{&path, {}, index, true};
}

// A schema object with its keyword bitmask: if_contains("keyword") is a bit test when the keyword is
// absent (the common case). Keyword names are checked at compile time (consteval).
class Node {
 public:
  struct Keyword {
    consteval Keyword(const char* n) : bit(schema_keyword_bit(n)), name(n) {}  // NOLINT: implicit on purpose
    int bit;
    std::string_view name;
  };
  Node(const json::object& object, std::uint64_t mask) : object_(object), mask_(mask) {}
  const json::value* if_contains(Keyword k) const {
    return ((mask_ >> k.bit) & 1U) != 0 ? object_.if_contains(k.name) : nullptr;
  }

 private:
  const json::object& object_;
  std::uint64_t mask_;
};

class Validator {
 public:
  Validator(const Schema::Compiled& c, std::vector<ValidationError>& errors) : c_(c), errors_(errors) {}

  void check(const json::value& schema, const json::value& inst, const Path& path, int depth) {
    if (depth > kMaxDepth)
      return fail(path, "schema recursion too deep (a $ref cycle that never consumes input?)");
    if (schema.is_bool()) {
      if (!schema.get_bool()) fail(path, "no value is allowed here");
      return;
    }
    const Node s(schema.get_object(), c_.keyword_mask(schema.get_object()));

    if (const auto* ref = s.if_contains("$ref")) check(c_.ref(ref->get_string()), inst, path, depth + 1);
    if (const auto* type = s.if_contains("type"); type != nullptr && !type_matches(*type, inst)) {
      // The other keywords would only restate the type mismatch at the same path.
      return fail(path, fmt::format("must be of type {}, got {}", type_list(*type), type_name(inst)));
    }
    if (const auto* e = s.if_contains("enum")) {
      const auto& options = e->get_array();
      if (std::ranges::none_of(options, [&](const json::value& o) { return json_equal(o, inst); })) {
        fail(path, fmt::format("must be one of {}", shorten(*e)));
      }
    }
    if (const auto* k = s.if_contains("const"); k != nullptr && !json_equal(*k, inst)) {
      fail(path, fmt::format("must equal {}", shorten(*k)));
    }

    if (inst.is_string()) string_keywords(s, inst.get_string(), path);
    if (as_number(inst)) number_keywords(s, inst, path);
    if (inst.is_object()) object_keywords(s, inst, path, depth);
    if (inst.is_array()) array_keywords(s, inst.get_array(), path, depth);
    combinators(s, inst, path, depth);
  }

 private:
  void fail(const Path& path, std::string message) { errors_.push_back({path.str(), std::move(message)}); }

  // Validates against `schema` without reporting; returns the errors it would have reported.
  std::vector<ValidationError> trial(const json::value& schema, const json::value& inst, const Path& path,
                                     int depth) const {
    std::vector<ValidationError> errors;
    Validator(c_, errors).check(schema, inst, path, depth + 1);
    return errors;
  }

  static bool one_type_matches(std::string_view t, const json::value& inst) {
    if (t == "integer") return is_integer(inst);
    if (t == "number") return as_number(inst).has_value();
    return type_name(inst) == t;
  }

  static std::string type_list(const json::value& type) {
    if (type.is_string()) return std::string(type.get_string());
    std::string out;
    for (const auto& t : type.get_array()) out += (out.empty() ? "" : " or ") + std::string(t.get_string());
    return out;
  }

  static bool type_matches(const json::value& type, const json::value& inst) {
    if (type.is_string()) return one_type_matches(type.get_string(), inst);
    return std::ranges::any_of(type.get_array(),
                               [&](const json::value& t) { return one_type_matches(t.get_string(), inst); });
  }

  void string_keywords(const Node& s, std::string_view str, const Path& path) {
    const auto* min_length = s.if_contains("minLength");
    const auto* max_length = s.if_contains("maxLength");
    // Counted only when a bound asks: most strings have none, and counting every one cost 4,000
    // instructions a booking payload.
    const std::size_t length = min_length != nullptr || max_length != nullptr ? code_point_length(str) : 0;
    if (min_length != nullptr && length < *as_number(*min_length)) {
      fail(path, fmt::format("must be at least {} characters long", shorten(*min_length)));
    }
    if (max_length != nullptr && length > *as_number(*max_length)) {
      fail(path, fmt::format("must be at most {} characters long", shorten(*max_length)));
    }
    if (const auto* v = s.if_contains("pattern")) {
      const std::string_view pattern = v->get_string();
      if (str.size() > kMaxPatternInput) {
        fail(path,
             fmt::format("is longer than {} bytes, too long to match pattern {}", kMaxPatternInput, pattern));
      } else if (!std::regex_search(str.begin(), str.end(), c_.pattern(pattern))) {
        fail(path, fmt::format("must match pattern {}", pattern));
      }
    }
    if (const auto* v = s.if_contains("format")) {
      const auto ok = check_format(v->get_string(), str);
      if (ok.has_value() && !*ok)
        fail(path, fmt::format("must be a valid {}", std::string_view(v->get_string())));
    }
  }

  void number_keywords(const Node& s, const json::value& inst, const Path& path) {
    const double x = *as_number(inst);
    // Draft 4 spells exclusivity as a boolean beside minimum/maximum; draft 6+ as its own bound.
    auto flag = [&](Node::Keyword key) {
      const auto* v = s.if_contains(key);
      return v != nullptr && v->is_bool() && v->get_bool();
    };
    if (const auto* v = s.if_contains("minimum")) {
      const double m = *as_number(*v);
      if (flag("exclusiveMinimum") ? x <= m : x < m) {
        fail(path, fmt::format("must be {} {}", flag("exclusiveMinimum") ? ">" : ">=", shorten(*v)));
      }
    }
    if (const auto* v = s.if_contains("maximum")) {
      const double m = *as_number(*v);
      if (flag("exclusiveMaximum") ? x >= m : x > m) {
        fail(path, fmt::format("must be {} {}", flag("exclusiveMaximum") ? "<" : "<=", shorten(*v)));
      }
    }
    if (const auto* v = s.if_contains("exclusiveMinimum");
        v != nullptr && !v->is_bool() && x <= *as_number(*v)) {
      fail(path, fmt::format("must be > {}", shorten(*v)));
    }
    if (const auto* v = s.if_contains("exclusiveMaximum");
        v != nullptr && !v->is_bool() && x >= *as_number(*v)) {
      fail(path, fmt::format("must be < {}", shorten(*v)));
    }
    if (const auto* v = s.if_contains("multipleOf"); v != nullptr && !multiple_of(inst, *v)) {
      fail(path, fmt::format("must be a multiple of {}", shorten(*v)));
    }
  }

  static bool multiple_of(const json::value& inst, const json::value& divisor) {
    if (inst.is_int64() && divisor.is_int64()) return inst.get_int64() % divisor.get_int64() == 0;
    const double q = *as_number(inst) / *as_number(divisor);
    if (!std::isfinite(q)) return false;
    // Decimal divisors such as 0.01 are not exact in binary floating point: allow rounding noise.
    return std::abs(q - std::round(q)) <= 1e-9 * std::max(1.0, std::abs(q));
  }

  void object_keywords(const Node& s, const json::value& inst, const Path& path, int depth) {
    const json::object& obj = inst.get_object();
    if (const auto* req = s.if_contains("required")) {
      for (const auto& name : req->get_array()) {
        if (!obj.contains(name.get_string())) fail(child(path, name.get_string()), "is required but missing");
      }
    }
    if (const auto* v = s.if_contains("minProperties"); v != nullptr && obj.size() < *as_number(*v)) {
      fail(path, fmt::format("must have at least {} properties", shorten(*v)));
    }
    if (const auto* v = s.if_contains("maxProperties"); v != nullptr && obj.size() > *as_number(*v)) {
      fail(path, fmt::format("must have at most {} properties", shorten(*v)));
    }
    const auto* properties = s.if_contains("properties");
    const auto* pattern_properties = s.if_contains("patternProperties");
    const auto* additional = s.if_contains("additionalProperties");
    const auto* names = s.if_contains("propertyNames");
    for (const auto& [key, value] : obj) {
      const Path at = child(path, key);
      bool matched = false;
      if (properties != nullptr) {
        if (const auto* sub = properties->get_object().if_contains(key)) {
          matched = true;
          check(*sub, value, at, depth + 1);
        }
      }
      if (pattern_properties != nullptr) {
        for (const auto& [p, sub] : pattern_properties->get_object()) {
          const auto& re = c_.pattern(p);
          if (std::regex_search(key.begin(), key.end(), re)) {
            matched = true;
            check(sub, value, at, depth + 1);
          }
        }
      }
      if (!matched && additional != nullptr) {
        if (additional->is_bool() && !additional->get_bool()) {
          fail(at, "is not an allowed property");
        } else {
          check(*additional, value, at, depth + 1);
        }
      }
      if (names != nullptr && !trial(*names, json::value(key), at, depth).empty()) {
        fail(at, "property name does not match propertyNames");
      }
    }
    auto require_all = [&](const json::value& list, std::string_view because) {
      for (const auto& name : list.get_array()) {
        if (!obj.contains(name.get_string())) {
          fail(child(path, name.get_string()), fmt::format("is required when {} is present", because));
        }
      }
    };
    if (const auto* dr = s.if_contains("dependentRequired")) {
      for (const auto& [key, list] : dr->get_object()) {
        if (obj.contains(key)) require_all(list, key);
      }
    }
    if (const auto* ds = s.if_contains("dependentSchemas")) {
      for (const auto& [key, sub] : ds->get_object()) {
        if (obj.contains(key)) check(sub, inst, path, depth + 1);
      }
    }
    if (const auto* deps = s.if_contains("dependencies")) {
      for (const auto& [key, dep] : deps->get_object()) {
        if (!obj.contains(key)) continue;
        if (dep.is_array()) {
          require_all(dep, key);
        } else {
          check(dep, inst, path, depth + 1);
        }
      }
    }
  }

  void array_keywords(const Node& s, const json::array& arr, const Path& path, int depth) {
    if (const auto* v = s.if_contains("minItems"); v != nullptr && arr.size() < *as_number(*v)) {
      fail(path, fmt::format("must have at least {} items", shorten(*v)));
    }
    if (const auto* v = s.if_contains("maxItems"); v != nullptr && arr.size() > *as_number(*v)) {
      fail(path, fmt::format("must have at most {} items", shorten(*v)));
    }
    if (const auto* v = s.if_contains("uniqueItems"); v != nullptr && v->get_bool()) {
      for (std::size_t i = 0; i < arr.size(); ++i) {
        for (std::size_t j = i + 1; j < arr.size(); ++j) {
          if (json_equal(arr[i], arr[j])) fail(child(path, j), fmt::format("duplicates item {}", i));
        }
      }
    }
    // Leading positions: prefixItems (2020-12) or array-form items (draft 4); the rest: items or
    // additionalItems.
    const json::array* tuple = nullptr;
    const json::value* rest = nullptr;
    if (const auto* prefix = s.if_contains("prefixItems")) {
      tuple = &prefix->get_array();
      rest = s.if_contains("items");
    } else if (const auto* items = s.if_contains("items")) {
      if (items->is_array()) {
        tuple = &items->get_array();
        rest = s.if_contains("additionalItems");
      } else {
        rest = items;
      }
    }
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const Path at = child(path, i);
      if (tuple != nullptr && i < tuple->size()) {
        check((*tuple)[i], arr[i], at, depth + 1);
      } else if (rest != nullptr) {
        if (rest->is_bool() && !rest->get_bool()) {
          fail(at, fmt::format("is beyond the {} items allowed", tuple != nullptr ? tuple->size() : 0));
        } else {
          check(*rest, arr[i], at, depth + 1);
        }
      }
    }
    if (const auto* contains = s.if_contains("contains")) {
      const bool any = std::ranges::any_of(
          arr, [&](const json::value& item) { return trial(*contains, item, path, depth).empty(); });
      if (!any) fail(path, "must contain an item matching the contains schema");
    }
  }

  void combinators(const Node& s, const json::value& inst, const Path& path, int depth) {
    if (const auto* all = s.if_contains("allOf")) {
      for (const auto& sub : all->get_array()) check(sub, inst, path, depth + 1);
    }
    if (const auto* any = s.if_contains("anyOf")) {
      std::vector<std::vector<ValidationError>> tries;
      for (const auto& sub : any->get_array()) {
        tries.push_back(trial(sub, inst, path, depth));
        if (tries.back().empty()) break;
      }
      if (!tries.back().empty())
        fail(path, "must match at least one anyOf alternative" + closest(tries, path));
    }
    if (const auto* one = s.if_contains("oneOf")) {
      std::vector<std::vector<ValidationError>> tries;
      for (const auto& sub : one->get_array()) tries.push_back(trial(sub, inst, path, depth));
      const auto passed = std::ranges::count_if(tries, [](const auto& e) { return e.empty(); });
      if (passed == 0)
        fail(path, "must match exactly one oneOf alternative, matched none" + closest(tries, path));
      if (passed > 1) fail(path, fmt::format("must match exactly one oneOf alternative, matched {}", passed));
    }
    if (const auto* no = s.if_contains("not"); no != nullptr && trial(*no, inst, path, depth).empty()) {
      fail(path, "must not match the schema in not");
    }
    if (const auto* cond = s.if_contains("if")) {
      const bool holds = trial(*cond, inst, path, depth).empty();
      const auto* branch = holds ? s.if_contains("then") : s.if_contains("else");
      if (branch != nullptr) check(*branch, inst, path, depth + 1);
    }
  }

  // The failure of the alternative that came closest, so a 422 says more than "no alternative matched":
  // an alternative whose type fits the instance beats one that rejected the type, then fewer errors win.
  static std::string closest(const std::vector<std::vector<ValidationError>>& tries, const Path& path) {
    const std::string here = path.str();
    auto rank = [&](const std::vector<ValidationError>& errors) {
      const bool wrong_type = std::ranges::any_of(errors, [&](const ValidationError& e) {
        return e.path == here && e.message.starts_with("must be of type ");
      });
      return std::pair(wrong_type, errors.size());
    };
    const auto best = std::ranges::min_element(tries, {}, rank);
    if (best == tries.end() || best->empty()) return {};
    const auto& first = best->front();
    return fmt::format(" (closest, alternative {}: {} {})", best - tries.begin(),
                       first.path.empty() ? "/" : first.path, first.message);
  }

  const Schema::Compiled& c_;
  std::vector<ValidationError>& errors_;
};

}  // namespace

std::vector<ValidationError> Schema::validate(const json::value& instance) const {
  std::vector<ValidationError> errors;
  Validator(*compiled_, errors).check(compiled_->root, instance, Path{}, 0);
  return errors;
}

}  // namespace hookd::catalog
