#pragma once
// Request bodies for `form` endpoints: application/x-www-form-urlencoded, built the way receivers written
// for PHP platforms (document 002, Buq) expect them. The exact rules are in docs/form-encoding.md; every
// rule there has a unit test in tests/unit/form_encoder_test.cpp.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace hookd::delivery {

struct FormOptions {
  std::string type;         // the event type's form name, e.g. "adduser"; empty: no `type` field is added
  std::string auth_id;      // omitted when empty
  std::string auth_secret;  // omitted when empty
};

// The form body for a JSON object payload (text): `type`, `auth_id`, `auth_secret` first (those set, in that
// order, as in the Buq document), then the payload's fields in payload order. A payload member named like a
// set option is dropped: the option wins. A payload that is not a JSON object is ErrorKind::invalid_input.
Result<std::string> form_encode(std::string_view payload_json, const FormOptions& options);

// One name or value escaped per the WHATWG application/x-www-form-urlencoded serializer: alphanumerics and
// `*-._` kept, space as `+`, every other byte as %XX (uppercase hex).
std::string form_escape(std::string_view s);

}  // namespace hookd::delivery
