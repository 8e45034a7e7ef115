// Core domain logic: ids, filters, the retry schedule, time formats. Clock and randomness are injected.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/filter.hpp"
#include "core/ids.hpp"
#include "core/retry.hpp"
#include "core/time_format.hpp"

namespace hookd {
namespace {

using namespace std::chrono_literals;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : now_(t) {}
  TimePoint now() const override { return now_; }
  void advance(Millis d) { now_ += d; }

 private:
  TimePoint now_;
};

// Returns the same byte pattern again and again: makes jitter and ids deterministic.
class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::uint8_t value) : value_(value) {}
  void fill(std::span<std::uint8_t> out) override { std::ranges::fill(out, value_); }
  std::uint8_t value_;
};

const TimePoint kT0 = from_millis(1'700'000'000'000);

// `n` message ids, `per_second` of them in each second.
std::vector<std::string> message_ids(IdGenerator& ids, FixedClock& clock, int n, int per_second) {
  std::vector<std::string> made;
  for (int i = 0; i < n; ++i) {
    made.push_back(ids.next(id_prefix::message));
    if (i % per_second == per_second - 1) clock.advance(1s);
  }
  return made;
}

TEST(Ids, HavePrefixAnd27Base62Characters) {
  FixedClock clock(kT0);
  SecureRandom random;
  IdGenerator ids(clock, random);
  for (auto prefix : {id_prefix::application, id_prefix::endpoint, id_prefix::message, id_prefix::attempt}) {
    std::string id = ids.next(prefix);
    ASSERT_TRUE(id.starts_with(prefix)) << id;
    EXPECT_EQ(id.size(), prefix.size() + kKsuidChars);
    EXPECT_TRUE(looks_like_id(id, prefix));
    EXPECT_FALSE(looks_like_id(id, "nope_"));
  }
  EXPECT_FALSE(looks_like_id("msg_short", id_prefix::message));
  EXPECT_FALSE(looks_like_id("msg_" + std::string(27, '!'), id_prefix::message));
}

TEST(Ids, SortByCreationTimeAcrossAndWithinSeconds) {
  FixedClock clock(kT0);
  SecureRandom random;
  IdGenerator ids(clock, random);
  auto made = message_ids(ids, clock, 3000, 1000);  // many ids in one second, then the next second
  EXPECT_TRUE(std::ranges::is_sorted(made));
  EXPECT_EQ(std::set<std::string>(made.begin(), made.end()).size(), made.size());
  TimePoint decoded{};
  ASSERT_TRUE(parse_id_time(made.back(), id_prefix::message, decoded));
  EXPECT_EQ(decoded, kT0 + 2s);
  EXPECT_LT(id_floor_for_time(id_prefix::message, kT0 + 1s), made[1000]);
  EXPECT_GT(id_floor_for_time(id_prefix::message, kT0 + 1s), made[999]);
}

// A RandomSource that counts its calls and hands out a running byte sequence, so that every byte given
// out is distinct from the last 255.
class CountingRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    ++calls;
    for (auto& b : out) b = next++;
  }
  int calls = 0;
  std::uint8_t next = 1;
};

// Ids draw their random bytes from a pool filled in bulk: one RandomSource call (RAND_bytes: thousands of
// instructions and a system call) serves many ids, and no byte is handed out twice.
TEST(Ids, DrawTheirRandomBytesInBulk) {
  FixedClock clock(kT0);
  CountingRandom random;
  IdGenerator ids(clock, random);
  auto made = message_ids(ids, clock, 300, 50);  // 6 seconds: 6 ids of 16 random bytes, 294 steps of 4
  EXPECT_LE(random.calls, 4) << "one call per pool, not one per id";
  EXPECT_GE(random.calls, 2);
  EXPECT_TRUE(std::ranges::is_sorted(made));
  EXPECT_EQ(std::set<std::string>(made.begin(), made.end()).size(), made.size());
  // The first id of each second takes 16 fresh bytes; consecutive seconds' first ids therefore differ in
  // their random part, not only in their time.
  std::array<std::uint8_t, 20> first{}, second{};
  ASSERT_TRUE(base62_decode_20(std::string_view(made[0]).substr(id_prefix::message.size()), first));
  ASSERT_TRUE(base62_decode_20(std::string_view(made[50]).substr(id_prefix::message.size()), second));
  EXPECT_FALSE(std::equal(first.begin() + 5, first.end(), second.begin() + 5));
}

