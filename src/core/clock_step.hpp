#pragma once
// Notices when the wall clock is stepped (NTP correction, an operator, a VM resumed) by comparing how far
// it moved with how far the monotonic clock moved between two observations. Stored times (due times,
// leases) live on the wall clock, so a step changes what they mean; the caller decides what to do.
#include <chrono>
#include <optional>

#include "core/clock.hpp"

namespace hookd {

class ClockStepDetector {
 public:
  using Steady = std::chrono::steady_clock::time_point;

  // Differences up to `tolerance` are drift or scheduling noise, not a step.
  explicit ClockStepDetector(Millis tolerance = std::chrono::seconds(1)) : tolerance_(tolerance) {}

  // Returns the step since the previous observation (positive: the wall clock jumped forward, negative:
  // backward), or 0 when none beyond the tolerance. The first observation only sets the reference.
  Millis observe(TimePoint wall, Steady steady);

 private:
  Millis tolerance_;
  std::optional<std::pair<TimePoint, Steady>> last_;
};

}  // namespace hookd
