#pragma once
// What happens after an attempt: success, a retry at a time, or giving up; and whether the endpoint must be
// disabled (410 Gone, or failing for too long). One small pure function.
#include <optional>

#include "core/retry.hpp"
#include "store/store.hpp"

namespace hookd::delivery {

struct AttemptResult {
  bool success = false;
  int status = 0;
  std::optional<Millis> retry_after;
};

struct DecisionInput {
  const Delivery& delivery;
  const Endpoint& endpoint;
  AttemptResult result;
  TimePoint now;
  const RetrySchedule& schedule;
  Millis disable_after;  // an endpoint failing for this long is disabled
};

struct Decision {
  DeliveryStatus next_status = DeliveryStatus::failed;
  std::optional<TimePoint> next_attempt_at;
  bool disable_endpoint = false;
};

Decision decide(const DecisionInput& input, RandomSource& random);

}  // namespace hookd::delivery
