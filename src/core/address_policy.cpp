#include "core/address_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hookd {
namespace {

struct Range4 {
  Ipv4Bytes network;
  int prefix;
  AddressClass cls;
};

// Order matters: the first match wins, so single addresses come before the ranges that hold them.
constexpr std::array<Range4, 18> kIpv4Ranges{{
    {{169, 254, 169, 254}, 32, AddressClass::metadata},  // AWS, GCP, Azure, OpenStack
    {{169, 254, 170, 2}, 32, AddressClass::metadata},    // AWS ECS task metadata
    {{255, 255, 255, 255}, 32, AddressClass::reserved},  // limited broadcast
    {{0, 0, 0, 0}, 8, AddressClass::unspecified},  // "this network"; Linux connects 0.0.0.0 to localhost
    {{10, 0, 0, 0}, 8, AddressClass::private_network},
    {{100, 64, 0, 0}, 10, AddressClass::cgnat},
    {{127, 0, 0, 0}, 8, AddressClass::loopback},
    {{169, 254, 0, 0}, 16, AddressClass::link_local},
    {{172, 16, 0, 0}, 12, AddressClass::private_network},
    {{192, 0, 0, 0}, 24, AddressClass::reserved},    // IETF protocol assignments
    {{192, 0, 2, 0}, 24, AddressClass::reserved},    // TEST-NET-1
    {{192, 88, 99, 0}, 24, AddressClass::reserved},  // 6to4 relay anycast (deprecated)
    {{192, 168, 0, 0}, 16, AddressClass::private_network},
    {{198, 18, 0, 0}, 15, AddressClass::reserved},    // benchmarking
    {{198, 51, 100, 0}, 24, AddressClass::reserved},  // TEST-NET-2
    {{203, 0, 113, 0}, 24, AddressClass::reserved},   // TEST-NET-3
    {{224, 0, 0, 0}, 4, AddressClass::multicast},
    {{240, 0, 0, 0}, 4, AddressClass::reserved},  // future use
}};

template <std::size_t N>
bool prefix_matches(const std::array<std::uint8_t, N>& address, const std::array<std::uint8_t, N>& network,
                    int prefix) {
  for (int bit = 0; bit < prefix; ++bit) {
    const int byte = bit / 8;
    const int mask = 0x80 >> (bit % 8);
    if ((address[byte] & mask) != (network[byte] & mask)) return false;
  }
  return true;
}

Ipv6Bytes v6(std::initializer_list<std::uint16_t> groups) {
  Ipv6Bytes out{};
  std::size_t i = 0;
  for (auto g : groups) {
    out[i++] = static_cast<std::uint8_t>(g >> 8);
    out[i++] = static_cast<std::uint8_t>(g & 0xff);
  }
  return out;
}

bool in6(const Ipv6Bytes& address, const Ipv6Bytes& network, int prefix) {
  return prefix_matches(address, network, prefix);
}

Ipv4Bytes last_four(const Ipv6Bytes& a) {
  return {a[12], a[13], a[14], a[15]};
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Strict dotted quad: four decimal parts 0..255, no leading zeros (which some resolvers read as octal).
std::optional<Ipv4Bytes> parse_dotted_quad(std::string_view text) {
  Ipv4Bytes out{};
  for (int i = 0; i < 4; ++i) {
    const auto dot = text.find('.');
    const std::string_view part = (i < 3) ? text.substr(0, dot) : text;
    if (i < 3 && dot == std::string_view::npos) return std::nullopt;
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc{} || end != part.data() + part.size() || value > 255) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(value);
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return out;
}

std::optional<std::vector<std::uint16_t>> parse_groups(std::string_view text, bool allow_trailing_ipv4) {
  std::vector<std::uint16_t> groups;
  if (text.empty()) return groups;
  while (true) {
    const auto colon = text.find(':');
    const std::string_view part = text.substr(0, colon);
    if (colon == std::string_view::npos && allow_trailing_ipv4 && part.find('.') != std::string_view::npos) {
      auto v4 = parse_dotted_quad(part);
      if (!v4) return std::nullopt;
      groups.push_back(static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
      groups.push_back(static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
      return groups;
    }
    if (part.empty() || part.size() > 4 || !std::all_of(part.begin(), part.end(), is_hex))
      return std::nullopt;
    unsigned value = 0;
    std::from_chars(part.data(), part.data() + part.size(), value, 16);
    groups.push_back(static_cast<std::uint16_t>(value));
    if (colon == std::string_view::npos) return groups;
    text.remove_prefix(colon + 1);
  }
}

std::optional<Ipv6Bytes> parse_ipv6(std::string_view text) {
  std::vector<std::uint16_t> groups;
  const auto gap = text.find("::");
  if (gap == std::string_view::npos) {
    auto all = parse_groups(text, true);
    if (!all || all->size() != 8) return std::nullopt;
    groups = std::move(*all);
  } else {
    if (text.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    auto head = parse_groups(text.substr(0, gap), false);
    auto tail = parse_groups(text.substr(gap + 2), true);
    if (!head || !tail || head->size() + tail->size() > 7) return std::nullopt;
    groups = std::move(*head);
    groups.resize(8 - tail->size(), 0);
    groups.insert(groups.end(), tail->begin(), tail->end());
  }
  Ipv6Bytes out{};
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xff);
  }
  return out;
}

// The forms inet_aton() and URL parsers accept: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x),
// the last part filling the remaining bytes. Only used to refuse, never to connect.
std::optional<Ipv4Bytes> parse_legacy_ipv4(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  std::vector<std::uint64_t> parts;
  while (true) {
    const auto dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    if (part.empty() || parts.size() == 4) return std::nullopt;
    int base = 10;
    if (part.size() > 1 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
      base = 16;
      part.remove_prefix(2);
      if (part.empty()) part = "0";  // "0x" alone reads as zero
    } else if (part.size() > 1 && part[0] == '0') {
      base = 8;
      part.remove_prefix(1);
    }
    if (part.size() > 16) return std::nullopt;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value, base);
    if (ec != std::errc{} || end != part.data() + part.size()) return std::nullopt;
    parts.push_back(value);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  const std::size_t leading = parts.size() - 1;
  for (std::size_t i = 0; i < leading; ++i)
    if (parts[i] > 255) return std::nullopt;
  const int last_bytes = static_cast<int>(4 - leading);
  if (parts.back() >> (8 * last_bytes) != 0) return std::nullopt;
  Ipv4Bytes out{};
  for (std::size_t i = 0; i < leading; ++i) out[i] = static_cast<std::uint8_t>(parts[i]);
  for (int i = 0; i < last_bytes; ++i)
    out[3 - i] = static_cast<std::uint8_t>((parts.back() >> (8 * i)) & 0xff);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view to_string(AddressClass c) {
  switch (c) {
    case AddressClass::public_address:
      return "public";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::private_network:
      return "private";
    case AddressClass::link_local:
      return "link-local";
    case AddressClass::multicast:
      return "multicast";
    case AddressClass::unspecified:
      return "unspecified";
    case AddressClass::cgnat:
      return "carrier-grade NAT";
    case AddressClass::metadata:
      return "cloud metadata";
    case AddressClass::reserved:
      return "reserved";
  }
  return "reserved";
}

AddressClass classify_ipv4(Ipv4Bytes address) {
  for (const auto& range : kIpv4Ranges)
    if (prefix_matches(address, range.network, range.prefix)) return range.cls;
  return AddressClass::public_address;
}

Ipv6Bytes ipv4_mapped(Ipv4Bytes address) {
  Ipv6Bytes out{};
  out[10] = out[11] = 0xff;
  std::copy(address.begin(), address.end(), out.begin() + 12);
  return out;
}

AddressClass classify_ipv6(Ipv6Bytes a) {
  static const Ipv6Bytes kUnspecified{};
  static const Ipv6Bytes kLoopback = v6({0, 0, 0, 0, 0, 0, 0, 1});
  static const Ipv6Bytes kMetadata = v6({0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254});
  if (a == kUnspecified) return AddressClass::unspecified;
  if (a == kLoopback) return AddressClass::loopback;
  if (a == kMetadata) return AddressClass::metadata;
  // Forms that carry an IPv4 address: the kernel or a translator may connect to that IPv4.
  if (in6(a, v6({0, 0, 0, 0, 0, 0xffff, 0, 0}), 96)) return classify_ipv4(last_four(a));  // mapped
  if (in6(a, kUnspecified, 96)) return classify_ipv4(last_four(a));                       // compatible
  if (in6(a, v6({0x64, 0xff9b, 0, 0, 0, 0, 0, 0}), 96)) return classify_ipv4(last_four(a));
  if (in6(a, v6({0x64, 0xff9b, 1, 0, 0, 0, 0, 0}), 48)) return classify_ipv4(last_four(a));
  if (in6(a, v6({0x2002, 0, 0, 0, 0, 0, 0, 0}), 16)) return classify_ipv4({a[2], a[3], a[4], a[5]});  // 6to4
  if (in6(a, v6({0x2001, 0, 0, 0, 0, 0, 0, 0}), 32)) {  // Teredo: client address stored inverted
    return classify_ipv4({static_cast<std::uint8_t>(~a[12]), static_cast<std::uint8_t>(~a[13]),
                          static_cast<std::uint8_t>(~a[14]), static_cast<std::uint8_t>(~a[15])});
  }
  if (in6(a, v6({0xff00, 0, 0, 0, 0, 0, 0, 0}), 8)) return AddressClass::multicast;
  if (in6(a, v6({0xfe80, 0, 0, 0, 0, 0, 0, 0}), 10)) return AddressClass::link_local;
  if (in6(a, v6({0xfec0, 0, 0, 0, 0, 0, 0, 0}), 10)) return AddressClass::private_network;  // site-local
  if (in6(a, v6({0xfc00, 0, 0, 0, 0, 0, 0, 0}), 7)) return AddressClass::private_network;   // ULA
  if (in6(a, v6({0x2001, 0x0db8, 0, 0, 0, 0, 0, 0}), 32)) return AddressClass::reserved;    // documentation
  if (in6(a, v6({0x3fff, 0, 0, 0, 0, 0, 0, 0}), 20)) return AddressClass::reserved;         // documentation
  if (in6(a, v6({0x2001, 0x0002, 0, 0, 0, 0, 0, 0}), 48)) return AddressClass::reserved;    // benchmarking
  if (in6(a, v6({0x2001, 0x0010, 0, 0, 0, 0, 0, 0}), 28)) return AddressClass::reserved;    // ORCHID
  if (in6(a, v6({0x2001, 0x0020, 0, 0, 0, 0, 0, 0}), 28)) return AddressClass::reserved;    // ORCHIDv2
  // Only 2000::/3 is allocated as global unicast; the rest (discard-only 100::/64 included) is not a target.
  if (!in6(a, v6({0x2000, 0, 0, 0, 0, 0, 0, 0}), 3)) return AddressClass::reserved;
  return AddressClass::public_address;
}

std::optional<Ipv6Bytes> parse_ip_literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.find(':') == std::string_view::npos) return std::nullopt;  // brackets hold IPv6 only
  }
  if (text.find(':') == std::string_view::npos) {
    auto v4 = parse_dotted_quad(text);
    if (!v4) return std::nullopt;
    return ipv4_mapped(*v4);
  }
  if (const auto zone = text.find('%'); zone != std::string_view::npos) text = text.substr(0, zone);
  return parse_ipv6(text);
}

std::string format_ip(const Ipv6Bytes& a) {
  if (in6(a, v6({0, 0, 0, 0, 0, 0xffff, 0, 0}), 96))
    return fmt::format("{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (a[2 * i] << 8) | a[2 * i + 1];
  // RFC 5952: compress the longest run (first on ties) of two or more zero groups.
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) best_start = i, best_len = j - i;
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    out += fmt::format("{:x}", g[i]);
  }
  return out;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const bool is_v4 = address_text.find(':') == std::string_view::npos;
  auto address = parse_ip_literal(address_text);
  if (!address) return invalid("cidr", fmt::format("'{}' is not an IP address or CIDR range", text));
  const int max_prefix = is_v4 ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || prefix < 0 || prefix > max_prefix) {
      return invalid("cidr", fmt::format("'{}': prefix length must be 0..{}", text, max_prefix));
    }
  }
  Cidr cidr;
  cidr.prefix_length = is_v4 ? prefix + 96 : prefix;
  // Host bits are cleared, so "10.1.2.3/8" means 10.0.0.0/8.
  for (int bit = cidr.prefix_length; bit < 128; ++bit)
    (*address)[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  cidr.network = *address;
  return cidr;
}

