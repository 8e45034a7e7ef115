#include "api/portal_tokens.hpp"

#include <charconv>

#include "core/secrets.hpp"

namespace hookd::api {

std::string issue_portal_token(std::string_view key, std::string_view app_id, TimePoint expires_at) {
  std::string claims = std::string(app_id) + "." + std::to_string(to_millis(expires_at));
  return std::string(kPortalTokenPrefix) + base64url_encode(claims) + "." +
         base64url_encode(hmac_sha256(key, claims));
}

std::optional<std::string> verify_portal_token(std::string_view key, std::string_view token, TimePoint now) {
  if (!token.starts_with(kPortalTokenPrefix)) return std::nullopt;
  token.remove_prefix(kPortalTokenPrefix.size());
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto claims = base64url_decode(token.substr(0, dot));
  auto mac = base64url_decode(token.substr(dot + 1));
  if (!claims || !mac || !constant_time_equals(*mac, hmac_sha256(key, *claims))) return std::nullopt;
  auto sep = claims->rfind('.');
  if (sep == std::string::npos) return std::nullopt;
  std::int64_t expires = 0;
  auto [ptr, ec] = std::from_chars(claims->data() + sep + 1, claims->data() + claims->size(), expires);
  if (ec != std::errc{} || to_millis(now) >= expires) return std::nullopt;
  return claims->substr(0, sep);
}

}  // namespace hookd::api
