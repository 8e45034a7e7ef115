#pragma once
// Time and randomness are injected wherever they matter, so schedules and ids are testable.
#include <chrono>
#include <cstdint>
#include <span>

namespace hookd {

using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Millis>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
};

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
  std::uint64_t next_u64();
  // Uniform in [0, 1).
  double next_unit();
};

// Cryptographically secure (OpenSSL RAND_bytes); thread-safe.
class SecureRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

inline std::int64_t to_millis(TimePoint t) {
  return t.time_since_epoch().count();
}
inline TimePoint from_millis(std::int64_t ms) {
  return TimePoint(Millis(ms));
}

}  // namespace hookd
