#pragma once
// An unordered_map with std::string keys that is looked up by std::string_view, so a lookup copies no
// string (heterogeneous lookup: the hash and the equality accept both).
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hookd {

struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

template <class V>
using StringKeyedMap = std::unordered_map<std::string, V, StringViewHash, std::equal_to<>>;

}  // namespace hookd
