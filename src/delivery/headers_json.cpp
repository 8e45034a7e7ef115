#include "delivery/headers_json.hpp"

#include <array>
#include <boost/json/serializer.hpp>
#include <string_view>

namespace hookd::delivery {

// Written straight into the text, with Boost.JSON's serializer escaping each string: building a
// boost::json::object and serializing it cost two allocations a header and 18,000 instructions a delivery
// (two header lists an attempt).
std::string headers_json(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out = "{";
  boost::json::serializer serializer;
  std::array<char, 256> buffer{};
  auto append_quoted = [&](std::string_view text) {
    serializer.reset(boost::json::string_view(text.data(), text.size()));
    while (!serializer.done()) {
      auto piece = serializer.read(buffer.data(), buffer.size());
      out.append(piece.data(), piece.size());
    }
  };
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string& name = headers[i].first;
    bool repeated = false;
    for (std::size_t j = 0; j < i && !repeated; ++j) repeated = headers[j].first == name;
    if (repeated) continue;
    const std::string* value = &headers[i].second;
    for (std::size_t j = i + 1; j < headers.size(); ++j)
      if (headers[j].first == name) value = &headers[j].second;
    if (out.size() > 1) out += ',';
    append_quoted(name);
    out += ':';
    append_quoted(*value);
  }
  out += '}';
  return out;
}

}  // namespace hookd::delivery
