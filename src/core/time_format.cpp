#include "core/time_format.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <array>
#include <charconv>

namespace hookd {

std::string format_rfc3339(TimePoint t, bool with_millis) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  const auto y = static_cast<int>(ymd.year());
  const auto mo = static_cast<unsigned>(ymd.month());
  const auto d = static_cast<unsigned>(ymd.day());
  // Compiled formats into a buffer on the stack: every message's create answer carries a timestamp, and two
  // runtime-parsed fmt::format calls (the date, then the date with its milliseconds) cost about 4,300
  // instructions a message.
  std::array<char, 64> buffer{};  // at most 27 characters (a year of year_month_day has at most 6)
  const auto written =
      with_millis ? fmt::format_to_n(buffer.data(), buffer.size(),
                                     FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z"), y, mo, d,
                                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                                     hms.subseconds().count())
                  : fmt::format_to_n(buffer.data(), buffer.size(),
                                     FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z"), y, mo, d,
                                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  return std::string(buffer.data(), written.out);
}

namespace {
bool read_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + digits, out);
  if (ec != std::errc{} || ptr != s.data() + digits) return false;
  s.remove_prefix(digits);
  return true;
}
bool expect(std::string_view& s, char c) {
  if (s.empty() || (s.front() != c && !(c == 'T' && (s.front() == 't' || s.front() == ' ')))) return false;
  s.remove_prefix(1);
  return true;
}
}  // namespace

std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!read_int(s, 4, y) || !expect(s, '-') || !read_int(s, 2, mo) || !expect(s, '-') || !read_int(s, 2, d) ||
      !expect(s, 'T') || !read_int(s, 2, h) || !expect(s, ':') || !read_int(s, 2, mi) || !expect(s, ':') ||
      !read_int(s, 2, sec)) {
    return std::nullopt;
  }
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::int64_t millis = 0;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    int scale = 100, count = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      millis += (s.front() - '0') * scale;
      scale /= 10;
      s.remove_prefix(1);
      ++count;
    }
    if (count == 0) return std::nullopt;
  }
  int offset_minutes = 0;
  if (s == "Z" || s == "z") {
    s.remove_prefix(1);
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh, om;
    if (!read_int(s, 2, oh) || !expect(s, ':') || !read_int(s, 2, om)) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (!s.empty()) return std::nullopt;
  auto tp =
      sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + milliseconds(millis) - minutes(offset_minutes);
  return time_point_cast<Millis>(tp);
}

}  // namespace hookd
