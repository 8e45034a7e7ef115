// `hookd secrets`: the key that seals endpoint secrets at rest.
//   rekey         re-seals every stored endpoint secret under the current key (after a key rotation, or to
//                 seal rows written before encryption at rest); `serve` does the same at start.
//   generate-key  prints a new random key, base64, for HOOKD_SECRET_KEY or a --secret-key-file.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/secret_keys.hpp"
#include "core/clock.hpp"
#include "core/secrets.hpp"
#include "store/store.hpp"

namespace hookd::cli {
namespace {

struct SecretsOptions {
  std::string data_dir = "./hookd-data";
  std::string store_url;
  SecretKeyOptions keys;
};

int rekey(const SecretsOptions& o) {
  store::StoreOptions store_options;
  store_options.url = store_url_for(o.store_url, o.data_dir);
  auto sealed = open_sealed_store(store_options, o.keys, o.data_dir);
  if (!sealed) return sealed.error();
  fmt::print("resealed {} endpoint(s); every endpoint secret is now sealed with key {}\n", sealed->resealed,
             sealed->keyring->current_id());
  return 0;
}

int generate_key() {
  std::string key(kSecretKeyBytes, '\0');
  SecureRandom random;
  random.fill(std::span(reinterpret_cast<std::uint8_t*>(key.data()), key.size()));
  fmt::print("{}\n", base64_encode(key));
  OPENSSL_cleanse(key.data(), key.size());
  return 0;
}

}  // namespace

Run add_secrets_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("secrets", "Manage the key that seals endpoint secrets at rest");
  cmd->require_subcommand(1);
  auto o = std::make_shared<SecretsOptions>();
  auto* rekey_cmd =
      cmd->add_subcommand("rekey", "Re-seal every endpoint secret under the current key (after a rotation)");
  rekey_cmd->add_option("--data-dir", o->data_dir, "Data directory (SQLite store, secret.key)")
      ->capture_default_str();
  rekey_cmd->add_option("--store", o->store_url, "Store URL: sqlite:PATH or postgres://…");
  add_secret_key_options(*rekey_cmd, o->keys);
  auto* generate = cmd->add_subcommand("generate-key", "Print a new random key (base64 of 32 bytes)");
  return [o, rekey_cmd, generate] {
    if (generate->parsed()) return generate_key();
    if (rekey_cmd->parsed()) return rekey(*o);
    return 1;
  };
}

}  // namespace hookd::cli
