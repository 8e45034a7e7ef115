#pragma once
// Portal tokens: short-lived, scoped to one application, signed with the server's key
// ("ptk_" + base64url(app_id "." expiry_ms) "." base64url(HMAC-SHA256)). Nothing is stored, so there is
// nothing to leak from the database; rotating the key revokes every token.
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace hookd::api {

inline constexpr std::string_view kPortalTokenPrefix = "ptk_";

std::string issue_portal_token(std::string_view key, std::string_view app_id, TimePoint expires_at);
// The application id the token grants, if it is authentic and not expired.
std::optional<std::string> verify_portal_token(std::string_view key, std::string_view token, TimePoint now);

}  // namespace hookd::api
