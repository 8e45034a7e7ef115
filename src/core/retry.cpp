#include "core/retry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hookd {

Result<Millis> parse_duration(std::string_view text) {
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr == text.data() || value < 0) {
    return invalid("duration", fmt::format("'{}' is not a duration (e.g. 500ms, 5s, 5m, 2h)", text));
  }
  std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  std::int64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return invalid("duration", fmt::format("'{}' has no unit (ms, s, m, h, d)", text));
  return Millis(value * factor);
}

std::string format_duration(Millis d) {
  auto ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0 && ms != 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

RetrySchedule RetrySchedule::standard() {
  using namespace std::chrono;
  return RetrySchedule{{seconds(5), minutes(5), minutes(30), hours(2), hours(5), hours(10), hours(10)}};
}

Result<RetrySchedule> RetrySchedule::parse(std::string_view text) {
  RetrySchedule schedule;
  if (text.empty()) return schedule;  // no retries
  while (true) {
    auto comma = text.find(',');
    auto part = text.substr(0, comma);
    auto d = parse_duration(part);
    if (!d) return std::unexpected(d.error());
    schedule.delays.push_back(*d);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return schedule;
}

std::optional<Millis> next_retry_delay(const RetrySchedule& schedule, int failed_attempts,
                                       std::optional<Millis> retry_after, RandomSource& random) {
  if (failed_attempts < 1 || static_cast<std::size_t>(failed_attempts) > schedule.delays.size()) {
    return std::nullopt;
  }
  Millis base = schedule.delays[static_cast<std::size_t>(failed_attempts - 1)];
  if (retry_after) return std::clamp(*retry_after, base, base * 2);
  double factor = 1.0 + schedule.jitter * (2.0 * random.next_unit() - 1.0);
  return Millis(static_cast<std::int64_t>(std::llround(static_cast<double>(base.count()) * factor)));
}

}  // namespace hookd
