#pragma once
// A JSON Schema validator for the keywords hookd's catalogs use (draft 2020-12 semantics, plus the draft-4
// spellings the official test suite package ships: boolean exclusiveMinimum/Maximum, array-form items with
// additionalItems, definitions, dependencies). Only references within the same document are supported.
//
// Keywords: type, enum, const, required, properties, patternProperties, additionalProperties,
// propertyNames, minProperties, maxProperties, dependentRequired, dependentSchemas, dependencies, items,
// prefixItems, additionalItems, contains, minItems, maxItems, uniqueItems, minLength, maxLength (code
// points), pattern (ECMAScript, unanchored), format (date, time, date-time, email, uri asserted; others
// ignored), minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, allOf, anyOf, oneOf, not,
// if/then/else, $ref ("#", "#/$defs/x", any "#/json/pointer"), $defs, definitions.
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace hookd::catalog {

struct ValidationError {
  // JSON Pointer to the failing value, e.g. /data/booking/fecha. For a missing required property it points
  // at where the property should be, so the caller can name the field.
  std::string path;
  std::string message;
};

class Schema {
 public:
  // Checks the schema's own shape, compiles its patterns and resolves its $refs; errors name the location.
  static Result<Schema> compile(const boost::json::value& schema);

  // Every failure, one entry per failing path (empty when the instance is valid).
  std::vector<ValidationError> validate(const boost::json::value& instance) const;

  const boost::json::value& document() const;

  struct Compiled;  // opaque; defined in json_schema_compiled.hpp for the validator's own files

 private:
  explicit Schema(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  // Shared because a compiled schema is immutable and cheap copies let callers cache it per event type.
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace hookd::catalog
