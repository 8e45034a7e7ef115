#include "core/model.hpp"

#include <array>
#include <utility>

namespace hookd {
namespace {
constexpr std::array<std::pair<ErrorClass, std::string_view>, 9> kErrorClassNames{{
    {ErrorClass::none, ""},
    {ErrorClass::timeout, "timeout"},
    {ErrorClass::connect, "connect"},
    {ErrorClass::dns, "dns"},
    {ErrorClass::tls, "tls"},
    {ErrorClass::http_status, "http_status"},
    {ErrorClass::blocked_target, "blocked_target"},
    {ErrorClass::verification_failed, "verification_failed"},
    {ErrorClass::other, "other"},
}};
}  // namespace

std::string_view to_string(ErrorClass c) {
  for (const auto& [k, name] : kErrorClassNames)
    if (k == c) return name;
  return "other";
}

std::optional<ErrorClass> error_class_from_string(std::string_view s) {
  for (const auto& [k, name] : kErrorClassNames)
    if (name == s) return k;
  return std::nullopt;
}

}  // namespace hookd
