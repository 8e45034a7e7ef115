// Endpoint secrets at rest (store/secret_columns): neither the SQLite files nor the PostgreSQL table hold a
// signing secret or auth_secret in clear; the API-facing Store still returns them, signatures still verify;
// rows from before encryption are read and resealed; a wrong key is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/secret_box.hpp"
#include "core/secrets.hpp"
#include "delivery/attempt_redaction.hpp"
#include "delivery/form_encoder.hpp"
#include "delivery/signing.hpp"
#include "pg_cluster.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace hookd::store {
namespace {

using namespace std::chrono_literals;

template <class T>
T must(Result<T> r, std::string_view what = "") {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().code + ": " + r.error().detail);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::shared_ptr<const SecretKeyring> keyring_of(char fill, std::vector<std::string> old = {}) {
  return std::make_shared<const SecretKeyring>(must(SecretKeyring::make(std::string(32, fill), old)));
}

// The secret's text and its base64 key part (what a leak would show), for every secret of the test.
std::vector<std::string> needles(const std::vector<std::string>& secrets) {
  std::vector<std::string> out;
  for (const auto& s : secrets) {
    out.push_back(s);
    // The key without its prefix. Only a known prefix is cut: the random part itself may hold a '_', and
    // what follows one can be two characters, which random bytes in the files contain by chance.
    if (s.starts_with("whsec_")) out.push_back(s.substr(6));
  }
  return out;
}

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every byte of every file in `dir` (the database, its WAL and shared-memory files).
std::string dir_bytes(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) all += file_bytes(entry.path());
  return all;
}

class SecretsAtRest {
 protected:
  Application add_app(Store& store) {
    Application app;
    app.id = ids_.next(id_prefix::application);
    app.name = "app";
    app.created_at = app.updated_at = t0_;
    return must(store.create_application(app), "create_application");
  }
  // An endpoint with a signing secret and a form auth_secret, then a rotation that keeps the old secret for
  // its grace period (what the API's rotate route stores).
  Endpoint add_rotated_endpoint(Store& store, const std::string& app_id) {
    Endpoint ep;
    ep.id = ids_.next(id_prefix::endpoint);
    ep.app_id = app_id;
    ep.url = "https://example.com/hook";
    ep.secrets = {EndpointSecret{first_secret_, std::nullopt}};
    ep.body_format = BodyFormat::form;
    ep.auth_id = "shop-1";
    ep.auth_secret = auth_secret_;
    ep.created_at = ep.updated_at = t0_;
    ep = must(store.create_endpoint(ep), "create_endpoint");
    ep.secrets = {EndpointSecret{second_secret_, std::nullopt}, EndpointSecret{first_secret_, t0_ + 24h}};
    return must(store.update_endpoint(ep), "update_endpoint");
  }
  void expect_secrets(const Endpoint& ep) {
    ASSERT_EQ(ep.secrets.size(), 2u);
    EXPECT_EQ(ep.secrets[0].key, second_secret_);
    EXPECT_EQ(ep.secrets[1].key, first_secret_);
    EXPECT_EQ(ep.secrets[1].expires_at, t0_ + 24h);
    EXPECT_EQ(ep.auth_secret, auth_secret_);
    // A signature made with what the store returns verifies with the secret the receiver was given.
    std::vector<std::string> keys{ep.secrets[0].key};
    auto header = must(delivery::signature_header(keys, "msg_1", 1700000000, "{}"), "sign");
    EXPECT_TRUE(delivery::verify(second_secret_, "msg_1", 1700000000, "{}", header));
  }
  std::vector<std::string> all_needles() const {
    return needles({first_secret_, second_secret_, auth_secret_});
  }

  SystemClock clock_;
  SecureRandom random_;
  IdGenerator ids_{clock_, random_};
  TimePoint t0_ = from_millis(1'700'000'000'000);
  const std::string first_secret_ = generate_symmetric_secret(random_);
  const std::string second_secret_ = generate_symmetric_secret(random_);
  const std::string auth_secret_ = "form-password-" + generate_token("", random_, 12);
};

// ---- SQLite ----

class SqliteSecretsAtRest : public SecretsAtRest, public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookd-secrets-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open(std::shared_ptr<const SecretKeyring> keyring) {
    StoreOptions options;
    options.url = "sqlite:" + path();
    options.secret_keyring = std::move(keyring);
    return must(open_sqlite_store(path(), options), "open_sqlite_store");
  }
  std::string path() const { return (dir_ / "hookd.db").string(); }
  void expect_no_clear_text() {
    const std::string bytes = dir_bytes(dir_);
    ASSERT_GT(bytes.size(), 0u);
    for (const auto& n : all_needles()) EXPECT_EQ(bytes.find(n), std::string::npos) << n << " found in clear";
  }

  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

