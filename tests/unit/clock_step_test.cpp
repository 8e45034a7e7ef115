// The wall-clock step detector the dispatcher uses to notice clock jumps.
#include "core/clock_step.hpp"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using namespace std::chrono_literals;

const TimePoint kWall = from_millis(1'700'000'000'000);
const ClockStepDetector::Steady kSteady{std::chrono::hours(1)};

TEST(ClockStep, FirstObservationIsOnlyAReference) {
  ClockStepDetector d;
  EXPECT_EQ(d.observe(kWall, kSteady), 0ms);
}

TEST(ClockStep, ClocksMovingTogetherAreNoStep) {
  ClockStepDetector d(1s);
  d.observe(kWall, kSteady);
  EXPECT_EQ(d.observe(kWall + 5s, kSteady + 5s), 0ms);
  EXPECT_EQ(d.observe(kWall + 5s + 1500ms, kSteady + 6s), 0ms);  // 500 ms of drift: within tolerance
}

TEST(ClockStep, BackwardStepIsNegative) {
  ClockStepDetector d(1s);
  d.observe(kWall, kSteady);
  EXPECT_EQ(d.observe(kWall - 2h + 1s, kSteady + 1s), -2h);
  // The next observation compares with the new timeline: no second report.
  EXPECT_EQ(d.observe(kWall - 2h + 2s, kSteady + 2s), 0ms);
}

TEST(ClockStep, ForwardStepIsPositive) {
  ClockStepDetector d(1s);
  d.observe(kWall, kSteady);
  EXPECT_EQ(d.observe(kWall + 2h + 1s, kSteady + 1s), 2h);
}

TEST(ClockStep, StepsJustBeyondTheToleranceAreReported) {
  ClockStepDetector d(1s);
  d.observe(kWall, kSteady);
  EXPECT_EQ(d.observe(kWall + 1s, kSteady + 1s + 1001ms), -1001ms);
}

}  // namespace
}  // namespace hookd