bool Cidr::contains(const Ipv6Bytes& address) const {
  return in6(address, network, prefix_length);
}

bool AddressPolicy::permits(const Ipv6Bytes& address) const {
  if (allow_private) return true;
  if (classify_ipv6(address) == AddressClass::public_address) return true;
  return std::any_of(allow_list.begin(), allow_list.end(),
                     [&](const Cidr& c) { return c.contains(address); });
}

bool AddressPolicy::permits_text(std::string_view ip_literal) const {
  auto address = parse_ip_literal(ip_literal);
  return address && permits(*address);
}

std::optional<std::string> refused_literal_host(const AddressPolicy& policy, std::string_view host) {
  std::optional<Ipv6Bytes> address = parse_ip_literal(host);
  if (!address && host.find(':') == std::string_view::npos) {
    if (auto legacy = parse_legacy_ipv4(host)) address = ipv4_mapped(*legacy);
  }
  if (!address) {
    const std::string name = lower(host);
    const bool is_localhost = name == "localhost" || name == "localhost." || name.ends_with(".localhost") ||
                              name.ends_with(".localhost.");
    if (!is_localhost) return std::nullopt;
    if (policy.allow_private) return std::nullopt;
    const Ipv6Bytes loopback = ipv4_mapped({127, 0, 0, 1});
    if (policy.permits(loopback)) return std::nullopt;
    return fmt::format("'{}' is a loopback name; loopback targets are not allowed", host);
  }
  if (policy.permits(*address)) return std::nullopt;
  return fmt::format("target address {} is {}; such targets are not allowed", format_ip(*address),
                     to_string(classify_ipv6(*address)));
}

}  // namespace hookd
