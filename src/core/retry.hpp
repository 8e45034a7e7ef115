#pragma once
// The retry decision: one small pure function of the schedule, the attempt number and the answer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace hookd {

// Parses "500ms", "5s", "5m", "2h", "1d".
Result<Millis> parse_duration(std::string_view text);
std::string format_duration(Millis d);

struct RetrySchedule {
  // Delay after the 1st, 2nd, … failed attempt. The first attempt is immediate, so a schedule of n delays
  // gives n + 1 attempts in all.
  std::vector<Millis> delays;
  double jitter = 0.2;  // each delay is scaled by a factor in [1 - jitter, 1 + jitter]

  static RetrySchedule standard();  // 5s,5m,30m,2h,5h,10h,10h
  static Result<RetrySchedule> parse(std::string_view comma_separated);
  std::size_t max_attempts() const { return delays.size() + 1; }
};

// When to try again after `failed_attempts` failures (counting the one just made), or nullopt when the
// schedule is exhausted. `retry_after` (from the receiver) is honoured within [base, 2 x base].
std::optional<Millis> next_retry_delay(const RetrySchedule& schedule, int failed_attempts,
                                       std::optional<Millis> retry_after, RandomSource& random);

}  // namespace hookd
