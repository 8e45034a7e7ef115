#include "delivery/signing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/secrets.hpp"

namespace hookd::delivery {
namespace {

constexpr std::string_view kEdSecret =
    "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";

// A fixed source: signing with a generated whsec_ must not depend on which bytes it holds.
class FixedRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = 0x5a;
  }
};

TEST(Signing, StandardWebhooksHmacVectors) {
  auto first = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                    R"({"test": 2432232314})");
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(*first, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

  auto second = sign("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
                     R"({"email":"test@example.com","username":"test_user"})");
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_EQ(*second, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
}

TEST(Signing, StandardWebhooksEd25519Vector) {
  auto public_key = public_key_of_secret(kEdSecret);
  ASSERT_TRUE(public_key);

  auto signature = sign(kEdSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(signature) << signature.error().detail;
  EXPECT_EQ(*signature,
            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==");
  // A receiver holding only the public key verifies it.
  EXPECT_TRUE(
      verify(*public_key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})", *signature));
  EXPECT_FALSE(
      verify(*public_key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, R"({"test": 2432232314})", *signature));
}

TEST(Signing, GeneratedSymmetricSecretSignsAndVerifies) {
  FixedRandom random;
  const std::string secret = generate_symmetric_secret(random);
  auto entry = sign(secret, "msg_1", 42, "{}");
  ASSERT_TRUE(entry) << entry.error().detail;
  EXPECT_TRUE(entry->starts_with("v1,"));
  EXPECT_EQ(entry->size(), 3u + 44u);  // base64 of a 32-byte HMAC-SHA256
  EXPECT_TRUE(verify(secret, "msg_1", 42, "{}", *entry));
}

TEST(Signing, GeneratedAsymmetricSecretRoundTrips) {
  auto secret = generate_asymmetric_secret();
  ASSERT_TRUE(secret) << secret.error().detail;
  auto other = generate_asymmetric_secret();
  ASSERT_TRUE(other);

  auto entry = sign(*secret, "msg_2", 1700000000, R"({"a":1})");
  ASSERT_TRUE(entry);
  EXPECT_TRUE(entry->starts_with("v1a,"));
  auto public_key = public_key_of_secret(*secret);
  ASSERT_TRUE(public_key);
  EXPECT_TRUE(verify(*public_key, "msg_2", 1700000000, R"({"a":1})", *entry));
  EXPECT_TRUE(verify(*secret, "msg_2", 1700000000, R"({"a":1})", *entry));
  EXPECT_FALSE(verify(*public_key_of_secret(*other), "msg_2", 1700000000, R"({"a":1})", *entry));
}

TEST(Signing, VerifyRejectsTampering) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto entry = sign(secret, "msg_x", 1000, R"({"amount":10})");
  ASSERT_TRUE(entry);
  EXPECT_TRUE(verify(secret, "msg_x", 1000, R"({"amount":10})", *entry));
  EXPECT_FALSE(verify(secret, "msg_x", 1000, R"({"amount":11})", *entry));  // body
  EXPECT_FALSE(verify(secret, "msg_y", 1000, R"({"amount":10})", *entry));  // id
  EXPECT_FALSE(verify(secret, "msg_x", 1001, R"({"amount":10})", *entry));  // timestamp
  EXPECT_FALSE(verify("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_x", 1000, R"({"amount":10})", *entry));
  // The right value under the wrong version label does not count.
  EXPECT_FALSE(verify(secret, "msg_x", 1000, R"({"amount":10})", "v2," + entry->substr(3)));
  EXPECT_FALSE(verify(secret, "msg_x", 1000, R"({"amount":10})", ""));
  EXPECT_FALSE(verify("not-a-secret", "msg_x", 1000, R"({"amount":10})", *entry));

  auto ed = sign(kEdSecret, "msg_x", 1000, R"({"amount":10})");
  ASSERT_TRUE(ed);
  EXPECT_FALSE(verify(kEdSecret, "msg_x", 1000, R"({"amount":11})", *ed));
}

TEST(Signing, OnlyWellFormedKeysSignOrVerify) {
  const std::string body = R"({"test": 2432232314})";
  auto ed = sign(kEdSecret, "msg_1", 1, body);
  ASSERT_TRUE(ed);
  // A public key verifies but cannot sign.
  const std::string public_key = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
  EXPECT_TRUE(verify(public_key, "msg_1", 1, body, *ed));
  EXPECT_FALSE(sign(public_key, "msg_1", 1, body));
  // A whsk_ whose public half does not match its seed neither signs nor verifies.
  std::string tampered(kEdSecret);
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sign(tampered, "msg_1", 1, body));
  EXPECT_FALSE(verify(tampered, "msg_1", 1, body, *ed));
  // A whpk_ of the wrong length is not a key.
  EXPECT_FALSE(verify("whpk_" + base64_encode(std::string(31, 'k')), "msg_1", 1, body, *ed));
  EXPECT_FALSE(sign("whsec_short", "msg_1", 1, body));
}

TEST(Signing, MultiSecretHeaderDuringRotation) {
  const std::vector<std::string> secrets = {"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                                            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", std::string(kEdSecret)};
  const std::string body = R"({"test": 2432232314})";
  auto header = signature_header(secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
  ASSERT_TRUE(header) << header.error().detail;
  // Entries in order, space-separated; the known vector is the second.
  const auto first_space = header->find(' ');
  const auto second_space = header->find(' ', first_space + 1);
  ASSERT_NE(second_space, std::string::npos);
  EXPECT_EQ(header->substr(first_space + 1, second_space - first_space - 1),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_TRUE(header->substr(second_space + 1).starts_with("v1a,"));
  for (const auto& secret : secrets) {
    EXPECT_TRUE(verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, *header)) << secret;
  }
  EXPECT_FALSE(verify("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                      body, *header));
  EXPECT_FALSE(signature_header({}, "msg_1", 1, body));
  const std::vector<std::string> with_bad = {secrets[0], "whsec_short"};
  EXPECT_FALSE(signature_header(with_bad, "msg_1", 1, body));
}

}  // namespace
}  // namespace hookd::delivery
