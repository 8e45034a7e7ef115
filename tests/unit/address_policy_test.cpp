#include "core/address_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace hookd {
namespace {

AddressClass classify_text(std::string_view text) {
  auto address = parse_ip_literal(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address ? classify_ipv6(*address) : AddressClass::reserved;
}

TEST(AddressPolicyClassify, Ipv4EveryClass) {
  const std::vector<std::pair<std::string, AddressClass>> cases = {
      {"8.8.8.8", AddressClass::public_address},
      {"1.1.1.1", AddressClass::public_address},
      {"127.0.0.1", AddressClass::loopback},
      {"127.255.255.254", AddressClass::loopback},
      {"10.0.0.1", AddressClass::private_network},
      {"172.16.0.1", AddressClass::private_network},
      {"172.31.255.255", AddressClass::private_network},
      {"172.32.0.1", AddressClass::public_address},
      {"192.168.1.1", AddressClass::private_network},
      {"169.254.1.1", AddressClass::link_local},
      {"169.254.169.254", AddressClass::metadata},
      {"169.254.170.2", AddressClass::metadata},
      {"224.0.0.1", AddressClass::multicast},
      {"239.255.255.250", AddressClass::multicast},
      {"0.0.0.0", AddressClass::unspecified},
      {"0.1.2.3", AddressClass::unspecified},
      {"100.64.0.1", AddressClass::cgnat},
      {"100.127.255.255", AddressClass::cgnat},
      {"100.128.0.1", AddressClass::public_address},
      {"255.255.255.255", AddressClass::reserved},
      {"240.0.0.1", AddressClass::reserved},
      {"192.0.2.1", AddressClass::reserved},
      {"198.51.100.1", AddressClass::reserved},
      {"203.0.113.1", AddressClass::reserved},
      {"198.18.0.1", AddressClass::reserved},
      {"192.0.0.8", AddressClass::reserved},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(classify_text(text), expected) << text << " got " << to_string(classify_text(text));
  }
}

TEST(AddressPolicyClassify, Ipv6EveryClass) {
  const std::vector<std::pair<std::string, AddressClass>> cases = {
      {"2606:4700:4700::1111", AddressClass::public_address},
      {"::1", AddressClass::loopback},
      {"::", AddressClass::unspecified},
      {"fc00::1", AddressClass::private_network},
      {"fd12:3456::1", AddressClass::private_network},
      {"fec0::1", AddressClass::private_network},
      {"fe80::1", AddressClass::link_local},
      {"fe80::1%eth0", AddressClass::link_local},
      {"febf::1", AddressClass::link_local},
      {"ff02::1", AddressClass::multicast},
      {"fd00:ec2::254", AddressClass::metadata},
      {"2001:db8::1", AddressClass::reserved},
      {"100::1", AddressClass::reserved},
      {"4000::1", AddressClass::reserved},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(classify_text(text), expected) << text << " got " << to_string(classify_text(text));
  }
}

TEST(AddressPolicyClassify, EmbeddedIpv4FormsOfBlockedAddresses) {
  const std::vector<std::pair<std::string, AddressClass>> cases = {
      {"::ffff:127.0.0.1", AddressClass::loopback},  // IPv4-mapped
      {"::ffff:7f00:1", AddressClass::loopback},     // mapped, hex spelling
      {"::ffff:169.254.169.254", AddressClass::metadata},
      {"::ffff:10.1.2.3", AddressClass::private_network},
      {"::127.0.0.1", AddressClass::loopback},  // IPv4-compatible
      {"::10.0.0.1", AddressClass::private_network},
      {"64:ff9b::127.0.0.1", AddressClass::loopback},  // NAT64 well-known prefix
      {"64:ff9b::a9fe:a9fe", AddressClass::metadata},
      {"64:ff9b::192.168.0.1", AddressClass::private_network},
      {"64:ff9b:1::100.64.0.1", AddressClass::cgnat},  // NAT64 local-use prefix
      {"64:ff9b:1:abcd::10.0.0.1", AddressClass::private_network},
      {"2002:7f00:1::", AddressClass::loopback},  // 6to4 of 127.0.0.1
      {"2002:a9fe:a9fe::1", AddressClass::metadata},
      {"2001:0:4136:e378:8000:63bf:80ff:fffe", AddressClass::loopback},  // Teredo client ~80ff:fffe
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(classify_text(text), expected) << text << " got " << to_string(classify_text(text));
  }
  // Public IPv4 in the same forms stays public.
  EXPECT_EQ(classify_text("::ffff:8.8.8.8"), AddressClass::public_address);
  EXPECT_EQ(classify_text("64:ff9b::8.8.8.8"), AddressClass::public_address);
}

TEST(AddressPolicyParse, LiteralsAndRejects) {
  EXPECT_TRUE(parse_ip_literal("[::1]"));
  EXPECT_TRUE(parse_ip_literal("1:2:3:4:5:6:7:8"));
  EXPECT_TRUE(parse_ip_literal("1:2:3:4:5:6:1.2.3.4"));
  EXPECT_FALSE(parse_ip_literal("[127.0.0.1]"));
  EXPECT_FALSE(parse_ip_literal("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(parse_ip_literal("1::2::3"));
  EXPECT_FALSE(parse_ip_literal("12345::"));
  EXPECT_FALSE(parse_ip_literal("256.0.0.1"));
  EXPECT_FALSE(parse_ip_literal("1.2.3"));
  EXPECT_FALSE(parse_ip_literal("01.2.3.4"));
  EXPECT_FALSE(parse_ip_literal("example.com"));
  EXPECT_FALSE(parse_ip_literal(""));
  EXPECT_EQ(format_ip(*parse_ip_literal("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
  EXPECT_EQ(format_ip(*parse_ip_literal("::ffff:10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(format_ip(*parse_ip_literal("fe80::")), "fe80::");
  EXPECT_EQ(format_ip(*parse_ip_literal("::")), "::");
}

TEST(AddressPolicyCidr, ParseAndContains) {
  auto ten = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(ten);
  EXPECT_TRUE(ten->contains(*parse_ip_literal("10.200.3.4")));
  EXPECT_FALSE(ten->contains(*parse_ip_literal("11.0.0.1")));
  auto host_bits = Cidr::parse("192.168.7.9/24");
  ASSERT_TRUE(host_bits);
  EXPECT_TRUE(host_bits->contains(*parse_ip_literal("192.168.7.200")));
  EXPECT_FALSE(host_bits->contains(*parse_ip_literal("192.168.8.1")));
  auto single = Cidr::parse("127.0.0.1");
  ASSERT_TRUE(single);
  EXPECT_TRUE(single->contains(*parse_ip_literal("127.0.0.1")));
  EXPECT_FALSE(single->contains(*parse_ip_literal("127.0.0.2")));
  auto ula = Cidr::parse("fd00::/8");
  ASSERT_TRUE(ula);
  EXPECT_TRUE(ula->contains(*parse_ip_literal("fd12::1")));
  EXPECT_FALSE(ula->contains(*parse_ip_literal("fc00::1")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::parse("::/129"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/x"));
  EXPECT_FALSE(Cidr::parse("nonsense/8"));
}

TEST(AddressPolicyPermits, DefaultFlagAndAllowList) {
  AddressPolicy strict;
  EXPECT_TRUE(strict.permits_text("93.184.216.34"));
  EXPECT_TRUE(strict.permits_text("2606:4700::1"));
  for (const char* blocked : {"127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fd00:ec2::254",
                              "::ffff:127.0.0.1", "64:ff9b::10.0.0.1", "0.0.0.0", "100.64.1.1", "ff02::1"}) {
    EXPECT_FALSE(strict.permits_text(blocked)) << blocked;
  }
  EXPECT_FALSE(strict.permits_text("not-an-ip"));

  AddressPolicy open;
  open.allow_private = true;
  EXPECT_TRUE(open.permits_text("127.0.0.1"));
  EXPECT_TRUE(open.permits_text("169.254.169.254"));

  AddressPolicy listed;
  listed.allow_list.push_back(*Cidr::parse("10.1.0.0/16"));
  listed.allow_list.push_back(*Cidr::parse("::1"));
  EXPECT_TRUE(listed.permits_text("10.1.2.3"));
  EXPECT_TRUE(listed.permits_text("::ffff:10.1.2.3"));  // the same address, mapped
  EXPECT_TRUE(listed.permits_text("::1"));
  EXPECT_FALSE(listed.permits_text("10.2.0.1"));
  EXPECT_FALSE(listed.permits_text("127.0.0.1"));
}

TEST(AddressPolicyLiteralHost, RefusesBlockedLiteralsWithReason) {
  AddressPolicy strict;
  auto reason = refused_literal_host(strict, "127.0.0.1");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("loopback"), std::string::npos) << *reason;
  reason = refused_literal_host(strict, "[fd00:ec2::254]");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("metadata"), std::string::npos) << *reason;
  // Legacy numeric spellings that resolvers turn into 127.0.0.1 / 169.254.169.254.
  for (const char* host : {"2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "127.0.0.1.",
                           "2852039166", "[::ffff:7f00:1]", "localhost", "api.LOCALHOST"}) {
    EXPECT_TRUE(refused_literal_host(strict, host)) << host;
  }
  // Names and public literals are left to the connect-time check.
  EXPECT_FALSE(refused_literal_host(strict, "example.com"));
  EXPECT_FALSE(refused_literal_host(strict, "8.8.8.8"));
  EXPECT_FALSE(refused_literal_host(strict, "[2606:4700::1]"));
  EXPECT_FALSE(refused_literal_host(strict, "1e100.net"));

  AddressPolicy open;
  open.allow_private = true;
  EXPECT_FALSE(refused_literal_host(open, "127.0.0.1"));
  EXPECT_FALSE(refused_literal_host(open, "localhost"));
}

}  // namespace
}  // namespace hookd
