#include "core/clock_step.hpp"

namespace hookd {

Millis ClockStepDetector::observe(TimePoint wall, Steady steady) {
  Millis step{0};
  if (last_) {
    auto wall_moved = wall - last_->first;
    auto steady_moved = std::chrono::duration_cast<Millis>(steady - last_->second);
    auto difference = wall_moved - steady_moved;
    if (difference > tolerance_ || difference < -tolerance_) step = difference;
  }
  last_ = std::pair{wall, steady};
  return step;
}

}  // namespace hookd
