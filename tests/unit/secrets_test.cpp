#include "core/secrets.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace hookd {
namespace {

// A deterministic source, so the generated secret's bytes are known.
class CountingRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 0;
};

constexpr std::string_view kEdSecret =
    "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
constexpr std::string_view kEdPublic = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";

std::string bytes_from(std::uint8_t first, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += static_cast<char>(first + i);
  return out;
}

TEST(Secrets, GeneratedSymmetricSecretHoldsTheRandomBytes) {
  CountingRandom random;
  const std::string secret = generate_symmetric_secret(random);
  ASSERT_TRUE(secret.starts_with("whsec_"));
  EXPECT_EQ(secret.size(), 6u + 32u);  // 24 bytes: 32 base64 characters, no padding
  EXPECT_EQ(base64_decode(std::string_view(secret).substr(6)), bytes_from(0, 24));
  EXPECT_EQ(symmetric_key_bytes(secret), bytes_from(0, 24));
  EXPECT_TRUE(is_valid_secret(secret));
  EXPECT_NE(generate_symmetric_secret(random), secret);  // the next 24 bytes
}

TEST(Secrets, GeneratedAsymmetricSecretIsConsistent) {
  auto secret = generate_asymmetric_secret();
  ASSERT_TRUE(secret) << secret.error().detail;
  EXPECT_TRUE(secret->starts_with("whsk_"));
  EXPECT_TRUE(is_valid_secret(*secret));
  auto other = generate_asymmetric_secret();
  ASSERT_TRUE(other);
  EXPECT_NE(*secret, *other);

  auto pair = asymmetric_key_pair(*secret);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->seed.size(), kEd25519KeyBytes);
  EXPECT_EQ(pair->public_key.size(), kEd25519KeyBytes);
  EXPECT_EQ(base64_decode(std::string_view(*secret).substr(5)), pair->seed + pair->public_key);
  auto public_key = public_key_of_secret(*secret);
  ASSERT_TRUE(public_key);
  EXPECT_EQ(public_key_bytes(*public_key), pair->public_key);
}

TEST(Secrets, StandardWebhooksPublicKeyVector) {
  auto public_key = public_key_of_secret(kEdSecret);
  ASSERT_TRUE(public_key) << public_key.error().detail;
  EXPECT_EQ(*public_key, kEdPublic);
  auto pair = asymmetric_key_pair(kEdSecret);
  ASSERT_TRUE(pair);
  EXPECT_EQ(base64_encode(pair->public_key), std::string(kEdPublic.substr(5)));
  EXPECT_EQ(public_key_bytes(kEdPublic), pair->public_key);
}

TEST(Secrets, SecretValidation) {
  EXPECT_TRUE(is_valid_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_TRUE(is_valid_secret(kEdSecret));
  EXPECT_TRUE(is_valid_secret("whsec_" + base64_encode(std::string(64, 'k'))));
  EXPECT_FALSE(is_valid_secret("whsec_" + base64_encode(std::string(23, 'k'))));  // too short
  EXPECT_FALSE(is_valid_secret("whsec_" + base64_encode(std::string(65, 'k'))));  // too long
  EXPECT_FALSE(is_valid_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w"));        // not base64
  EXPECT_FALSE(is_valid_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));              // no prefix
  EXPECT_FALSE(is_valid_secret(kEdPublic));                                       // public, cannot sign
  EXPECT_FALSE(is_valid_secret("whsk_" + base64_encode(std::string(63, 'k'))));   // wrong length
  // A whsk_ whose public half does not match its seed.
  std::string tampered(kEdSecret);
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(is_valid_secret(tampered));
  EXPECT_FALSE(asymmetric_key_pair(tampered));
  EXPECT_FALSE(public_key_of_secret(tampered));
  EXPECT_FALSE(public_key_of_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
}

TEST(Secrets, KeyDecodersTakeOnlyTheirOwnPrefix) {
  EXPECT_FALSE(symmetric_key_bytes(kEdSecret));
  EXPECT_FALSE(symmetric_key_bytes(kEdPublic));
  EXPECT_FALSE(asymmetric_key_pair("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_FALSE(asymmetric_key_pair(kEdPublic));
  EXPECT_FALSE(public_key_bytes(kEdSecret));
  EXPECT_FALSE(public_key_bytes("whpk_" + base64_encode(std::string(33, 'k'))));
  EXPECT_EQ(symmetric_key_bytes("whsec_" + base64_encode(std::string(64, 'k'))), std::string(64, 'k'));
}

TEST(Secrets, Base64IsStrict) {
  EXPECT_EQ(base64_encode("hookd"), "aG9va2Q=");
  EXPECT_EQ(base64_decode("aG9va2Q="), "hookd");
  EXPECT_EQ(base64_decode("aG9va2Q"), "hookd");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("aG9va2Q=="));  // wrong padding
  EXPECT_FALSE(base64_decode("aG9va2R="));   // non-zero trailing bits
  EXPECT_FALSE(base64_decode("aG9v a2Q="));  // whitespace
  EXPECT_FALSE(base64_decode("a"));
  const std::string all = bytes_from(0, 255) + '\xff';
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Secrets, DigestVectors) {
  // FIPS 180-2 "abc" and RFC 4231 test case 2.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(base64_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  EXPECT_TRUE(constant_time_equals("same", "same"));
  EXPECT_FALSE(constant_time_equals("same", "sane"));
  EXPECT_FALSE(constant_time_equals("same", "same "));
}

// The context is kept per thread and re-keyed on each call: a call must not see the previous call's key or
// data, and the parts form one message (RFC 4231 test cases 1 and 2, interleaved, whole and in parts).
TEST(Secrets, HmacContextIsRekeyedEachCallAndPartsAreOneMessage) {
  const std::string key1(20, '\x0b');
  const std::string case1 = "sDRMYdjbOFNcqK/OrwvxK4gdwgDJgz2nJuk3bC4yz/c=";  // "Hi There"
  const std::string case2 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(base64_encode(hmac_sha256(key1, "Hi There")), case1);
    const std::array<std::string_view, 4> parts = {"what do ", "", "ya want ", "for nothing?"};
    EXPECT_EQ(base64_encode(hmac_sha256("Jefe", parts)), case2);
  }
  const std::array<std::string_view, 2> split = {"Hi", " There"};
  EXPECT_EQ(base64_encode(hmac_sha256(key1, split)), case1);
  // An empty key (even one with no data pointer) is the empty key, not the previous call's.
  const std::string empty_key_mac = "TLyWCZpkZ84AJGHxBUm0iYJl6+YYi0XvrMRCk1FuYsQ=";
  EXPECT_EQ(base64_encode(hmac_sha256(std::string_view{}, "x")), empty_key_mac);
  EXPECT_EQ(base64_encode(hmac_sha256("", "x")), empty_key_mac);
}

TEST(Secrets, TokensAreUrlSafeAndCarryTheirEntropy) {
  CountingRandom random;
  // Bytes 0xf8.. encode to '+' and '/' in standard base64; the token must carry neither, nor padding.
  std::array<std::uint8_t, 248> skip{};
  random.fill(skip);
  const std::string token = generate_token("hk_", random, 8);
  ASSERT_TRUE(token.starts_with("hk_"));
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos) << token;
  std::string standard = token.substr(3);
  for (auto& c : standard) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
  }
  EXPECT_EQ(base64_decode(standard), bytes_from(248, 8));
}

}  // namespace
}  // namespace hookd
