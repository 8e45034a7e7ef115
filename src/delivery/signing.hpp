#pragma once
// Standard Webhooks signatures: `v1` (HMAC-SHA256, whsec_ secrets) and `v1a` (Ed25519, whsk_ secrets) over
// "{msg_id}.{timestamp}.{body}", and the receiver-side check. Key formats, generation and base64 live in
// core/secrets.hpp; this file only signs and verifies with the keys decoded there.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace hookd::delivery {

// One signature entry: "v1,<base64 HMAC-SHA256>" for whsec_, "v1a,<base64 Ed25519>" for whsk_.
Result<std::string> sign(std::string_view secret, std::string_view msg_id, std::int64_t timestamp,
                         std::string_view body);
// Space-separated entries, one per secret, in order.
Result<std::string> signature_header(std::span<const std::string> secrets, std::string_view msg_id,
                                     std::int64_t timestamp, std::string_view body);
// Receiver side: true if any v1 (whsec_) or v1a (whsk_ or whpk_) entry of the header verifies with `secret`.
// Compares in constant time; does not judge the timestamp's age (the caller knows its tolerance).
bool verify(std::string_view secret, std::string_view msg_id, std::int64_t timestamp, std::string_view body,
            std::string_view signature_header);

}  // namespace hookd::delivery
