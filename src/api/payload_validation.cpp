#include "api/payload_validation.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "catalog/catalog.hpp"

namespace hookd::api {

std::optional<ValidationMode> parse_validation_mode(std::string_view text) {
  if (text == "off") return ValidationMode::off;
  if (text == "warn") return ValidationMode::warn;
  if (text == "strict") return ValidationMode::strict;
  return std::nullopt;
}

std::string_view to_string(ValidationMode mode) {
  switch (mode) {
    case ValidationMode::off:
      return "off";
    case ValidationMode::warn:
      return "warn";
    case ValidationMode::strict:
      return "strict";
  }
  return "warn";
}

std::string tenant_validation_key(std::string_view app_id) {
  return "payload_validation:" + std::string(app_id);
}

Result<void> PayloadValidator::check(const EventType& type, std::string_view payload_json,
                                     std::optional<ValidationMode> tenant_mode,
                                     const boost::json::value* parsed) {
  const ValidationMode mode = tenant_mode.value_or(mode_);
  if (mode == ValidationMode::off) return {};
  std::shared_ptr<const catalog::Schema> schema;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(type.name);
    if (it != cache_.end() && it->second.updated_at == type.updated_at)
      schema = it->second.schema;
    else {
      auto compiled = catalog::compile_event_schema(type);
      if (!compiled) {
        spdlog::warn("event type {} has an invalid schema: {}", type.name, compiled.error().detail);
      } else if (*compiled) {
        schema = std::make_shared<const catalog::Schema>(**compiled);
      }
      cache_[type.name] = Cached{type.updated_at, schema};
    }
  }
  if (!schema) return {};
  boost::json::value own;
  if (parsed == nullptr) {
    boost::system::error_code ec;
    own = boost::json::parse(payload_json, ec);
    if (ec) return invalid("payload", "payload is not valid JSON");
    parsed = &own;
  }
  auto errors = schema->validate(*parsed);
  if (errors.empty()) return {};
  std::string detail = "payload does not match the schema of " + type.name + ":";
  for (const auto& e : errors)
    detail += " " + (e.path.empty() ? std::string("/") : e.path) + ": " + e.message + ";";
  if (mode == ValidationMode::warn) {
    warnings_.fetch_add(1);
    spdlog::warn("{}", detail);
    return {};
  }
  return invalid("payload", detail);
}

}  // namespace hookd::api
