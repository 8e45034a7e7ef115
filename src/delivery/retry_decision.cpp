#include "delivery/retry_decision.hpp"

namespace hookd::delivery {

Decision decide(const DecisionInput& in, RandomSource& random) {
  Decision d;
  if (in.result.success) {
    d.next_status = DeliveryStatus::succeeded;
    return d;
  }
  if (in.result.status == 410) {  // Gone: the receiver asks us to stop
    d.disable_endpoint = true;
    return d;
  }
  if (in.endpoint.failing_since && in.now - *in.endpoint.failing_since >= in.disable_after) {
    d.disable_endpoint = true;
  }
  if (in.delivery.manual || d.disable_endpoint) return d;  // resends are one attempt
  auto delay = next_retry_delay(in.schedule, in.delivery.attempt_count + 1, in.result.retry_after, random);
  if (!delay) return d;  // schedule exhausted
  d.next_status = DeliveryStatus::pending;
  d.next_attempt_at = in.now + *delay;
  return d;
}

}  // namespace hookd::delivery
