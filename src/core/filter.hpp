#pragma once
// Which endpoints get a message: event-type filters (exact names and `prefix.*` wildcards) and channels.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"

namespace hookd {

// `pattern` is an exact event type name, `*`, or `prefix.*` (matches every type below `prefix.`).
bool event_type_matches(std::string_view pattern, std::string_view event_type);

// nullopt filter: every type.
bool event_filter_matches(const std::optional<std::vector<std::string>>& filter, std::string_view event_type);

// An endpoint with channels receives only messages that share at least one of them.
bool channels_match(const std::optional<std::vector<std::string>>& endpoint_channels,
                    const std::optional<std::vector<std::string>>& message_channels);

// Fan-out rule: enabled, type filter and channels.
bool endpoint_wants(const Endpoint& endpoint, const Message& message);

// Names and channels: letters, digits, '.', '_', '-', 1..256 chars. Patterns may also end in ".*" or be "*".
bool is_valid_name(std::string_view name);
bool is_valid_event_pattern(std::string_view pattern);

}  // namespace hookd
