// The deterministic parts shared by the salon simulator: the seeded generator, the merged stream and the JSON
// text the demo sends.
#include "cli/demo_model.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <stdexcept>

#include "core/json_text.hpp"
#include "core/time_format.hpp"

namespace hookd::cli {
namespace json = boost::json;

void SeededRandom::fill(std::span<std::uint8_t> out) {
  std::size_t i = 0;
  while (i < out.size()) {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    // Little-endian byte order by construction, not by the host's memory layout.
    for (int b = 0; b < 8 && i < out.size(); ++b, ++i) out[i] = static_cast<std::uint8_t>(z >> (8 * b));
  }
}

namespace {

void write_json(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_int64());
      break;
    case json::kind::uint64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_uint64());
      break;
    case json::kind::double_:
      fmt::format_to(std::back_inserter(out), "{:.2f}", v.get_double());
      break;
    case json::kind::string:
      out += json_text::quote(v.get_string());
      break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(item, out);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json_text::quote(key);
        out += ':';
        write_json(item, out);
      }
      out += '}';
      break;
    }
  }
}

// Independent per-tenant seeds from one stream seed (a SplitMix64 step of seed + index).
std::uint64_t derive_seed(std::uint64_t seed, std::size_t index) {
  SeededRandom r(seed ^ (0x632be59bd9b4e019ULL * (index + 1)));
  return r.next_u64();
}

}  // namespace

std::string demo_json_text(const json::value& value) {
  std::string out;
  write_json(value, out);
  return out;
}

std::string event_request_body(const DemoEvent& event) {
  return "{\"type\":" + json_text::quote(event.type) + ",\"tenant_id\":" + json_text::quote(event.tenant_id) +
         ",\"data\":" + demo_json_text(event.data) + ",\"id\":" + json_text::quote(event.id) + "}";
}

std::string event_envelope(const DemoEvent& event) {
  return "{\"id\":" + json_text::quote(event.id) + ",\"type\":" + json_text::quote(event.type) +
         ",\"created\":" + json_text::quote(format_rfc3339(event.at, false)) +
         ",\"tenant_id\":" + json_text::quote(event.tenant_id) + ",\"data\":" + demo_json_text(event.data) +
         "}";
}

DemoStream::DemoStream(DemoStreamOptions options)
    : options_(std::move(options)), random_(options_.seed), now_(options_.start) {
  if (options_.tenants.empty()) throw std::invalid_argument("DemoStream needs at least one tenant");
  if (!(options_.rate > 0)) throw std::invalid_argument("DemoStream needs a positive rate");
  for (std::size_t i = 0; i < options_.tenants.size(); ++i) {
    salons_.emplace_back(options_.tenants[i], derive_seed(options_.seed, i));
  }
}

DemoEvent DemoStream::next() {
  // Exponential gap: -ln(1 - u) / rate seconds, kept in whole milliseconds so timestamps stay exact.
  const double gap_s = -std::log1p(-random_.next_unit()) / options_.rate;
  now_ += Millis(static_cast<std::int64_t>(std::llround(gap_s * 1000.0)));
  auto& salon = salons_[random_.below(salons_.size())];
  return salon.next(now_);
}

}  // namespace hookd::cli
