#include "delivery/signing.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <optional>
#include <utility>

#include "core/secrets.hpp"

namespace hookd::delivery {
namespace {

constexpr std::size_t kEd25519SignatureBytes = 64;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string signed_content(std::string_view msg_id, std::int64_t timestamp, std::string_view body) {
  std::string content = fmt::format("{}.{}.", msg_id, timestamp);
  content.append(body);
  return content;
}

Result<std::string> ed25519_sign(std::string_view seed, std::string_view content) {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(seed), seed.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  std::array<unsigned char, kEd25519SignatureBytes> signature{};
  std::size_t len = signature.size();
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature.data(), &len, bytes_of(content), content.size()) != 1) {
    return internal_error("Ed25519 signing failed");
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(signature.data()), len));
}

bool ed25519_verify(std::string_view public_key, std::string_view content, std::string_view signature) {
  if (signature.size() != kEd25519SignatureBytes) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(public_key), public_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(content),
                          content.size()) == 1;
}

}  // namespace

Result<std::string> sign(std::string_view secret, std::string_view msg_id, std::int64_t timestamp,
                         std::string_view body) {
  if (auto key = symmetric_key_bytes(secret)) {
    // The signed content is fed in parts: the body is not copied into a new string for each secret.
    const auto ts = fmt::format_int(timestamp);
    const std::array<std::string_view, 5> parts = {msg_id, ".", std::string_view(ts.data(), ts.size()), ".",
                                                   body};
    return "v1," + base64_encode(hmac_sha256(*key, parts));
  }
  if (auto pair = asymmetric_key_pair(secret)) {
    auto signature = ed25519_sign(pair->seed, signed_content(msg_id, timestamp, body));
    if (!signature) return std::unexpected(signature.error());
    return "v1a," + *signature;
  }
  return invalid("secret", "not a whsec_ or whsk_ secret");
}

Result<std::string> signature_header(std::span<const std::string> secrets, std::string_view msg_id,
                                     std::int64_t timestamp, std::string_view body) {
  if (secrets.empty()) return invalid("secret", "an endpoint needs at least one secret to sign with");
  std::string header;
  for (const auto& secret : secrets) {
    auto entry = sign(secret, msg_id, timestamp, body);
    if (!entry) return entry;
    if (!header.empty()) header += ' ';
    header += *entry;
  }
  return header;
}

bool verify(std::string_view secret, std::string_view msg_id, std::int64_t timestamp, std::string_view body,
            std::string_view header) {
  const std::string content = signed_content(msg_id, timestamp, body);
  std::optional<std::string> expected_v1;
  std::optional<std::string> public_key;
  if (auto key = symmetric_key_bytes(secret)) {
    expected_v1 = base64_encode(hmac_sha256(*key, content));
  } else if (auto pair = asymmetric_key_pair(secret)) {
    public_key = std::move(pair->public_key);
  } else {
    public_key = public_key_bytes(secret);
  }
  if (!expected_v1 && !public_key) return false;

  bool verified = false;
  while (!header.empty()) {
    const auto space = header.find(' ');
    const std::string_view entry = header.substr(0, space);
    header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
    const auto comma = entry.find(',');
    if (comma == std::string_view::npos) continue;
    const std::string_view version = entry.substr(0, comma);
    const std::string_view value = entry.substr(comma + 1);
    if (version == "v1" && expected_v1) {
      // Every entry is checked (no early exit), so timing does not reveal which one matched.
      verified |= constant_time_equals(value, *expected_v1);
    } else if (version == "v1a" && public_key) {
      auto signature = base64_decode(value);
      verified |= signature && ed25519_verify(*public_key, content, *signature);
    }
  }
  return verified;
}

}  // namespace hookd::delivery
