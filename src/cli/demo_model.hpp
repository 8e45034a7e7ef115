#pragma once
// The model behind `hookd demo`: salons on the booking platform (documents 000/001) whose customers register,
// book, pay, cancel, do not show, complete visits and order products. Pure and deterministic: no I/O, no
// clock; the same seed and start time give the same stream, byte for byte. Every event follows from the
// salon's state, so sequences are causally consistent (no payment for an unknown booking, nothing after a
// booking ends, refunds only of payments made, `changes.old` is the previous value).
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace hookd::cli {

// SplitMix64: a tiny seeded generator whose output is the same on every platform (std distributions are not).
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  void fill(std::span<std::uint8_t> out) override;
  // Uniform in [0, n); n > 0. The modulo bias is below 2^-40 for the small n used here.
  std::uint64_t below(std::uint64_t n) { return next_u64() % n; }

 private:
  std::uint64_t state_;
};

struct DemoEvent {
  std::string id;  // evt_…: hookd's idempotency key, so a re-sent event is not stored twice
  std::string type;
  std::string tenant_id;
  TimePoint at;  // simulated time the event happened (also its payload timestamps)
  boost::json::object data;
};

// JSON text in which every non-integer number is written with two decimals (25.00), as the documents write
// amounts; the model only uses doubles for amounts in euros.
std::string demo_json_text(const boost::json::value& value);
// The body of POST /api/v1/events: {"type","tenant_id","data","id"}.
std::string event_request_body(const DemoEvent& event);
// The envelope receivers get, {"id","type","created","tenant_id","data"}, with created = the simulated time.
std::string event_envelope(const DemoEvent& event);

// One salon (tenant) and everything that happens in it.
class SalonSimulator {
 public:
  SalonSimulator(std::string tenant_id, std::uint64_t seed);
  ~SalonSimulator();
  SalonSimulator(SalonSimulator&&) noexcept;
  SalonSimulator& operator=(SalonSimulator&&) noexcept;

  // The next thing that happens in this salon, at simulated time `at` (non-decreasing between calls).
  DemoEvent next(TimePoint at);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct DemoStreamOptions {
  std::vector<std::string> tenants;  // uids; at least one
  double rate = 5;                   // events per simulated second, all tenants together; > 0
  std::uint64_t seed = 0;
  TimePoint start;  // simulated time of the stream's start
};

// All tenants' events merged in time order: gaps between events are exponential with mean 1/rate (a Poisson
// process, so traffic looks bursty like real traffic), and each event comes from a tenant drawn at random.
class DemoStream {
 public:
  explicit DemoStream(DemoStreamOptions options);
  DemoEvent next();

 private:
  DemoStreamOptions options_;
  SeededRandom random_;
  std::vector<SalonSimulator> salons_;
  TimePoint now_;
};

}  // namespace hookd::cli
