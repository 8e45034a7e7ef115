#include "core/secret_box.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>

#include "core/secrets.hpp"

namespace hookd {
namespace {

constexpr std::size_t kNonceBytes = 12;  // the GCM standard nonce size
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kKeyIdChars = 8;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

unsigned char* writable(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}
const unsigned char* readable(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
int int_size(std::string_view s) {
  return static_cast<int>(s.size());
}

// Fetched once: OpenSSL 3 otherwise looks the algorithm up again on every EVP_*Init (most of the cost of
// sealing a short secret). The fetched cipher is immutable and safe to share between threads.
const EVP_CIPHER* aes_256_gcm() {
  static const std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), &EVP_CIPHER_free);
  return cipher.get();
}

std::unexpected<Error> crypto_error(std::string detail) {
  return fail(ErrorKind::internal, "secret_crypto", std::move(detail));
}

}  // namespace

std::string secret_key_id(std::string_view key) {
  return sha256_hex(key).substr(0, kKeyIdChars);
}

bool is_sealed(std::string_view text) {
  return text.starts_with(kSealedPrefix);
}

std::string_view sealed_key_id(std::string_view text) {
  if (!is_sealed(text)) return {};
  text.remove_prefix(kSealedPrefix.size());
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return {};
  return text.substr(0, colon);
}

SecretKeyring::Key::~Key() {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

Result<SecretKeyring> SecretKeyring::make(std::string_view current, const std::vector<std::string>& old,
                                          std::shared_ptr<RandomSource> random) {
  std::vector<Key> keys;
  auto add = [&](std::string_view key, std::string_view role) -> Result<void> {
    if (key.size() != kSecretKeyBytes) {
      return invalid("secret_key", fmt::format("the {} secret key must be {} bytes, not {}", role,
                                               kSecretKeyBytes, key.size()));
    }
    std::string id = secret_key_id(key);
    for (const auto& k : keys) {
      if (k.id == id) {
        return invalid("secret_key", fmt::format("two keys of the keyring have the id {} (the same key given "
                                                 "twice, or a fingerprint collision)",
                                                 id));
      }
    }
    keys.emplace_back(std::move(id), std::string(key));
    return {};
  };
  if (auto r = add(current, "current"); !r) return std::unexpected(r.error());
  for (const auto& k : old)
    if (auto r = add(k, "old"); !r) return std::unexpected(r.error());
  if (!random) random = std::make_shared<SecureRandom>();
  return SecretKeyring(std::move(keys), std::move(random));
}

std::vector<std::string> SecretKeyring::key_ids() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.id);
  return out;
}

bool SecretKeyring::has_key(std::string_view key_id) const {
  return find(key_id) != nullptr;
}

const SecretKeyring::Key* SecretKeyring::find(std::string_view key_id) const {
  for (const auto& k : keys_)
    if (k.id == key_id) return &k;
  return nullptr;
}

Result<std::string> SecretKeyring::seal(std::string_view plaintext, std::string_view aad) const {
  const Key& key = keys_.front();
  std::string blob(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  random_->fill(std::span(reinterpret_cast<std::uint8_t*>(blob.data()), kNonceBytes));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  unsigned char* out = writable(blob) + kNonceBytes;
  // Empty input: EVP_EncryptUpdate is skipped (OpenSSL refuses a null buffer on some versions).
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, readable(key.bytes), readable(blob)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, readable(aad), int_size(aad)) != 1 ||
      (!plaintext.empty() &&
       EVP_EncryptUpdate(ctx.get(), out, &len, readable(plaintext), int_size(plaintext)) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out + plaintext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + plaintext.size()) != 1) {
    return crypto_error("AES-256-GCM encryption failed");
  }
  return fmt::format("{}{}:{}", kSealedPrefix, key.id, base64_encode(blob));
}

Result<std::string> SecretKeyring::open(std::string_view sealed, std::string_view aad) const {
  auto id = sealed_key_id(sealed);
  if (id.empty()) return crypto_error("not a sealed value (expected enc:v1:<key id>:<data>)");
  const Key* key = find(id);
  if (key == nullptr) {
    return crypto_error(fmt::format("key id {} not in keyring (keys: {})", id, fmt::join(key_ids(), ", ")));
  }
  auto blob = base64_decode(sealed.substr(kSealedPrefix.size() + id.size() + 1));
  if (!blob || blob->size() < kNonceBytes + kTagBytes) return crypto_error("sealed value is malformed");
  const std::string_view all(*blob);
  const std::string_view nonce = all.substr(0, kNonceBytes);
  const std::string_view body = all.substr(kNonceBytes, all.size() - kNonceBytes - kTagBytes);
  std::string tag(all.substr(all.size() - kTagBytes));
  std::string plain(body.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, readable(key->bytes), readable(nonce)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, readable(aad), int_size(aad)) == 1 &&
      (body.empty() ||
       EVP_DecryptUpdate(ctx.get(), writable(plain), &len, readable(body), int_size(body)) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      // Final checks the tag: only now is the plaintext known to be authentic.
      EVP_DecryptFinal_ex(ctx.get(), writable(plain) + body.size(), &len) == 1;
  OPENSSL_cleanse(blob->data(), blob->size());
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return crypto_error(fmt::format(
        "sealed value does not authenticate under key {} (tampered, or bound to another row)", id));
  }
  return plain;
}

}  // namespace hookd
