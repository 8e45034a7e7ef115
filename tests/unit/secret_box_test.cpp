// AES-256-GCM sealing of secrets at rest (core/secret_box): round trip, authentication, keyring rotation.
#include "core/secret_box.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/secrets.hpp"

namespace hookd {
namespace {

std::string key_of(char fill) {
  return std::string(kSecretKeyBytes, fill);
}

SecretKeyring keyring(std::string_view current, std::vector<std::string> old = {}) {
  auto k = SecretKeyring::make(current, old);
  if (!k) throw std::runtime_error(k.error().detail);
  return std::move(*k);
}

// The base64 payload of a sealed value, decoded: nonce(12) | ciphertext | tag(16).
std::string blob_of(const std::string& sealed) {
  auto raw = base64_decode(sealed.substr(sealed.rfind(':') + 1));
  if (!raw) throw std::runtime_error("not base64");
  return *raw;
}
std::string with_blob(const std::string& sealed, const std::string& blob) {
  return sealed.substr(0, sealed.rfind(':') + 1) + base64_encode(blob);
}

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kAad = "endpoint:ep_1:secrets";

TEST(SecretBox, RoundTripsAndShowsNoClearText) {
  auto ring = keyring(key_of('a'));
  auto sealed = ring.seal(kSecret, kAad);
  ASSERT_TRUE(sealed) << sealed.error().detail;
  EXPECT_TRUE(sealed->starts_with("enc:v1:" + secret_key_id(key_of('a')) + ":")) << *sealed;
  EXPECT_TRUE(is_sealed(*sealed));
  EXPECT_EQ(sealed_key_id(*sealed), secret_key_id(key_of('a')));
  EXPECT_EQ(sealed->find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), std::string::npos);
  EXPECT_EQ(blob_of(*sealed).size(), 12 + kSecret.size() + 16);
  auto opened = ring.open(*sealed, kAad);
  ASSERT_TRUE(opened) << opened.error().detail;
  EXPECT_EQ(*opened, kSecret);
}

TEST(SecretBox, EmptyTextRoundTrips) {
  auto ring = keyring(key_of('a'));
  auto sealed = ring.seal("", kAad);
  ASSERT_TRUE(sealed);
  auto opened = ring.open(*sealed, kAad);
  ASSERT_TRUE(opened) << opened.error().detail;
  EXPECT_EQ(*opened, "");
}

TEST(SecretBox, KeyIdIsTheFirstEightHexOfTheKeysSha256) {
  EXPECT_EQ(secret_key_id(key_of('a')), sha256_hex(key_of('a')).substr(0, 8));
  EXPECT_NE(secret_key_id(key_of('a')), secret_key_id(key_of('b')));
}

TEST(SecretBox, TwoSealsOfOneSecretDiffer) {
  auto ring = keyring(key_of('a'));
  auto first = ring.seal(kSecret, kAad);
  auto second = ring.seal(kSecret, kAad);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_NE(blob_of(*first).substr(0, 12), blob_of(*second).substr(0, 12)) << "nonces must be fresh";
}

TEST(SecretBox, TamperedCiphertextTagOrNonceIsRejected) {
  auto ring = keyring(key_of('a'));
  auto sealed = *ring.seal(kSecret, kAad);
  const std::string blob = blob_of(sealed);
  for (std::size_t at : {std::size_t{0}, std::size_t{12}, std::size_t{12 + 5}, blob.size() - 1}) {
    std::string bad = blob;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    auto opened = ring.open(with_blob(sealed, bad), kAad);
    EXPECT_FALSE(opened) << "flipping byte " << at << " went unnoticed";
    if (!opened) {
      EXPECT_NE(opened.error().detail.find("does not authenticate"), std::string::npos);
    }
  }
  // A truncated tag, and garbage, are refused too.
  EXPECT_FALSE(ring.open(with_blob(sealed, blob.substr(0, blob.size() - 1)), kAad));
  EXPECT_FALSE(ring.open(sealed.substr(0, sealed.rfind(':') + 1) + "!!", kAad));
  EXPECT_FALSE(ring.open(kSecret, kAad)) << "clear text is not a sealed value";
}

TEST(SecretBox, OtherAadIsRejected) {
  auto ring = keyring(key_of('a'));
  auto sealed = *ring.seal(kSecret, kAad);
  EXPECT_FALSE(ring.open(sealed, "endpoint:ep_2:secrets"));
  EXPECT_FALSE(ring.open(sealed, "endpoint:ep_1:auth_secret"));
  EXPECT_TRUE(ring.open(sealed, kAad));
}

TEST(SecretBox, WrongKeyIsRejectedWithItsKeyId) {
  auto sealed = *keyring(key_of('a')).seal(kSecret, kAad);
  auto other = keyring(key_of('b'));
  auto opened = other.open(sealed, kAad);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().detail.find("key id " + secret_key_id(key_of('a')) + " not in keyring"),
            std::string::npos)
      << opened.error().detail;
  // Same id, other key (a forged id): authentication fails rather than returning garbage.
  std::string forged = "enc:v1:" + secret_key_id(key_of('b')) + sealed.substr(sealed.rfind(':'));
  EXPECT_FALSE(other.open(forged, kAad));
}

TEST(SecretBox, KeyringOpensOldKeyValuesAndSealsWithTheCurrentKey) {
  auto before = keyring(key_of('a'));
  auto old_sealed = *before.seal(kSecret, kAad);

  auto rotated = keyring(key_of('b'), {key_of('a')});
  EXPECT_EQ(rotated.current_id(), secret_key_id(key_of('b')));
  EXPECT_EQ(rotated.key_ids(),
            (std::vector<std::string>{secret_key_id(key_of('b')), secret_key_id(key_of('a'))}));
  auto opened = rotated.open(old_sealed, kAad);
  ASSERT_TRUE(opened) << opened.error().detail;
  EXPECT_EQ(*opened, kSecret);

  auto resealed = *rotated.seal(*opened, kAad);
  EXPECT_EQ(sealed_key_id(resealed), secret_key_id(key_of('b')));
  // The new value no longer needs the old key.
  EXPECT_TRUE(keyring(key_of('b')).open(resealed, kAad));
  EXPECT_FALSE(before.open(resealed, kAad));
}

TEST(SecretBox, KeysMustBe32BytesAndDistinct) {
  EXPECT_FALSE(SecretKeyring::make(std::string(31, 'a')));
  EXPECT_FALSE(SecretKeyring::make(std::string(33, 'a')));
  EXPECT_FALSE(SecretKeyring::make(key_of('a'), {std::string(16, 'b')}));
  EXPECT_FALSE(SecretKeyring::make(key_of('a'), {key_of('a')}));
  EXPECT_TRUE(SecretKeyring::make(key_of('a'), {key_of('b')}));
}

}  // namespace
}  // namespace hookd
