#pragma once
// The request and response headers an attempt record keeps, as one JSON object text.
#include <string>
#include <utility>
#include <vector>

namespace hookd::delivery {

// {"name":"value",...} in the headers' order; a repeated name appears once, at its first place, with its
// last value (what a JSON object built from the list keeps).
std::string headers_json(const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace hookd::delivery