TEST_F(SqliteSecretsAtRest, FilesHoldNoSecretInClearAndTheStoreReturnsThem) {
  auto keyring = keyring_of('k');
  std::string app_id, ep_id;
  {
    auto store = open(keyring);
    app_id = add_app(*store).id;
    auto ep = add_rotated_endpoint(*store, app_id);
    ep_id = ep.id;
    expect_secrets(ep);
    // While the store is open (WAL and shared memory files present) and after it closed.
    expect_no_clear_text();
    expect_secrets(must(store->get_endpoint(app_id, ep_id)));
    expect_secrets(must(store->get_endpoint_by_id(ep_id)));
    expect_secrets(must(store->all_endpoints(app_id)).at(0));
    expect_secrets(must(store->list_endpoints(app_id, PageRequest{})).items.at(0));
  }
  expect_no_clear_text();
  // The sealed form is on disk: the key id and the version prefix.
  EXPECT_NE(dir_bytes(dir_).find("enc:v1:" + keyring->current_id() + ":"), std::string::npos);

  auto store = open(keyring);  // restart with the same key
  expect_secrets(must(store->get_endpoint(app_id, ep_id)));
  EXPECT_EQ(must(store->reseal_endpoint_secrets()), 0) << "nothing to reseal under the same key";
}

TEST_F(SqliteSecretsAtRest, WrongKeyIsRefusedClearly) {
  std::string app_id, ep_id;
  {
    auto store = open(keyring_of('k'));
    app_id = add_app(*store).id;
    ep_id = add_rotated_endpoint(*store, app_id).id;
  }
  auto store = open(keyring_of('w'));
  auto resealed = store->reseal_endpoint_secrets();
  ASSERT_FALSE(resealed);
  EXPECT_NE(resealed.error().detail.find("cannot decrypt endpoint secrets"), std::string::npos);
  EXPECT_NE(resealed.error().detail.find("key id " + keyring_of('k')->current_id() + " not in keyring"),
            std::string::npos)
      << resealed.error().detail;
  auto got = store->get_endpoint(app_id, ep_id);
  ASSERT_FALSE(got) << "a wrong key must never yield garbage secrets";
  EXPECT_NE(got.error().detail.find("cannot decrypt endpoint secrets"), std::string::npos);
}

TEST_F(SqliteSecretsAtRest, ClearTextRowsFromBeforeEncryptionAreReadThenResealed) {
  std::string app_id, ep_id;
  {
    auto legacy = open(nullptr);  // a database written before encryption at rest
    app_id = add_app(*legacy).id;
    ep_id = add_rotated_endpoint(*legacy, app_id).id;
  }
  ASSERT_NE(dir_bytes(dir_).find(second_secret_), std::string::npos) << "the legacy row should be in clear";
  {
    auto store = open(keyring_of('k'));
    expect_secrets(must(store->get_endpoint(app_id, ep_id)));  // read in clear
    EXPECT_EQ(must(store->reseal_endpoint_secrets()), 1);
    EXPECT_EQ(must(store->reseal_endpoint_secrets()), 0);
    expect_secrets(must(store->get_endpoint(app_id, ep_id)));
  }
  expect_no_clear_text();
}

TEST_F(SqliteSecretsAtRest, RotationKeepsOldKeyRowsReadableAndRekeyMovesThemToTheNewKey) {
  auto old_key = keyring_of('o');
  std::string app_id, ep_id;
  {
    auto store = open(old_key);
    app_id = add_app(*store).id;
    ep_id = add_rotated_endpoint(*store, app_id).id;
  }
  auto rotated = keyring_of('n', {std::string(32, 'o')});
  {
    auto store = open(rotated);
    expect_secrets(must(store->get_endpoint(app_id, ep_id)));  // old-key row read with the old key
    EXPECT_EQ(must(store->reseal_endpoint_secrets()), 1);
  }
  const std::string bytes = dir_bytes(dir_);
  EXPECT_NE(bytes.find("enc:v1:" + rotated->current_id() + ":"), std::string::npos);
  // After the rekey the new key alone opens everything.
  auto store = open(keyring_of('n'));
  expect_secrets(must(store->get_endpoint(app_id, ep_id)));
  EXPECT_EQ(must(store->reseal_endpoint_secrets()), 0);
}

TEST_F(SqliteSecretsAtRest, SealedValueMovedToAnotherEndpointDoesNotOpen) {
  auto keyring = keyring_of('k');
  std::string app_id, ep_a, ep_b;
  {
    auto store = open(keyring);
    app_id = add_app(*store).id;
    ep_a = add_rotated_endpoint(*store, app_id).id;
    ep_b = add_rotated_endpoint(*store, app_id).id;
    // Copy A's sealed secrets onto B, as someone with write access to the file could.
    must(sqlite_exec_in_writer(
        *store, "UPDATE endpoints SET secrets = (SELECT secrets FROM endpoints WHERE id = '" + ep_a +
                    "') WHERE id = '" + ep_b + "'"));
    EXPECT_TRUE(store->get_endpoint(app_id, ep_a));
    auto b = store->get_endpoint(app_id, ep_b);
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().detail.find("does not authenticate"), std::string::npos) << b.error().detail;
  }
}

