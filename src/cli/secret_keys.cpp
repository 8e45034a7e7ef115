#include "cli/secret_keys.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/clock.hpp"
#include "core/secrets.hpp"

namespace hookd::cli {
namespace {

constexpr std::string_view kKeyFileName = "secret.key";

std::unexpected<Error> key_error(std::string detail) {
  return fail(ErrorKind::invalid_input, "secret_key", std::move(detail));
}

std::string trimmed(std::string_view text) {
  const auto* ws = " \t\r\n";
  auto first = text.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(ws);
  return std::string(text.substr(first, last - first + 1));
}

// Base64 text of exactly kSecretKeyBytes.
Result<std::string> key_from_base64(std::string_view text, std::string_view source) {
  auto raw = base64_decode(trimmed(text));
  if (!raw || raw->size() != kSecretKeyBytes) {
    return key_error(fmt::format("{}: expected the base64 of {} bytes (e.g. `openssl rand -base64 32`)",
                                 source, kSecretKeyBytes));
  }
  return std::move(*raw);
}

// A key file holds the raw 32 bytes, or their base64 text. It must not be readable by others.
Result<std::string> read_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return key_error(fmt::format("{}: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return key_error(fmt::format("{}: not a regular file", path));
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return key_error(
        fmt::format("{}: permissions {:o} let other users read or change the key; "
                    "chmod 600 it",
                    path, st.st_mode & 0777));
  }
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return key_error(fmt::format("{}: cannot read", path));
  if (content.size() == kSecretKeyBytes) return content;
  auto key = key_from_base64(content, path);
  OPENSSL_cleanse(content.data(), content.size());
  if (!key) {
    return key_error(fmt::format("{}: expected {} raw bytes or their base64 text, found {} bytes", path,
                                 kSecretKeyBytes, content.size()));
  }
  return key;
}

// First start on this data directory: 32 random bytes, written with mode 0600, never overwritten.
Result<std::string> create_key_file(const std::string& path) {
  std::string key(kSecretKeyBytes, '\0');
  SecureRandom random;
  random.fill(std::span(reinterpret_cast<std::uint8_t*>(key.data()), key.size()));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return key_error(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  const bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    std::filesystem::remove(path);
    return key_error(fmt::format("cannot write {}", path));
  }
  return key;
}

bool is_sqlite(const std::string& url) {
  return url.starts_with("sqlite:");
}

}  // namespace

void add_secret_key_options(CLI::App& cmd, SecretKeyOptions& options) {
  cmd.add_option("--secret-key-file", options.key_file,
                 "Key sealing endpoint secrets at rest: 32 raw bytes or their base64, mode 0600 (default: "
                 "HOOKD_SECRET_KEY, else <data-dir>/secret.key for SQLite)");
  cmd.add_option("--secret-key-old-file", options.old_key_files,
                 "A previous key, accepted for reading during a key rotation (repeatable; also "
                 "HOOKD_SECRET_KEY_OLD, comma-separated base64)");
}

std::string store_url_for(const std::string& store_url, const std::string& data_dir) {
  if (!store_url.empty()) return store_url;
  return "sqlite:" + (std::filesystem::path(data_dir) / "hookd.db").string();
}

Result<std::shared_ptr<const SecretKeyring>> load_secret_keyring(const SecretKeyOptions& options,
                                                                 const std::string& data_dir,
                                                                 const std::string& store_url) {
  const char* env = std::getenv("HOOKD_SECRET_KEY");
  const bool has_env = env != nullptr && *env != '\0';
  if (has_env && !options.key_file.empty()) {
    return key_error("both HOOKD_SECRET_KEY and --secret-key-file are set: give one key");
  }
  Result<std::string> current = std::string();
  if (!options.key_file.empty()) {
    current = read_key_file(options.key_file);
  } else if (has_env) {
    current = key_from_base64(env, "HOOKD_SECRET_KEY");
  } else if (is_sqlite(store_url)) {
    const std::string path = (std::filesystem::path(data_dir) / kKeyFileName).string();
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    current = std::filesystem::exists(path, ec) ? read_key_file(path) : create_key_file(path);
  } else {
    return key_error(
        "a PostgreSQL store needs the key sealing endpoint secrets, the same on every node: set "
        "HOOKD_SECRET_KEY (base64 of 32 bytes) or --secret-key-file");
  }
  if (!current) return std::unexpected(current.error());

  std::vector<std::string> old;
  for (const auto& path : options.old_key_files) {
    auto key = read_key_file(path);
    if (!key) return std::unexpected(key.error());
    old.push_back(std::move(*key));
  }
  if (const char* old_env = std::getenv("HOOKD_SECRET_KEY_OLD"); old_env != nullptr) {
    std::string_view list(old_env);
    while (!list.empty()) {
      auto comma = list.find(',');
      auto item = trimmed(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (item.empty()) continue;
      auto key = key_from_base64(item, "HOOKD_SECRET_KEY_OLD");
      if (!key) return std::unexpected(key.error());
      old.push_back(std::move(*key));
    }
  }
  auto keyring = SecretKeyring::make(*current, old);
  OPENSSL_cleanse(current->data(), current->size());
  for (auto& k : old) OPENSSL_cleanse(k.data(), k.size());
  if (!keyring) return std::unexpected(keyring.error());
  return std::make_shared<const SecretKeyring>(std::move(*keyring));
}

std::expected<SealedStore, int> open_sealed_store(store::StoreOptions options, const SecretKeyOptions& keys,
                                                  const std::string& data_dir) {
  auto keyring = load_secret_keyring(keys, data_dir, options.url);
  if (!keyring) {
    fmt::print(stderr, "secret key: {}\n", keyring.error().detail);
    return std::unexpected(2);
  }
  options.secret_keyring = *keyring;
  auto store = store::open_store(options);
  if (!store) {
    fmt::print(stderr, "cannot open the store: {}\n", store.error().detail);
    return std::unexpected(1);
  }
  auto resealed = (*store)->reseal_endpoint_secrets();
  if (!resealed) {
    fmt::print(stderr, "{}\n", resealed.error().detail);
    return std::unexpected(1);
  }
  return SealedStore{std::move(*store), *keyring, *resealed};
}

}  // namespace hookd::cli
