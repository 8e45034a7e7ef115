#include "catalog/json_formats.hpp"

#include <cctype>
#include <string>

namespace hookd::catalog {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Reads exactly `n` digits at s[pos..] as a number; nullopt if any is not a digit.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool is_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63 || host[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const char c = host[i];
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    if (label == 0 && c == '-') return false;
    ++label;
  }
  return true;
}

}  // namespace

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const auto year = digits(s, 0, 4);
  const auto month = digits(s, 5, 2);
  const auto day = digits(s, 8, 2);
  if (!year || !month || !day || *month < 1 || *month > 12) return false;
  return *day >= 1 && *day <= days_in_month(*year, *month);
}

bool is_time(std::string_view s) {
  if (s.size() < 9 || s[2] != ':' || s[5] != ':') return false;
  const auto hour = digits(s, 0, 2);
  const auto minute = digits(s, 3, 2);
  const auto second = digits(s, 6, 2);
  // 60 admits a leap second; the offset rules below do not try to place it at the end of a UTC day.
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) return false;
  std::size_t pos = 8;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;  // RFC 3339 requires an offset
  const char zone = s[pos];
  if (zone == 'Z' || zone == 'z') return pos + 1 == s.size();
  if (zone != '+' && zone != '-') return false;
  if (s.size() != pos + 6 || s[pos + 3] != ':') return false;
  const auto off_hour = digits(s, pos + 1, 2);
  const auto off_minute = digits(s, pos + 4, 2);
  return off_hour && off_minute && *off_hour <= 23 && *off_minute <= 59;
}

bool is_date_time(std::string_view s) {
  if (s.size() < 11 || (s[10] != 'T' && s[10] != 't')) return false;
  return is_date(s.substr(0, 10)) && is_time(s.substr(11));
}

bool is_email(std::string_view s) {
  const auto at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  const std::string_view local = s.substr(0, at);
  static constexpr std::string_view kAtext = "!#$%&'*+-/=?^_`{|}~";
  if (local.front() == '.' || local.back() == '.') return false;
  for (std::size_t i = 0; i < local.size(); ++i) {
    const char c = local[i];
    if (c == '.') {
      if (local[i + 1] == '.') return false;
      continue;
    }
    if (!is_alpha(c) && !is_digit(c) && kAtext.find(c) == std::string_view::npos) return false;
  }
  return is_hostname(s.substr(at + 1));
}

bool is_uri(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(s[0])) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = s[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  static constexpr std::string_view kAllowed = "-._~:/?#[]@!$&'()*+,;=";
  for (std::size_t i = colon + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return false;
      }
      i += 2;
      continue;
    }
    if (!is_alpha(c) && !is_digit(c) && kAllowed.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::optional<bool> check_format(std::string_view format, std::string_view s) {
  if (format == "date") return is_date(s);
  if (format == "time") return is_time(s);
  if (format == "date-time") return is_date_time(s);
  if (format == "email") return is_email(s);
  if (format == "uri") return is_uri(s);
  return std::nullopt;
}

}  // namespace hookd::catalog
