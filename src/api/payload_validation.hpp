#pragma once
// Validation of message payloads against their event type's schema on ingest: off, warn (accept, log,
// count) or strict (reject with a 422 naming every failing path). Compiled schemas are cached per type
// and recompiled when the type changes.
#include <atomic>
#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "catalog/json_schema.hpp"
#include "core/model.hpp"
#include "core/result.hpp"

namespace hookd::api {

enum class ValidationMode { off, warn, strict };
std::optional<ValidationMode> parse_validation_mode(std::string_view text);
std::string_view to_string(ValidationMode mode);
// Where an application's own mode is kept (the settings table: no schema change for a per-tenant switch).
std::string tenant_validation_key(std::string_view app_id);

class PayloadValidator {
 public:
  explicit PayloadValidator(ValidationMode mode) : mode_(mode) {}
  ValidationMode mode() const { return mode_; }
  // In strict mode an invalid payload is an invalid_input error listing every failing path.
  // `tenant_mode` overrides the server-wide mode for one application.
  // `parsed`, when the caller already holds the payload parsed, spares parsing it again.
  Result<void> check(const EventType& type, std::string_view payload_json,
                     std::optional<ValidationMode> tenant_mode = std::nullopt,
                     const boost::json::value* parsed = nullptr);
  std::uint64_t warnings() const { return warnings_.load(); }

 private:
  ValidationMode mode_;
  std::atomic<std::uint64_t> warnings_{0};
  std::mutex mutex_;  // guards cache_
  struct Cached {
    TimePoint updated_at;
    std::shared_ptr<const catalog::Schema> schema;  // null: the type has no schema
  };
  std::map<std::string, Cached, std::less<>> cache_;
};

}  // namespace hookd::api
