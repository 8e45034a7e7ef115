#include "api/ingest_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hookd::api {

std::string_view IngestMetrics::outcome_of(int status) {
  switch (status) {
    case 202:
      return "accepted";
    case 200:  // the native route answers a repeated event id with the first message
    case 409:
      return "duplicate";
    case 400:
    case 413:
    case 415:
    case 422:
      return "invalid";
    case 401:
    case 403:
      return "unauthorized";
    case 404:
      return "not_found";
    case 429:
      return "throttled";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "error" : "other";
  }
}

bool IngestMetrics::is_ingest_request(std::string_view method, std::string_view path) {
  if (method != "POST") return false;
  if (path.ends_with('/')) path.remove_suffix(1);
  if (path == "/api/v1/events") return true;
  // /api/v1/app/{app}/msg
  constexpr std::string_view kPrefix = "/api/v1/app/";
  if (!path.starts_with(kPrefix) || !path.ends_with("/msg")) return false;
  std::string_view app = path.substr(kPrefix.size(), path.size() - kPrefix.size() - 4);
  return !app.empty() && app.find('/') == std::string_view::npos;
}

void IngestMetrics::record(int status) {
  auto outcome = outcome_of(status);
  auto i =
      static_cast<std::size_t>(std::find(kOutcomes.begin(), kOutcomes.end(), outcome) - kOutcomes.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
}

std::string IngestMetrics::render() const {
  std::string out;
  out += "# HELP hookd_ingest_requests_total Message-creating requests by outcome.\n";
  out += "# TYPE hookd_ingest_requests_total counter\n";
  for (std::size_t i = 0; i < kOutcomes.size(); ++i) {
    out += fmt::format("hookd_ingest_requests_total{{outcome=\"{}\"}} {}\n", kOutcomes[i],
                       counts_[i].load(std::memory_order_relaxed));
  }
  return out;
}

}  // namespace hookd::api
