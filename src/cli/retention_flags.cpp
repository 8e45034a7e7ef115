#include "cli/retention_flags.hpp"

#include <fmt/format.h>

#include "core/retry.hpp"

namespace hookd::cli {
namespace {

Result<std::optional<Millis>> parse_period(std::string_view flag, const std::string& text) {
  if (text == "off" || text == "0") return std::optional<Millis>();
  auto d = parse_duration(text);
  if (!d) return invalid(std::string(flag), fmt::format("{}: {}", flag, d.error().detail));
  if (d->count() <= 0) return invalid(std::string(flag), fmt::format("{} must be positive or off", flag));
  return std::optional<Millis>(*d);
}

}  // namespace

void add_retention_options(CLI::App& cmd, RetentionFlags& flags) {
  cmd.add_option(
         "--retention-payload", flags.payload,
         "Clear message payloads older than this (shown as {}; metadata and attempts stay); off: keep")
      ->capture_default_str();
  cmd.add_option("--retention-attempts", flags.attempts,
                 "Delete attempts (with request and response bodies) older than this; off: keep")
      ->capture_default_str();
  cmd.add_option("--retention-interval", flags.interval, "How often the retention pass runs")
      ->capture_default_str();
  cmd.add_option("--retention-batch", flags.batch,
                 "Rows of each kind removed per transaction (small: cleanup never holds the store long)")
      ->capture_default_str();
}

Result<delivery::RetentionOptions> parse_retention_flags(const RetentionFlags& flags) {
  delivery::RetentionOptions options;
  auto payload = parse_period("--retention-payload", flags.payload);
  if (!payload) return std::unexpected(payload.error());
  auto attempts = parse_period("--retention-attempts", flags.attempts);
  if (!attempts) return std::unexpected(attempts.error());
  auto interval = parse_duration(flags.interval);
  if (!interval || interval->count() <= 0)
    return invalid("--retention-interval", "--retention-interval must be a positive duration");
  options.policy.payload = *payload;
  options.policy.attempts = *attempts;
  options.interval = *interval;
  if (flags.batch < 1) return invalid("--retention-batch", "--retention-batch must be at least 1");
  options.batch_limit = flags.batch;
  return options;
}

std::string render_retention_metrics(const delivery::RetentionTotals& totals) {
  return fmt::format(
      "# TYPE hookd_retention_payloads_cleared_total counter\n"
      "hookd_retention_payloads_cleared_total {}\n"
      "# TYPE hookd_retention_attempts_deleted_total counter\n"
      "hookd_retention_attempts_deleted_total {}\n"
      "# TYPE hookd_retention_idempotency_deleted_total counter\n"
      "hookd_retention_idempotency_deleted_total {}\n"
      "# TYPE hookd_retention_batches_total counter\n"
      "hookd_retention_batches_total {}\n",
      totals.payloads_cleared, totals.attempts_deleted, totals.idempotency_deleted, totals.batches);
}

}  // namespace hookd::cli