TEST(Ids, Base62RoundTrips) {
  std::array<std::uint8_t, 20> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 13 + 7);
  std::array<std::uint8_t, 20> back{};
  ASSERT_TRUE(base62_decode_20(base62_encode_20(bytes), back));
  EXPECT_EQ(back, bytes);
  std::array<std::uint8_t, 20> max{};
  max.fill(0xff);
  EXPECT_EQ(base62_encode_20(max), "aWgEPTl1tmebfsQzFP4bxwgy80V");  // the largest KSUID
}

// The encoder divides 32-bit limbs; the textbook byte-by-byte long division is the reference.
TEST(Ids, Base62MatchesByteByByteDivision) {
  auto reference = [](std::array<std::uint8_t, 20> num) {
    const std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out(kKsuidChars, '0');
    for (std::size_t pos = kKsuidChars; pos-- > 0;) {
      std::uint32_t rem = 0;
      for (auto& b : num) {
        const std::uint32_t acc = rem << 8 | b;
        b = static_cast<std::uint8_t>(acc / 62);
        rem = acc % 62;
      }
      out[pos] = alphabet[rem];
    }
    return out;
  };
  SecureRandom random;
  for (int i = 0; i < 2000; ++i) {
    std::array<std::uint8_t, 20> bytes{};
    random.fill(bytes);
    if (i % 4 == 1) std::fill(bytes.begin(), bytes.begin() + 10, 0);  // small numbers: leading zero limbs
    if (i % 4 == 2) std::fill(bytes.begin() + 10, bytes.end(), 0xff);
    ASSERT_EQ(base62_encode_20(bytes), reference(bytes)) << i;
  }
  EXPECT_EQ(base62_encode_20({}), std::string(kKsuidChars, '0'));
}

TEST(Filter, ExactNamesAndWildcards) {
  EXPECT_TRUE(event_type_matches("booking.created", "booking.created"));
  EXPECT_FALSE(event_type_matches("booking.created", "booking.cancelled"));
  EXPECT_TRUE(event_type_matches("booking.*", "booking.created"));
  EXPECT_TRUE(event_type_matches("booking.*", "booking.contract.refund.full"));  // any depth below
  EXPECT_FALSE(event_type_matches("booking.*", "booking"));
  EXPECT_FALSE(event_type_matches("booking.*", "bookings.created"));
  EXPECT_FALSE(event_type_matches("booking.*", "payment.completed"));
  EXPECT_TRUE(event_type_matches("account.task.*", "account.task.tax_id.complete"));
  EXPECT_FALSE(event_type_matches("account.task.*", "account.updated"));
  EXPECT_TRUE(event_type_matches("*", "channel-manager.update.rate"));
  EXPECT_TRUE(event_filter_matches(std::nullopt, "anything"));
  std::optional<std::vector<std::string>> filter = std::vector<std::string>{"payment.*", "order.shipped"};
  EXPECT_TRUE(event_filter_matches(filter, "payment.refunded"));
  EXPECT_TRUE(event_filter_matches(filter, "order.shipped"));
  EXPECT_FALSE(event_filter_matches(filter, "order.created"));
}

TEST(Filter, PatternsAndNamesAreValidated) {
  EXPECT_TRUE(is_valid_name("managing_entity.url_name.updated"));
  EXPECT_TRUE(is_valid_name("channel-manager.update.rate"));
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("has space"));
  EXPECT_FALSE(is_valid_name(std::string(257, 'a')));
  EXPECT_TRUE(is_valid_event_pattern("booking.*"));
  EXPECT_TRUE(is_valid_event_pattern("*"));
  EXPECT_FALSE(is_valid_event_pattern("book*"));
  EXPECT_FALSE(is_valid_event_pattern(".*"));
}

