#include "delivery/attempt_redaction.hpp"

namespace hookd::delivery {

std::string redact_form_auth_secret(std::string_view body) {
  constexpr std::string_view kField = "auth_secret=";
  std::size_t at = 0;
  while (true) {
    at = body.find(kField, at);
    if (at == std::string_view::npos) return std::string(body);
    if (at == 0 || body[at - 1] == '&') break;  // a field name, not part of another field's value
    at += kField.size();
  }
  const std::size_t value = at + kField.size();
  const std::size_t end = std::min(body.find('&', value), body.size());
  std::string out(body.substr(0, value));
  out += kRedacted;
  out += body.substr(end);
  return out;
}

}  // namespace hookd::delivery
