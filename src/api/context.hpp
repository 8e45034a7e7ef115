#pragma once
// What every handler may use: the store, the injected clock and randomness, id generation, configuration.
#include <functional>
#include <string>

#include "api/payload_validation.hpp"
#include "core/address_policy.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/store.hpp"

namespace hookd::api {

struct ApiConfig {
  std::size_t max_body_bytes = 1 << 20;
  AddressPolicy address_policy;  // endpoint URLs that are literal refused addresses get a 422
  std::string public_url = "http://127.0.0.1:8071";  // for portal links
  Millis portal_token_ttl{std::chrono::hours(1)};
  std::string portal_dir;  // built portal files (web/dist); empty: no portal
};

struct ApiContext {
  store::Store& store;
  const Clock& clock;
  RandomSource& random;
  IdGenerator& ids;
  PayloadValidator& validator;
  ApiConfig config;
  std::string admin_token_hash;  // sha256 hex of the admin token
  std::string portal_key;        // signs portal tokens (stateless: nothing to store or leak)
};

}  // namespace hookd::api