TEST(Filter, ChannelsAndDisabledEndpoints) {
  Endpoint e;
  Message m;
  m.event_type = "booking.created";
  EXPECT_TRUE(endpoint_wants(e, m));
  e.channels = std::vector<std::string>{"eu", "vip"};
  EXPECT_FALSE(endpoint_wants(e, m));  // an endpoint with channels needs a message sharing one
  m.channels = std::vector<std::string>{"us"};
  EXPECT_FALSE(endpoint_wants(e, m));
  m.channels = std::vector<std::string>{"us", "vip"};
  EXPECT_TRUE(endpoint_wants(e, m));
  e.disabled = true;
  EXPECT_FALSE(endpoint_wants(e, m));
}

TEST(Retry, DefaultScheduleGivesEightAttempts) {
  auto s = RetrySchedule::standard();
  EXPECT_EQ(s.max_attempts(), 8u);
  ScriptedRandom middle(0x80);  // next_unit() == 0.5...: jitter factor close to 1
  std::vector<Millis> expected{5s, 5min, 30min, 2h, 5h, 10h, 10h};
  for (int failed = 1; failed <= 7; ++failed) {
    auto d = next_retry_delay(s, failed, std::nullopt, middle);
    ASSERT_TRUE(d) << failed;
    auto want = expected[static_cast<std::size_t>(failed - 1)];
    EXPECT_NEAR(static_cast<double>(d->count()), static_cast<double>(want.count()), want.count() * 0.001);
  }
  EXPECT_FALSE(next_retry_delay(s, 8, std::nullopt, middle));  // exhausted after the 8th attempt
  EXPECT_FALSE(next_retry_delay(s, 0, std::nullopt, middle));
}

TEST(Retry, JitterStaysWithinTwentyPercent) {
  auto s = RetrySchedule::standard();
  ScriptedRandom low(0x00), high(0xff);
  EXPECT_EQ(*next_retry_delay(s, 2, std::nullopt, low), Millis(240'000));  // 5 min - 20 %
  auto top = *next_retry_delay(s, 2, std::nullopt, high);
  EXPECT_GT(top, Millis(359'000));
  EXPECT_LE(top, Millis(360'000));  // 5 min + 20 %
}

TEST(Retry, RetryAfterIsHonouredWithinBaseAndTwiceBase) {
  auto s = RetrySchedule::standard();
  ScriptedRandom r(0x80);
  EXPECT_EQ(*next_retry_delay(s, 1, Millis(7000), r), Millis(7000));
  EXPECT_EQ(*next_retry_delay(s, 1, Millis(1000), r), Millis(5000));       // not sooner than the schedule
  EXPECT_EQ(*next_retry_delay(s, 1, Millis(999'000), r), Millis(10'000));  // at most twice the base
}

TEST(Retry, NextAttemptTimeFollowsTheInjectedClock) {
  FixedClock clock(kT0);
  ScriptedRandom r(0x00);
  auto s = *RetrySchedule::parse("1s,1m");
  auto first = clock.now() + *next_retry_delay(s, 1, std::nullopt, r);
  EXPECT_EQ(first, kT0 + 800ms);
  clock.advance(800ms);
  auto second = clock.now() + *next_retry_delay(s, 2, std::nullopt, r);
  EXPECT_EQ(second, kT0 + 800ms + 48s);
}

TEST(Retry, ParsesSchedulesAndDurations) {
  auto s = RetrySchedule::parse("500ms,5s,5m,2h");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->delays, (std::vector<Millis>{500ms, 5s, 5min, 2h}));
  EXPECT_TRUE(RetrySchedule::parse("")->delays.empty());
  EXPECT_FALSE(RetrySchedule::parse("5"));
  EXPECT_FALSE(RetrySchedule::parse("5s,,5s"));
  EXPECT_FALSE(RetrySchedule::parse("-5s"));
  EXPECT_FALSE(parse_duration("5y"));
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
}

TEST(TimeFormat, Rfc3339RoundTripsAndAcceptsOffsets) {
  EXPECT_EQ(format_rfc3339(kT0), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(format_rfc3339(kT0, false), "2023-11-14T22:13:20Z");
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20Z"), kT0);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.250Z"), kT0 + 250ms);
  EXPECT_EQ(parse_rfc3339("2023-11-15T00:13:20+02:00"), kT0);
  EXPECT_FALSE(parse_rfc3339("2023-11-14"));
  EXPECT_FALSE(parse_rfc3339("2023-13-14T22:13:20Z"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20"));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
}

}  // namespace
}  // namespace hookd
