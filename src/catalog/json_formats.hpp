#pragma once
// The string formats hookd's JSON Schema validator asserts (RFC 3339 dates and times, e-mail addresses,
// RFC 3986 URIs). Unknown formats are annotations and are not checked.
#include <optional>
#include <string_view>

namespace hookd::catalog {

bool is_date(std::string_view s);       // RFC 3339 full-date: 2024-01-25, with real month lengths
bool is_time(std::string_view s);       // RFC 3339 full-time: 10:30:00Z, 10:30:00.5+01:00
bool is_date_time(std::string_view s);  // RFC 3339 date-time: 2024-01-20T10:30:00Z
bool is_email(std::string_view s);  // dot-atom local part @ hostname (no quoted local parts, no IP literals)
bool is_uri(std::string_view s);    // absolute URI: scheme ":" followed by RFC 3986 characters only

// nullopt when `format` is not one this validator asserts; otherwise whether `s` conforms.
std::optional<bool> check_format(std::string_view format, std::string_view s);

}  // namespace hookd::catalog
