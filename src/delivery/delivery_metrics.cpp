#include "delivery/delivery_metrics.hpp"

#include <fmt/format.h>

namespace hookd::delivery {

void DeliveryMetrics::record_attempt(bool success, ErrorClass error, Millis duration) {
  if (success)
    success_.fetch_add(1, std::memory_order_relaxed);
  else
    failures_by_class_[static_cast<std::size_t>(error)].fetch_add(1, std::memory_order_relaxed);
  auto ms = static_cast<double>(duration.count());
  for (std::size_t i = 0; i < kBucketsMs.size(); ++i)
    if (ms <= kBucketsMs[i]) latency_buckets_[i].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_ms_.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
}

std::string DeliveryMetrics::render() const {
  std::string out;
  out += "# HELP hookd_delivery_attempts_total Delivery attempts by outcome.\n";
  out += "# TYPE hookd_delivery_attempts_total counter\n";
  out += fmt::format("hookd_delivery_attempts_total{{outcome=\"success\"}} {}\n", success_.load());
  for (std::size_t i = 1; i < failures_by_class_.size(); ++i) {
    out += fmt::format("hookd_delivery_attempts_total{{outcome=\"fail\",error=\"{}\"}} {}\n",
                       to_string(static_cast<ErrorClass>(i)), failures_by_class_[i].load());
  }
  out += "# TYPE hookd_deliveries_given_up_total counter\n";
  out += fmt::format("hookd_deliveries_given_up_total {}\n", given_up_.load());
  out += "# TYPE hookd_endpoints_disabled_total counter\n";
  out += fmt::format("hookd_endpoints_disabled_total {}\n", endpoints_disabled_.load());
  out += "# HELP hookd_deliveries_started_total Deliveries sent, by how the dispatcher got them.\n";
  out += "# TYPE hookd_deliveries_started_total counter\n";
  out += fmt::format("hookd_deliveries_started_total{{source=\"claim\"}} {}\n", started_claimed_.load());
  out += fmt::format("hookd_deliveries_started_total{{source=\"handoff\"}} {}\n", started_handed_.load());
  out += "# HELP hookd_attempt_duration_seconds Time from request start to the end of the response.\n";
  out += "# TYPE hookd_attempt_duration_seconds histogram\n";
  for (std::size_t i = 0; i < kBucketsMs.size(); ++i) {
    out += fmt::format("hookd_attempt_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBucketsMs[i] / 1000.0,
                       latency_buckets_[i].load());
  }
  out += fmt::format("hookd_attempt_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", latency_count_.load());
  out += fmt::format("hookd_attempt_duration_seconds_sum {}\n",
                     static_cast<double>(latency_sum_ms_.load()) / 1000.0);
  out += fmt::format("hookd_attempt_duration_seconds_count {}\n", latency_count_.load());
  return out;
}

}  // namespace hookd::delivery
