#pragma once
// Queue gauges read from the store at each /metrics scrape (Prometheus text): the age of the oldest due
// pending delivery, and the per-endpoint failure state. Cardinality is bounded: only enabled endpoints in a
// failing streak get a series, at most `max_failing_endpoints` of them (the longest-failing), plus one
// gauge with the total.
#include <cstddef>
#include <string>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace hookd::delivery {

inline constexpr int kDefaultMaxFailingEndpointSeries = 50;

std::string render_queue_metrics(store::Store& store, TimePoint now,
                                 int max_failing_endpoints = kDefaultMaxFailingEndpointSeries);

}  // namespace hookd::delivery
