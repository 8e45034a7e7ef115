#include "delivery/queue_metrics.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace hookd::delivery {
namespace {

// Label values are ids (base62 after a prefix), but escape anyway: a label must never break the format.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

double seconds_between(TimePoint from, TimePoint to) {
  return std::max<double>(0.0, static_cast<double>(to_millis(to) - to_millis(from)) / 1000.0);
}

}  // namespace

std::string render_queue_metrics(store::Store& store, TimePoint now, int max_failing_endpoints) {
  std::string out;
  if (auto due = store.oldest_pending_due()) {
    // Not yet due (a retry scheduled later) counts as 0: nothing is waiting past its time.
    double age = *due ? seconds_between(**due, now) : 0.0;
    out += "# HELP hookd_oldest_pending_age_seconds Seconds since the oldest pending delivery became due.\n";
    out += "# TYPE hookd_oldest_pending_age_seconds gauge\n";
    out += fmt::format("hookd_oldest_pending_age_seconds {:.3f}\n", age);
  } else {
    spdlog::warn("metrics: oldest pending delivery not read: {}", due.error().detail);
  }
  if (auto failing = store.failing_endpoints(max_failing_endpoints)) {
    out += "# HELP hookd_endpoints_failing Enabled endpoints whose last attempt failed.\n";
    out += "# TYPE hookd_endpoints_failing gauge\n";
    out += fmt::format("hookd_endpoints_failing {}\n", failing->total);
    out += fmt::format(
        "# HELP hookd_endpoint_failing_seconds Seconds since the first failure of a failing endpoint's "
        "streak (the {} longest-failing endpoints only).\n",
        max_failing_endpoints);
    out += "# TYPE hookd_endpoint_failing_seconds gauge\n";
    for (const auto& e : failing->oldest) {
      out += fmt::format("hookd_endpoint_failing_seconds{{app=\"{}\",endpoint=\"{}\"}} {:.3f}\n",
                         label_value(e.app_id), label_value(e.endpoint_id),
                         seconds_between(e.failing_since, now));
    }
  } else {
    spdlog::warn("metrics: failing endpoints not read: {}", failing.error().detail);
  }
  return out;
}

}  // namespace hookd::delivery
