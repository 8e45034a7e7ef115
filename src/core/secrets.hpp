#pragma once
// Endpoint signing-key formats (Standard Webhooks), base64 and the small crypto primitives built on them.
// The one home of key generation, validation and decoding: the API validates keys, delivery/ signs with the
// bytes decoded here, and neither keeps a second parser.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace hookd {

// Standard (padded) base64, and a strict decoder that accepts padded or unpadded input and nothing else:
// no whitespace, no wrong padding, no non-zero leftover bits (so every byte string has one spelling).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// URL-safe base64 without padding (RFC 4648 section 5), for tokens that travel in URLs.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
// The same over the concatenation of `parts`, without building it.
std::string hmac_sha256(std::string_view key, std::span<const std::string_view> parts);
bool constant_time_equals(std::string_view a, std::string_view b);

std::string generate_symmetric_secret(RandomSource& random);  // "whsec_" + base64(24 random bytes)
Result<std::string> generate_asymmetric_secret();             // "whsk_" + base64(seed(32) || public key(32))
// "whpk_" + base64(32-byte public key) of a whsk_ secret that passes is_valid_secret.
Result<std::string> public_key_of_secret(std::string_view whsk_secret);
// whsec_ with 24..64 decoded bytes, or a whsk_ whose public half matches its seed.
bool is_valid_secret(std::string_view secret);
// A random token for people (admin, portal): url-safe, `bytes` of entropy.
std::string generate_token(std::string_view prefix, RandomSource& random, std::size_t bytes = 24);

// Decoded keys, for the code that signs and verifies. Each returns nullopt unless the key is well formed in
// the sense of is_valid_secret.
inline constexpr std::size_t kEd25519KeyBytes = 32;
struct Ed25519KeyPair {
  std::string seed;        // kEd25519KeyBytes: the private half
  std::string public_key;  // kEd25519KeyBytes, derived from (and checked against) the seed
};
std::optional<std::string> symmetric_key_bytes(std::string_view whsec_secret);  // the HMAC key, 24..64 bytes
std::optional<Ed25519KeyPair> asymmetric_key_pair(std::string_view whsk_secret);  // seed and public key
std::optional<std::string> public_key_bytes(std::string_view whpk_key);           // kEd25519KeyBytes

}  // namespace hookd
