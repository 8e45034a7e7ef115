#include "core/secrets.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

namespace hookd {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

constexpr std::string_view kSymmetricPrefix = "whsec_";
constexpr std::string_view kAsymmetricPrefix = "whsk_";
constexpr std::string_view kPublicPrefix = "whpk_";
constexpr std::size_t kMinSymmetricBytes = 24;
constexpr std::size_t kMaxSymmetricBytes = 64;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
std::string_view view_of(std::span<const unsigned char> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // Padding is optional (generated secrets and tokens have none), but if present it must be correct.
  std::size_t pad = 0;
  while (!text.empty() && text.back() == '=' && pad < 2) {
    text.remove_suffix(1);
    ++pad;
  }
  if (text.size() % 4 == 1 || (pad > 0 && (text.size() + pad) % 4 != 0)) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, so every byte string has exactly one accepted spelling (modulo padding).
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(bytes_of(data), data.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (auto b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::span<const std::string_view> parts) {
  // One context a thread, its digest set once: a context made for each call fetched SHA-256 from the
  // provider tables again and made about 90 small allocations (a callgrind profile of delivery). Each call
  // re-keys it (EVP_MAC_init with a key and no parameters keeps the digest).
  struct MacCtxFree {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
  };
  thread_local const std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx = [] {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                          &EVP_MAC_free);
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> made(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
    std::array<OSSL_PARAM, 2> params = {
        OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    if (made && EVP_MAC_CTX_set_params(made.get(), params.data()) != 1) made.reset();
    return made;
  }();
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t len = 0;
  // Never a null key: OpenSSL then keeps the previous call's key instead of an empty one.
  static constexpr unsigned char kEmptyKey[1] = {0};
  const unsigned char* key_bytes = key.empty() ? kEmptyKey : bytes_of(key);
  bool ok = ctx && EVP_MAC_init(ctx.get(), key_bytes, key.size(), nullptr) == 1;
  for (auto part : parts) ok = ok && EVP_MAC_update(ctx.get(), bytes_of(part), part.size()) == 1;
  if (!ok || EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1) {
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");  // only on a broken OpenSSL installation
  }
  return std::string(view_of(std::span(out.data(), len)));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return hmac_sha256(key, std::span(&data, 1));
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string generate_symmetric_secret(RandomSource& random) {
  std::array<std::uint8_t, kMinSymmetricBytes> raw{};
  random.fill(raw);
  return std::string(kSymmetricPrefix) + base64_encode(view_of(raw));
}

Result<std::string> generate_asymmetric_secret() {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw_key) != 1) {
    return internal_error("Ed25519 key generation failed");
  }
  Pkey key(raw_key);
  std::array<unsigned char, 2 * kEd25519KeyBytes> both{};
  std::size_t seed_len = kEd25519KeyBytes;
  std::size_t public_len = kEd25519KeyBytes;
  if (EVP_PKEY_get_raw_private_key(key.get(), both.data(), &seed_len) != 1 ||
      EVP_PKEY_get_raw_public_key(key.get(), both.data() + kEd25519KeyBytes, &public_len) != 1 ||
      seed_len != kEd25519KeyBytes || public_len != kEd25519KeyBytes) {
    return internal_error("Ed25519 key export failed");
  }
  const std::string secret = std::string(kAsymmetricPrefix) + base64_encode(view_of(both));
  OPENSSL_cleanse(both.data(), both.size());
  return secret;
}

std::optional<std::string> symmetric_key_bytes(std::string_view secret) {
  if (!secret.starts_with(kSymmetricPrefix)) return std::nullopt;
  auto raw = base64_decode(secret.substr(kSymmetricPrefix.size()));
  if (!raw || raw->size() < kMinSymmetricBytes || raw->size() > kMaxSymmetricBytes) return std::nullopt;
  return raw;
}

std::optional<Ed25519KeyPair> asymmetric_key_pair(std::string_view secret) {
  if (!secret.starts_with(kAsymmetricPrefix)) return std::nullopt;
  auto raw = base64_decode(secret.substr(kAsymmetricPrefix.size()));
  if (!raw || raw->size() != 2 * kEd25519KeyBytes) return std::nullopt;
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(*raw), kEd25519KeyBytes));
  if (!key) return std::nullopt;
  std::array<unsigned char, kEd25519KeyBytes> derived{};
  std::size_t len = derived.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), derived.data(), &len) != 1 || len != derived.size()) {
    return std::nullopt;
  }
  // A stored public half that does not belong to the seed would make receivers reject every delivery.
  const std::string_view both(*raw);
  if (view_of(derived) != both.substr(kEd25519KeyBytes)) return std::nullopt;
  Ed25519KeyPair pair{std::string(both.substr(0, kEd25519KeyBytes)),
                      std::string(both.substr(kEd25519KeyBytes))};
  OPENSSL_cleanse(raw->data(), raw->size());
  return pair;
}

std::optional<std::string> public_key_bytes(std::string_view key) {
  if (!key.starts_with(kPublicPrefix)) return std::nullopt;
  auto raw = base64_decode(key.substr(kPublicPrefix.size()));
  if (!raw || raw->size() != kEd25519KeyBytes) return std::nullopt;
  return raw;
}

Result<std::string> public_key_of_secret(std::string_view whsk_secret) {
  auto pair = asymmetric_key_pair(whsk_secret);
  if (!pair) return invalid("secret", "not a well-formed whsk_ secret");
  return std::string(kPublicPrefix) + base64_encode(pair->public_key);
}

bool is_valid_secret(std::string_view secret) {
  return symmetric_key_bytes(secret).has_value() || asymmetric_key_pair(secret).has_value();
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  for (char c : base64_encode(bytes)) {
    if (c == '+')
      out += '-';
    else if (c == '/')
      out += '_';
    else if (c != '=')
      out += c;
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string b64(text);
  for (auto& c : b64) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
  }
  return base64_decode(b64);
}

std::string generate_token(std::string_view prefix, RandomSource& random, std::size_t bytes) {
  std::vector<std::uint8_t> raw(bytes);
  random.fill(raw);
  return std::string(prefix) + base64url_encode(view_of(raw));
}

}  // namespace hookd
