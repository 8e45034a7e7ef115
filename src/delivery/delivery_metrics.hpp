#pragma once
// Delivery counters and the attempt-latency histogram, rendered in Prometheus text format.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "core/clock.hpp"
#include "core/model.hpp"

namespace hookd::delivery {

class DeliveryMetrics {
 public:
  void record_attempt(bool success, ErrorClass error, Millis duration);
  void record_given_up() { given_up_.fetch_add(1, std::memory_order_relaxed); }
  void record_endpoint_disabled() { endpoints_disabled_.fetch_add(1, std::memory_order_relaxed); }
  // Deliveries sent, by how the dispatcher got them: claimed from the queue, or handed over as written.
  void record_started(std::size_t count, bool handed) {
    (handed ? started_handed_ : started_claimed_).fetch_add(count, std::memory_order_relaxed);
  }
  std::string render() const;
  std::uint64_t successes() const { return success_.load(); }

 private:
  static constexpr std::array<double, 12> kBucketsMs{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 15000};
  std::atomic<std::uint64_t> success_{0};
  std::array<std::atomic<std::uint64_t>, 9> failures_by_class_{};
  std::atomic<std::uint64_t> given_up_{0};
  std::atomic<std::uint64_t> endpoints_disabled_{0};
  std::atomic<std::uint64_t> started_claimed_{0};
  std::atomic<std::uint64_t> started_handed_{0};
  std::array<std::atomic<std::uint64_t>, kBucketsMs.size()> latency_buckets_{};
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_ms_{0};
};

}  // namespace hookd::delivery
