#pragma once
// Secrets at rest: AES-256-GCM sealing of small strings (endpoint signing secrets) under a keyring.
// Pure crypto (OpenSSL EVP), no I/O: loading keys from files or the environment is the CLI's job.
//
// Sealed text: "enc:v1:<key id>:<base64(nonce(12) | ciphertext | tag(16))>". The key id (first 8 hex digits
// of SHA-256 of the key) names the key that sealed it, so a keyring holding several keys (rotation) opens
// each value with the right one. The associated data (AAD) binds a value to its place (e.g. the endpoint
// id and column): a sealed value copied to another row does not open.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace hookd {

inline constexpr std::size_t kSecretKeyBytes = 32;  // AES-256
inline constexpr std::string_view kSealedPrefix = "enc:v1:";

// First 8 hex digits of SHA-256(key): names a key without revealing it.
std::string secret_key_id(std::string_view key);

// Does `text` look sealed (starts with the versioned prefix)? Anything else is taken as clear text
// (rows written before encryption at rest).
bool is_sealed(std::string_view text);
// The key id of a sealed value, or empty when `text` is not of the sealed form.
std::string_view sealed_key_id(std::string_view text);

class SecretKeyring {
 public:
  // `current` seals and opens; `old` keys only open (rotation). Every key is kSecretKeyBytes of raw bytes;
  // two keys with one id are refused. `random` draws the nonces (SecureRandom when null).
  static Result<SecretKeyring> make(std::string_view current, const std::vector<std::string>& old = {},
                                    std::shared_ptr<RandomSource> random = nullptr);

  const std::string& current_id() const { return keys_.front().id; }
  std::vector<std::string> key_ids() const;  // current first
  bool has_key(std::string_view key_id) const;

  // Seals under the current key with a fresh random 12-byte nonce: two seals of one text differ.
  Result<std::string> seal(std::string_view plaintext, std::string_view aad) const;
  // Opens a sealed value with the key its id names. Fails (never returns garbage) when the text is not of
  // the sealed form, the key id is not in the keyring, or authentication fails (wrong key, tampered
  // ciphertext or tag, other AAD).
  Result<std::string> open(std::string_view sealed, std::string_view aad) const;

 private:
  struct Key {
    std::string id;
    std::string bytes;
    Key(std::string i, std::string b) : id(std::move(i)), bytes(std::move(b)) {}
    Key(const Key&) = default;
    Key(Key&&) = default;
    Key& operator=(const Key&) = default;
    Key& operator=(Key&&) = default;
    ~Key();  // wipes the key bytes
  };
  SecretKeyring(std::vector<Key> keys, std::shared_ptr<RandomSource> random)
      : keys_(std::move(keys)), random_(std::move(random)) {}
  const Key* find(std::string_view key_id) const;

  std::vector<Key> keys_;  // keys_.front() is the current key
  std::shared_ptr<RandomSource> random_;
};

}  // namespace hookd
