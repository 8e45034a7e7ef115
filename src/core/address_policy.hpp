#pragma once
// Outbound address safety (SSRF): which IP addresses a webhook may be delivered to. Pure functions over
// address bytes; the HTTP client applies them to the address it actually connects to (so DNS rebinding
// cannot bypass them), and the API applies them to literal hosts when an endpoint is created.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace hookd {

using Ipv6Bytes = std::array<std::uint8_t, 16>;  // IPv4 addresses travel as IPv4-mapped (::ffff:a.b.c.d)
using Ipv4Bytes = std::array<std::uint8_t, 4>;

enum class AddressClass {
  public_address,
  loopback,
  private_network,  // RFC 1918, IPv6 ULA fc00::/7, deprecated site-local fec0::/10
  link_local,
  multicast,
  unspecified,  // 0.0.0.0/8, ::
  cgnat,        // 100.64.0.0/10
  metadata,     // cloud instance metadata: 169.254.169.254, 169.254.170.2, fd00:ec2::254
  reserved,     // broadcast, documentation, benchmarking, future use, anything outside 2000::/3
};

std::string_view to_string(AddressClass c);

AddressClass classify_ipv4(Ipv4Bytes address);
// IPv4 embedded in IPv6 (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48 with
// the address in the last 32 bits, 6to4 2002::/16, Teredo's client address) is classified as that IPv4.
AddressClass classify_ipv6(Ipv6Bytes address);

Ipv6Bytes ipv4_mapped(Ipv4Bytes address);

// A numeric IPv4 (dotted quad) or IPv6 literal, optionally in brackets; an IPv6 zone ("%eth0") is ignored.
std::optional<Ipv6Bytes> parse_ip_literal(std::string_view text);
std::string format_ip(const Ipv6Bytes& address);  // dotted quad for mapped IPv4, RFC 5952 text otherwise

struct Cidr {
  Ipv6Bytes network{};  // IPv4 networks are stored mapped, with prefix_length + 96
  int prefix_length = 128;

  // "10.0.0.0/8", "fd00::/8", or a single address ("192.0.2.7" = /32, "::1" = /128).
  static Result<Cidr> parse(std::string_view text);
  bool contains(const Ipv6Bytes& address) const;
};

struct AddressPolicy {
  // Operators' escape hatch (--allow-private-targets): permits every address, metadata included. Kept as
  // one simple switch; use allow_list for anything finer.
  bool allow_private = false;
  std::vector<Cidr> allow_list;  // addresses inside these are permitted whatever their class

  // True when a connection to this address is permitted: public, or allowed by the flag or the allow-list.
  bool permits(const Ipv6Bytes& ipv6_or_mapped) const;
  // False for anything that is not an IP literal.
  bool permits_text(std::string_view ip_literal) const;
};

// For URL validation at endpoint creation: if `host` is an IP literal that the policy refuses, the reason.
// Also recognises the legacy numeric IPv4 forms resolvers accept ("2130706433", "0x7f.1", "0177.0.0.1") and
// the names `localhost` / `*.localhost`, which always mean loopback (RFC 6761). Other names: nullopt, the
// connect-time check decides.
std::optional<std::string> refused_literal_host(const AddressPolicy& policy, std::string_view host);

}  // namespace hookd
