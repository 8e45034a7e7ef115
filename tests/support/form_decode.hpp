#pragma once
// A decoder of application/x-www-form-urlencoded bodies written from the WHATWG parser, for the form
// encoder's unit tests and fuzzer: split on '&' (empty sequences skipped), then on the first '='; '+' is a
// space, %XX is a byte. Independent of the encoder it checks (src/delivery/form_encoder.cpp).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::test_support {

using FormPairs = std::vector<std::pair<std::string, std::string>>;

inline int form_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

inline std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && form_hex(s[i + 1]) >= 0 && form_hex(s[i + 2]) >= 0) {
      out += static_cast<char>(form_hex(s[i + 1]) * 16 + form_hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline FormPairs form_decode(std::string_view body) {
  FormPairs pairs;
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view part = body.substr(0, amp);
    if (!part.empty()) {
      const std::size_t eq = part.find('=');
      pairs.emplace_back(percent_decode(part.substr(0, eq)),
                         eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return pairs;
}

}  // namespace hookd::test_support
