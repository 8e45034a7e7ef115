// libFuzzer target for delivery::sign/verify (Standard Webhooks v1 HMAC and v1a Ed25519).
// From the input: a secret (a whsec_ built from fuzzed key bytes, a fixed whsk_ pair, or arbitrary text), a
// message id, a timestamp, a `webhook-signature` header and a body. Checked:
//  (1) verify() of the arbitrary header is exactly "some space-separated entry equals the signature sign()
//      makes": HMAC compares whole values, base64 has one spelling and Ed25519 signatures are deterministic,
//      so no other entry may verify. An unusable secret verifies nothing.
//  (2) round trip: a header made by signature_header() with this secret and another verifies with each of
//      them (and with the whpk_ public key of a whsk_), and no longer verifies once the body, the id or the
//      timestamp changes.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/secrets.hpp"
#include "delivery/signing.hpp"

namespace {

[[noreturn]] void broken(std::string_view what, std::string_view secret, std::string_view header) {
  std::fprintf(stderr, "invariant broken: %.*s\nsecret: %.*s\nheader: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(secret.size()), secret.data(), static_cast<int>(header.size()),
               header.data());
  std::abort();
}

struct AsymmetricKeys {
  std::string secret;      // whsk_
  std::string public_key;  // whpk_
};

const AsymmetricKeys& asymmetric_keys() {
  static const AsymmetricKeys keys = [] {
    auto secret = hookd::generate_asymmetric_secret();
    if (!secret) std::abort();
    auto pub = hookd::public_key_of_secret(*secret);
    if (!pub) std::abort();
    return AsymmetricKeys{*secret, *pub};
  }();
  return keys;
}

bool has_entry(std::string_view header, std::string_view wanted) {
  while (true) {
    const auto space = header.find(' ');
    if (header.substr(0, space) == wanted) return true;
    if (space == std::string_view::npos) return false;
    header.remove_prefix(space + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using hookd::delivery::sign;
  using hookd::delivery::signature_header;
  using hookd::delivery::verify;
  FuzzedDataProvider in(data, size);
  std::string secret;
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      secret = "whsec_" + hookd::base64_encode(in.ConsumeBytesAsString(in.ConsumeIntegralInRange(24, 64)));
      break;
    case 1:
      secret = asymmetric_keys().secret;
      break;
    default:
      secret = in.ConsumeRandomLengthString(120);
  }
  const std::string msg_id = in.ConsumeRandomLengthString(64);
  const auto timestamp = in.ConsumeIntegral<std::int64_t>();
  const std::string header = in.ConsumeRandomLengthString(600);
  const std::string body = in.ConsumeRemainingBytesAsString();

  // (1) an arbitrary header verifies exactly when it carries the real signature.
  const auto expected = sign(secret, msg_id, timestamp, body);
  const bool verified = verify(secret, msg_id, timestamp, body, header);
  if (expected) {
    if (verified != has_entry(header, *expected)) broken("verify() disagrees with sign()", secret, header);
  } else if (verified && !secret.starts_with("whpk_")) {
    broken("a secret that cannot sign verified a header", secret, header);
  }
  if (!expected) return 0;

  // (2) round trip with a second secret of the other kind in the same header.
  const std::string other =
      secret.starts_with("whsk_") ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" : asymmetric_keys().secret;
  const std::vector<std::string> secrets{secret, other};
  const auto made = signature_header(secrets, msg_id, timestamp, body);
  if (!made) broken("signature_header() failed for secrets sign() accepts", secret, "");
  if (!has_entry(*made, *expected)) broken("signature_header() lacks sign()'s entry", secret, *made);
  for (const auto& s : secrets) {
    if (!verify(s, msg_id, timestamp, body, *made)) broken("round trip does not verify", s, *made);
  }
  if (secret.starts_with("whsk_") && !verify(asymmetric_keys().public_key, msg_id, timestamp, body, *made))
    broken("the public key does not verify", secret, *made);
  if (verify(secret, msg_id, timestamp, body + "x", *made)) broken("verified a changed body", secret, *made);
  if (verify(secret, msg_id + "x", timestamp, body, *made)) broken("verified a changed id", secret, *made);
  if (timestamp != INT64_MAX && verify(secret, msg_id, timestamp + 1, body, *made))
    broken("verified a changed timestamp", secret, *made);
  return 0;
}
