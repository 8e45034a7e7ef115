#pragma once
// Ingest counters by outcome (Prometheus text), counted from the answer to each message-creating request
// (POST /api/v1/app/{app}/msg and POST /api/v1/events), so every way a request can end is counted once.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace hookd::api {

class IngestMetrics {
 public:
  // The outcome label of an ingest answer's HTTP status.
  static std::string_view outcome_of(int status);
  static bool is_ingest_request(std::string_view method, std::string_view path);

  void record(int status);
  std::string render() const;

 private:
  static constexpr std::array<std::string_view, 9> kOutcomes{"accepted",     "duplicate", "invalid",
                                                             "unauthorized", "not_found", "throttled",
                                                             "unavailable",  "error",     "other"};
  std::array<std::atomic<std::uint64_t>, kOutcomes.size()> counts_{};
};

}  // namespace hookd::api