// ---- PostgreSQL: the raw table ----

class PostgresSecretsAtRest : public SecretsAtRest, public ::testing::Test {
 protected:
  void SetUp() override { url_ = hookd::testing::PgCluster::shared().create_database(); }
  std::unique_ptr<Store> open(std::shared_ptr<const SecretKeyring> keyring) {
    StoreOptions options;
    options.url = url_;
    options.secret_keyring = std::move(keyring);
    return must(open_postgres_store(url_, options), "open_postgres_store");
  }
  // Every stored column of the endpoints table, as text, outside the store.
  std::string raw_endpoints() {
    auto conn = must(postgres::PgConnection::connect(url_), "connect");
    auto result = must(conn.exec("SELECT e::text FROM endpoints e"), "select");
    std::string all;
    for (int i = 0; i < result.rows(); ++i) all += result.row(i).text(0) + "\n";
    return all;
  }
  void expect_no_clear_text() {
    const std::string raw = raw_endpoints();
    ASSERT_NE(raw.find("enc:v1:"), std::string::npos) << raw;
    for (const auto& n : all_needles()) EXPECT_EQ(raw.find(n), std::string::npos) << n << " found in clear";
  }
  std::string url_;
};

TEST_F(PostgresSecretsAtRest, TableHoldsNoSecretInClearAndTheStoreReturnsThem) {
  auto keyring = keyring_of('k');
  auto store = open(keyring);
  auto app_id = add_app(*store).id;
  auto ep = add_rotated_endpoint(*store, app_id);
  expect_secrets(ep);
  expect_no_clear_text();
  expect_secrets(must(store->get_endpoint(app_id, ep.id)));
  expect_secrets(must(store->get_endpoint_by_id(ep.id)));
  expect_secrets(must(store->all_endpoints(app_id)).at(0));
  expect_secrets(must(store->list_endpoints(app_id, PageRequest{})).items.at(0));

  // Another node with another key refuses; one with the key as an old key reads and rekeys.
  auto wrong = open(keyring_of('w'));
  auto refused = wrong->reseal_endpoint_secrets();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("key id " + keyring->current_id() + " not in keyring"),
            std::string::npos)
      << refused.error().detail;
  auto rotated = open(keyring_of('n', {std::string(32, 'k')}));
  EXPECT_EQ(must(rotated->reseal_endpoint_secrets()), 1);
  EXPECT_NE(raw_endpoints().find("enc:v1:" + keyring_of('n')->current_id() + ":"), std::string::npos);
  expect_no_clear_text();
  expect_secrets(must(open(keyring_of('n'))->get_endpoint(app_id, ep.id)));
}

TEST_F(PostgresSecretsAtRest, ClearTextRowsAreReadThenResealed) {
  auto legacy = open(nullptr);
  auto app_id = add_app(*legacy).id;
  auto ep_id = add_rotated_endpoint(*legacy, app_id).id;
  ASSERT_NE(raw_endpoints().find(second_secret_), std::string::npos);
  auto store = open(keyring_of('k'));
  expect_secrets(must(store->get_endpoint(app_id, ep_id)));
  EXPECT_EQ(must(store->reseal_endpoint_secrets()), 1);
  expect_no_clear_text();
  expect_secrets(must(store->get_endpoint(app_id, ep_id)));
}

// ---- attempts keep no form auth_secret ----

TEST(AttemptRedaction, TheEndpointsAuthSecretIsRedactedAndTheRestKept) {
  const delivery::FormOptions options{.type = "adduser", .auth_id = "shop 1", .auth_secret = "s3cr&t=x"};
  auto body = must(delivery::form_encode(R"({"auth_secret":"payload","email":"a@b.mx"})", options), "encode");
  ASSERT_NE(body.find("auth_secret=s3cr%26t%3Dx"), std::string::npos) << body;
  EXPECT_EQ(delivery::redact_form_auth_secret(body),
            "type=adduser&auth_id=shop+1&auth_secret=REDACTED&email=a%40b.mx");
  auto first =
      must(delivery::form_encode(R"({"n":1})", delivery::FormOptions{.auth_secret = "pw"}), "encode");
  EXPECT_EQ(delivery::redact_form_auth_secret(first), "auth_secret=REDACTED&n=1");
  // A field whose name only ends in auth_secret is not the secret.
  EXPECT_EQ(delivery::redact_form_auth_secret("xauth_secret=1&auth_secret=pw"),
            "xauth_secret=1&auth_secret=REDACTED");
  EXPECT_EQ(delivery::redact_form_auth_secret("a=1&b=2"), "a=1&b=2");
}

}  // namespace
}  // namespace hookd::store
