#include "store/secret_columns.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <tuple>

#include "store/row_mapping.hpp"

namespace hookd::store {
namespace {

constexpr std::string_view kSecretsColumn = "secrets";
constexpr std::string_view kAuthSecretColumn = "auth_secret";

// Binds a sealed value to its endpoint and column: moved to another row or column, it no longer opens.
std::string aad(std::string_view endpoint_id, std::string_view column) {
  return fmt::format("hookd:endpoint:{}:{}", endpoint_id, column);
}

std::unexpected<Error> cannot_decrypt(std::string_view endpoint_id, const Error& cause) {
  return fail(ErrorKind::internal, "secret_key",
              fmt::format("cannot decrypt endpoint secrets of {}: {}", endpoint_id, cause.detail));
}

// Wipes a string holding a secret in clear once it is no longer needed.
struct Wiped {
  std::string text;
  ~Wiped() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

// One column's clear text: opened when sealed, as stored otherwise (rows from before encryption at rest).
Result<std::string> open_column(const SecretKeyring* keyring, std::string_view endpoint_id,
                                std::string_view column, const std::string& stored) {
  if (!is_sealed(stored)) return stored;
  if (keyring == nullptr) {
    return cannot_decrypt(endpoint_id,
                          Error{ErrorKind::internal, "secret_key", "no secret key was given", ""});
  }
  auto opened = keyring->open(stored, aad(endpoint_id, column));
  if (!opened) return cannot_decrypt(endpoint_id, opened.error());
  return opened;
}

Result<std::string> seal_column(const SecretKeyring* keyring, std::string_view endpoint_id,
                                std::string_view column, const std::string& clear) {
  // An empty auth_secret means "none": nothing to hide, and '' keeps meaning none.
  if (keyring == nullptr || (column == kAuthSecretColumn && clear.empty())) return clear;
  return keyring->seal(clear, aad(endpoint_id, column));
}

}  // namespace

Result<SecretColumns> seal_secret_columns(const SecretKeyring* keyring, const Endpoint& ep) {
  Wiped json{encode_secrets(ep.secrets)};
  auto secrets = seal_column(keyring, ep.id, kSecretsColumn, json.text);
  if (!secrets) return std::unexpected(secrets.error());
  auto auth = seal_column(keyring, ep.id, kAuthSecretColumn, ep.auth_secret);
  if (!auth) return std::unexpected(auth.error());
  return SecretColumns{std::move(*secrets), std::move(*auth)};
}

Result<Endpoint> open_endpoint(const SecretKeyring* keyring, StoredEndpoint stored) {
  Endpoint& ep = stored.endpoint;
  auto secrets = open_column(keyring, ep.id, kSecretsColumn, stored.columns.secrets);
  if (!secrets) return std::unexpected(secrets.error());
  Wiped json{std::move(*secrets)};
  auto auth = open_column(keyring, ep.id, kAuthSecretColumn, stored.columns.auth_secret);
  if (!auth) return std::unexpected(auth.error());
  ep.secrets = decode_secrets(json.text);
  ep.auth_secret = std::move(*auth);
  return std::move(ep);
}

Result<std::vector<Endpoint>> open_endpoints(const SecretKeyring* keyring,
                                             std::vector<StoredEndpoint> stored) {
  std::vector<Endpoint> out;
  out.reserve(stored.size());
  for (auto& s : stored) {
    auto ep = open_endpoint(keyring, std::move(s));
    if (!ep) return std::unexpected(ep.error());
    out.push_back(std::move(*ep));
  }
  return out;
}

Result<Page<Endpoint>> open_endpoint_page(const SecretKeyring* keyring, Page<StoredEndpoint> stored) {
  auto items = open_endpoints(keyring, std::move(stored.items));
  if (!items) return std::unexpected(items.error());
  return Page<Endpoint>{std::move(*items), stored.done};
}

Result<std::optional<SecretColumns>> reseal_secret_columns(const SecretKeyring& keyring,
                                                           std::string_view endpoint_id,
                                                           const SecretColumns& stored) {
  const std::string prefix = current_key_prefix(keyring);
  const bool secrets_current = stored.secrets.starts_with(prefix);
  const bool auth_current = stored.auth_secret.empty() || stored.auth_secret.starts_with(prefix);
  if (secrets_current && auth_current) return std::nullopt;
  SecretColumns out;
  for (auto [column, from, to] : {std::tuple{kSecretsColumn, &stored.secrets, &out.secrets},
                                  std::tuple{kAuthSecretColumn, &stored.auth_secret, &out.auth_secret}}) {
    auto clear = open_column(&keyring, endpoint_id, column, *from);
    if (!clear) return std::unexpected(clear.error());
    Wiped wiped{std::move(*clear)};
    auto sealed = seal_column(&keyring, endpoint_id, column, wiped.text);
    if (!sealed) return std::unexpected(sealed.error());
    *to = std::move(*sealed);
  }
  return out;
}

std::string current_key_prefix(const SecretKeyring& keyring) {
  return fmt::format("{}{}:", kSealedPrefix, keyring.current_id());
}

}  // namespace hookd::store
