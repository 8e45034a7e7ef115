#include "core/filter.hpp"

#include <algorithm>

namespace hookd {

bool event_type_matches(std::string_view pattern, std::string_view event_type) {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) {
    auto prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot: "booking."
    return event_type.size() > prefix.size() && event_type.starts_with(prefix);
  }
  return pattern == event_type;
}

bool event_filter_matches(const std::optional<std::vector<std::string>>& filter,
                          std::string_view event_type) {
  if (!filter) return true;
  return std::ranges::any_of(*filter,
                             [&](const std::string& p) { return event_type_matches(p, event_type); });
}

bool channels_match(const std::optional<std::vector<std::string>>& endpoint_channels,
                    const std::optional<std::vector<std::string>>& message_channels) {
  if (!endpoint_channels || endpoint_channels->empty()) return true;
  if (!message_channels) return false;
  return std::ranges::any_of(*message_channels, [&](const std::string& c) {
    return std::ranges::find(*endpoint_channels, c) != endpoint_channels->end();
  });
}

bool endpoint_wants(const Endpoint& endpoint, const Message& message) {
  return !endpoint.disabled && event_filter_matches(endpoint.event_types, message.event_type) &&
         channels_match(endpoint.channels, message.channels);
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool is_valid_event_pattern(std::string_view pattern) {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*"))
    return pattern.size() > 2 && is_valid_name(pattern.substr(0, pattern.size() - 2));
  return is_valid_name(pattern);
}

}  // namespace hookd
