#pragma once
// Prefixed, time-sortable ids: prefix + 27-char base62 KSUID (4 bytes of seconds since the KSUID epoch,
// 16 bytes of payload). Within one second the payload increases, so ids from one generator sort in
// creation order and list pagination by id is stable.
#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace hookd {

namespace id_prefix {
inline constexpr std::string_view application = "app_";
inline constexpr std::string_view endpoint = "ep_";
inline constexpr std::string_view message = "msg_";
inline constexpr std::string_view attempt = "atmpt_";
inline constexpr std::string_view task = "qtask_";
inline constexpr std::string_view event = "evt_";
}  // namespace id_prefix

inline constexpr std::size_t kKsuidChars = 27;

class IdGenerator {
 public:
  IdGenerator(const Clock& clock, RandomSource& random) : clock_(clock), random_(random) {}
  std::string next(std::string_view prefix);

 private:
  // Random bytes drawn ahead, one RandomSource call per kPoolBytes: a RAND_bytes call costs about 7,500
  // instructions and a getpid system call (OpenSSL's fork check), and an id needs 4 or 16 bytes.
  void take_random(std::span<std::uint8_t> out);
  static constexpr std::size_t kPoolBytes = 512;

  const Clock& clock_;
  RandomSource& random_;
  std::mutex mutex_;  // guards last_ and the pool
  std::array<std::uint8_t, 20> last_{};
  std::array<std::uint8_t, kPoolBytes> pool_{};
  std::size_t pool_used_ = kPoolBytes;
};

// The smallest id of a given second: the lower bound for "created after t" queries on id columns.
std::string id_floor_for_time(std::string_view prefix, TimePoint t);
// Seconds-resolution creation time encoded in an id, if it is well formed.
bool parse_id_time(std::string_view id, std::string_view prefix, TimePoint& out);
bool looks_like_id(std::string_view value, std::string_view prefix);

std::string base62_encode_20(const std::array<std::uint8_t, 20>& bytes);
bool base62_decode_20(std::string_view text, std::array<std::uint8_t, 20>& out);

}  // namespace hookd
