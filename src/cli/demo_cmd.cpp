// `hookd demo`: drives a running hookd like a salon booking platform would (catalog booking-platform), or
// prints the events (--dry-run). The events come from the deterministic model in demo_model.hpp; this file
// only paces them on the clock and sends them.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/commands.hpp"
#include "cli/demo_http.hpp"
#include "cli/demo_model.hpp"
#include "core/json_text.hpp"
#include "core/time_format.hpp"

namespace hookd::cli {
namespace {

struct DemoOptions {
  std::string url = "http://127.0.0.1:8071";
  std::string token;
  double rate = 5;
  double duration_s = 0;  // simulated seconds; 0 = until interrupted
  std::string tenants = "demo-salon";
  std::optional<std::uint64_t> seed;
  std::string start;  // RFC 3339; empty = now
  bool dry_run = false;
  bool fast = false;
};

// Consecutive transport failures after which the demo stops: hookd is gone, not just slow.
constexpr int kMaxConsecutiveFailures = 10;

// Set by SIGINT/SIGTERM so `--duration 0` ends with a summary instead of dying mid-request.
std::atomic<bool> g_stop{false};
extern "C" void request_stop(int) {
  g_stop.store(true);
}

std::vector<std::string> split_tenants(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto part = list.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

struct Tally {
  std::size_t events = 0;
  std::size_t accepted = 0;    // 202: stored
  std::size_t duplicates = 0;  // 200: the event id was already stored (same seed sent twice)
  std::size_t rejected = 0;    // any other status, e.g. 422 in strict validation mode
  std::size_t failed = 0;      // no answer
};

bool ensure_tenants(AdminHttpClient& http, const std::vector<std::string>& tenants) {
  for (const auto& uid : tenants) {
    const std::string body =
        "{\"name\":" + json_text::quote("Demo salon " + uid) + ",\"uid\":" + json_text::quote(uid) + "}";
    auto reply = http.post_json("/api/v1/app?get_if_exists=true", body);
    if (!reply) {
      fmt::print(stderr, "hookd demo: {}\n", reply.error().detail);
      return false;
    }
    if (reply->status != 200 && reply->status != 201) {
      fmt::print(stderr, "hookd demo: creating tenant {} failed: HTTP {} {}\n", uid, reply->status,
                 reply->body);
      return false;
    }
  }
  return true;
}

// Waits until `clock` reaches `at`, in short naps so a stop request is seen quickly.
void sleep_until(const Clock& clock, TimePoint at) {
  while (!g_stop.load()) {
    const auto left = at - clock.now();
    if (left <= Millis(0)) return;
    std::this_thread::sleep_for(std::min(left, Millis(100)));
  }
}

int run(const DemoOptions& o, const Clock& clock) {
  auto tenants = split_tenants(o.tenants);
  if (tenants.empty()) {
    fmt::print(stderr, "hookd demo: --tenants needs at least one tenant uid\n");
    return 2;
  }
  TimePoint start = std::chrono::floor<std::chrono::seconds>(clock.now());
  if (!o.start.empty()) {
    auto parsed = parse_rfc3339(o.start);
    if (!parsed) {
      fmt::print(stderr, "hookd demo: --start must be an RFC 3339 time, e.g. 2024-01-20T10:00:00Z\n");
      return 2;
    }
    start = *parsed;
  }
  std::uint64_t seed = 0;
  if (o.seed)
    seed = *o.seed;
  else
    seed = SecureRandom().next_u64() >> 11;  // short enough to retype
  fmt::print(stderr, "hookd demo: seed {}, start {}, {} event(s)/s for {}{}\n", seed,
             format_rfc3339(start, false), o.rate, o.tenants, o.dry_run ? " (dry run)" : " -> " + o.url);

  std::optional<AdminHttpClient> http;
  if (!o.dry_run) {
    http.emplace(o.url, o.token);
    if (!ensure_tenants(*http, tenants)) return 1;
  }

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  DemoStream stream({tenants, o.rate, seed, start});
  const TimePoint end = start + Millis(static_cast<std::int64_t>(o.duration_s * 1000));
  // Live pacing follows the wall clock from now, whatever --start says.
  const auto offset = clock.now() - start;
  Tally tally;
  int consecutive_failures = 0;
  while (!g_stop.load()) {
    DemoEvent event = stream.next();
    if (o.duration_s > 0 && event.at > end) break;
    if (!o.fast) sleep_until(clock, event.at + offset);
    if (g_stop.load()) break;
    ++tally.events;
    if (o.dry_run) {
      fmt::print("{}\n", event_envelope(event));
      std::fflush(stdout);
      continue;
    }
    auto reply = http->post_json("/api/v1/events", event_request_body(event));
    if (!reply) {
      ++tally.failed;
      fmt::print(stderr, "hookd demo: {} {}: {}\n", event.type, event.id, reply.error().detail);
      if (++consecutive_failures >= kMaxConsecutiveFailures) {
        fmt::print(stderr, "hookd demo: giving up after {} failures in a row\n", consecutive_failures);
        break;
      }
      continue;
    }
    consecutive_failures = 0;
    if (reply->status == 202) {
      ++tally.accepted;
    } else if (reply->status == 200) {
      ++tally.duplicates;
    } else {
      ++tally.rejected;
      fmt::print(stderr, "hookd demo: {} {} rejected: HTTP {} {}\n", event.type, event.id, reply->status,
                 reply->body.substr(0, 500));
    }
  }
  if (o.dry_run) {
    fmt::print(stderr, "hookd demo: {} events printed\n", tally.events);
    return 0;
  }
  fmt::print(stderr, "hookd demo: {} events: {} accepted, {} duplicates, {} rejected, {} failed\n",
             tally.events, tally.accepted, tally.duplicates, tally.rejected, tally.failed);
  return tally.rejected == 0 && tally.failed == 0 ? 0 : 1;
}

}  // namespace

Run add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Simulate a salon booking platform sending events to hookd");
  auto o = std::make_shared<DemoOptions>();
  cmd->add_option("--url", o->url, "hookd base URL")->capture_default_str();
  cmd->add_option("--token", o->token, "Admin API token")->envname("HOOKD_ADMIN_TOKEN");
  cmd->add_option("--rate", o->rate, "Events per second, all tenants together")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 10000.0));
  cmd->add_option("--duration", o->duration_s, "Seconds of simulated time; 0 = until interrupted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--tenants", o->tenants, "Comma-separated tenant uids (created when missing)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed,
                  "Random seed (default: random, printed); same seed and --start, same events");
  cmd->add_option("--start", o->start, "Simulated start time, RFC 3339 (default: now)");
  cmd->add_flag("--dry-run", o->dry_run, "Print the events as JSON lines instead of sending them");
  cmd->add_flag("--fast", o->fast, "Do not wait between events: run the simulated time as fast as possible");
  return [o]() -> int {
    SystemClock clock;
    return run(*o, clock);
  };
}

}  // namespace hookd::cli
