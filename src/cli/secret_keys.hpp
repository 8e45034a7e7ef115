#pragma once
// Where the key that seals endpoint secrets at rest comes from (docs/RELIABILITY.md, "Secrets at rest").
//   current key: --secret-key-file PATH, else HOOKD_SECRET_KEY (base64 of 32 bytes), else
//                <data-dir>/secret.key (SQLite only: created on first start, 32 random bytes, mode 0600).
//   old keys:    --secret-key-old-file PATH (repeatable) and HOOKD_SECRET_KEY_OLD (comma-separated base64);
//                they only open values, for a key rotation.
// A PostgreSQL store is shared by several nodes, which must all hold the same key: it needs the key given
// explicitly (flag or environment), never a key file made up by one node.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/secret_box.hpp"
#include "store/store.hpp"

namespace hookd::cli {

struct SecretKeyOptions {
  std::string key_file;                    // --secret-key-file
  std::vector<std::string> old_key_files;  // --secret-key-old-file
};

// Registers --secret-key-file and --secret-key-old-file on `cmd`.
void add_secret_key_options(CLI::App& cmd, SecretKeyOptions& options);

// The keyring for a store at `store_url` with data directory `data_dir`.
Result<std::shared_ptr<const SecretKeyring>> load_secret_keyring(const SecretKeyOptions& options,
                                                                 const std::string& data_dir,
                                                                 const std::string& store_url);

// The store URL `serve` and `secrets` use: --store, or the SQLite file in the data directory.
std::string store_url_for(const std::string& store_url, const std::string& data_dir);

// Opens the store described by `options` (its url set) with the keyring for it, then reseals every endpoint
// secret under the current key, refusing a store whose secrets do not open (a wrong key). On failure it has
// printed why to stderr and the error holds the exit code (2: key problem, 1: store problem).
struct SealedStore {
  std::unique_ptr<store::Store> store;
  std::shared_ptr<const SecretKeyring> keyring;
  int resealed = 0;  // endpoints whose secrets were rewritten now
};
std::expected<SealedStore, int> open_sealed_store(store::StoreOptions options, const SecretKeyOptions& keys,
                                                  const std::string& data_dir);

}  // namespace hookd::cli
