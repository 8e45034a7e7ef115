#pragma once
// Endpoint secrets at rest. The `secrets` column (JSON list of signing keys, current first, with the
// rotation grace period's old keys) and the `auth_secret` column are stored sealed with AES-256-GCM under
// the store's keyring (core/secret_box); the associated data binds each value to its endpoint id and column.
// Both stores read and write these two columns only through this file, so nothing above the store sees
// ciphertext. Rows written before encryption at rest (clear text) are still read, and re-sealed by
// reseal_endpoint_secrets. Without a keyring (unit tests, tools) the columns are written in clear.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "core/secret_box.hpp"
#include "store/store.hpp"

namespace hookd::store {

struct SecretColumns {
  std::string secrets;      // the `secrets` column's text
  std::string auth_secret;  // the `auth_secret` column's text ('' when the endpoint has none)
};

// An endpoint row as read, its secret columns not yet opened.
struct StoredEndpoint {
  Endpoint endpoint;  // every field but secrets and auth_secret
  SecretColumns columns;
};

// The column text for `ep`'s secrets: sealed under the current key, or in clear without a keyring.
Result<SecretColumns> seal_secret_columns(const SecretKeyring* keyring, const Endpoint& ep);

// The endpoint with its secrets opened (or read in clear for rows written before encryption). A sealed
// value that does not open is an error ("cannot decrypt endpoint secrets…"), never garbage.
Result<Endpoint> open_endpoint(const SecretKeyring* keyring, StoredEndpoint stored);
Result<std::vector<Endpoint>> open_endpoints(const SecretKeyring* keyring,
                                             std::vector<StoredEndpoint> stored);
Result<Page<Endpoint>> open_endpoint_page(const SecretKeyring* keyring, Page<StoredEndpoint> stored);

// Rekey: the columns sealed again under the current key, or nullopt when both already are.
Result<std::optional<SecretColumns>> reseal_secret_columns(const SecretKeyring& keyring,
                                                           std::string_view endpoint_id,
                                                           const SecretColumns& stored);

// The prefix every value sealed under the current key starts with: rows whose secret columns do not start
// with it (clear text, or an old key) are the ones reseal_endpoint_secrets rewrites.
std::string current_key_prefix(const SecretKeyring& keyring);

}  // namespace hookd::store
