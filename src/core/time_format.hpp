#pragma once
// RFC 3339 times in UTC with a `Z`, as the API and the event envelope use them.
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace hookd {

std::string format_rfc3339(TimePoint t, bool with_millis = true);  // 2024-01-20T10:30:00.123Z
std::optional<TimePoint> parse_rfc3339(std::string_view text);     // accepts Z or ±HH:MM, optional fraction

}  // namespace hookd
