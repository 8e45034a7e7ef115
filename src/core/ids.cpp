#include "core/ids.hpp"

#include <algorithm>
#include <cstring>

namespace hookd {
namespace {

constexpr std::int64_t kKsuidEpoch = 1400000000;
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

void put_seconds(std::array<std::uint8_t, 20>& bytes, TimePoint t) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() - kKsuidEpoch;
  auto v = static_cast<std::uint32_t>(std::max<std::int64_t>(secs, 0));
  for (int i = 3; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
}

// Adds `delta` to the 16-byte big-endian payload; returns false on overflow.
bool add_to_payload(std::array<std::uint8_t, 20>& bytes, std::uint32_t delta) {
  std::uint64_t carry = delta;
  for (std::size_t i = 19; i >= 4 && carry != 0; --i) {
    std::uint64_t sum = bytes[i] + (carry & 0xff);
    carry >>= 8;
    bytes[i] = static_cast<std::uint8_t>(sum & 0xff);
    carry += sum >> 8;
  }
  return carry == 0;
}

}  // namespace

std::string base62_encode_20(const std::array<std::uint8_t, 20>& bytes) {
  // Repeated division of the 160-bit big-endian number by 62, on five 32-bit limbs: a quarter of the
  // divisions of a byte-by-byte walk, which cost 7,000 instructions an id (one per message and attempt).
  std::array<std::uint32_t, 5> limbs{};
  for (std::size_t i = 0; i < bytes.size(); ++i) limbs[i / 4] = limbs[i / 4] << 8 | bytes[i];
  std::string out(kKsuidChars, '0');
  for (std::size_t pos = kKsuidChars; pos-- > 0;) {
    std::uint64_t rem = 0;
    for (auto& limb : limbs) {
      const std::uint64_t acc = rem << 32 | limb;  // rem < 62, so the quotient fits 32 bits
      limb = static_cast<std::uint32_t>(acc / 62);
      rem = acc % 62;
    }
    out[pos] = kAlphabet[rem];
  }
  return out;
}

bool base62_decode_20(std::string_view text, std::array<std::uint8_t, 20>& out) {
  if (text.size() != kKsuidChars) return false;
  out.fill(0);
  for (char c : text) {
    int d = digit_value(c);
    if (d < 0) return false;
    std::uint32_t carry = static_cast<std::uint32_t>(d);
    for (std::size_t i = 20; i-- > 0;) {
      std::uint32_t acc = out[i] * 62u + carry;
      out[i] = static_cast<std::uint8_t>(acc & 0xff);
      carry = acc >> 8;
    }
    if (carry != 0) return false;
  }
  return true;
}

std::string IdGenerator::next(std::string_view prefix) {
  std::array<std::uint8_t, 20> bytes{};
  put_seconds(bytes, clock_.now());
  std::lock_guard lock(mutex_);
  bool same_second = std::equal(bytes.begin(), bytes.begin() + 4, last_.begin());
  if (same_second) {
    // Monotonic within a second: previous payload plus a random step.
    bytes = last_;
    std::array<std::uint8_t, 4> step{};
    take_random(step);
    std::uint32_t delta = 1 + ((static_cast<std::uint32_t>(step[0]) << 8 | step[1]) & 0xffff);
    if (!add_to_payload(bytes, delta)) {
      take_random(std::span(bytes).subspan(4));
    }
  } else {
    take_random(std::span(bytes).subspan(4));
    bytes[4] &= 0x7f;  // leave headroom so increments within the second never overflow
  }
  last_ = bytes;
  std::string id(prefix);
  id += base62_encode_20(bytes);
  return id;
}

void IdGenerator::take_random(std::span<std::uint8_t> out) {
  if (kPoolBytes - pool_used_ < out.size()) {
    random_.fill(pool_);
    pool_used_ = 0;
  }
  std::memcpy(out.data(), pool_.data() + pool_used_, out.size());
  pool_used_ += out.size();
}

std::string id_floor_for_time(std::string_view prefix, TimePoint t) {
  std::array<std::uint8_t, 20> bytes{};
  put_seconds(bytes, t);
  std::string id(prefix);
  id += base62_encode_20(bytes);
  return id;
}

bool looks_like_id(std::string_view value, std::string_view prefix) {
  if (!value.starts_with(prefix)) return false;
  std::array<std::uint8_t, 20> bytes{};
  return base62_decode_20(value.substr(prefix.size()), bytes);
}

bool parse_id_time(std::string_view id, std::string_view prefix, TimePoint& out) {
  if (!id.starts_with(prefix)) return false;
  std::array<std::uint8_t, 20> bytes{};
  if (!base62_decode_20(id.substr(prefix.size()), bytes)) return false;
  std::int64_t secs = (std::int64_t{bytes[0]} << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
  out = TimePoint(std::chrono::duration_cast<Millis>(std::chrono::seconds(secs + kKsuidEpoch)));
  return true;
}

}  // namespace hookd
