#pragma once
// `hookd serve` flags for retention (--retention-payload, --retention-attempts, --retention-interval) and
// the metrics of the retention worker.
#include <CLI/CLI.hpp>
#include <string>

#include "core/result.hpp"
#include "delivery/retention_worker.hpp"

namespace hookd::cli {

struct RetentionFlags {
  std::string payload = "90d";  // Svix's default payload retention
  std::string attempts = "90d";
  std::string interval = "1m";
  int batch = 500;  // rows of each kind per transaction
};

void add_retention_options(CLI::App& cmd, RetentionFlags& flags);
// "off" (or "0") keeps that kind of data forever.
Result<delivery::RetentionOptions> parse_retention_flags(const RetentionFlags& flags);
std::string render_retention_metrics(const delivery::RetentionTotals& totals);

}  // namespace hookd::cli
