#pragma once
// What an attempt record keeps of a request: the endpoint's form auth_secret is sent to the receiver but
// never stored in clear (the attempts table is not sealed; endpoint secrets are, see store/secret_columns).
#include <string>
#include <string_view>

namespace hookd::delivery {

inline constexpr std::string_view kRedacted = "REDACTED";

// The form body with the value of its first `auth_secret` field replaced by kRedacted. The endpoint's own
// auth_secret is that first field whenever it is set (form_encoder puts it before the payload's fields and
// drops a payload member of that name); a body without the field is returned unchanged.
std::string redact_form_auth_secret(std::string_view body);

}  // namespace hookd::delivery
