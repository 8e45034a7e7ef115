// Opening the PostgreSQL store; applications, event types, settings and idempotency records.
#include "store/postgres/pg_store.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include "store/postgres/pg_migrations.hpp"
#include "store/postgres/pg_query.hpp"
#include "store/postgres/pg_store_impl.hpp"
#include "store/row_mapping.hpp"

namespace hookd::store {
namespace {
constexpr std::size_t kPoolSize = 8;

// A random token naming this store instance in its NOTIFY payloads.
std::string random_token() {
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return fmt::format("{}", static_cast<const void*>(bytes));
  std::string out;
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}
}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(std::string_view url, const StoreOptions& options) {
  using namespace postgres;
  std::string conninfo(url);
  // synchronous_commit on: a COMMIT returns once its WAL is flushed on the server (PostgreSQL groups the
  // flushes of concurrent commits). Off: a server crash may lose the last commits; a hookd crash never does.
  const std::string session = fmt::format("SET synchronous_commit TO {}; SET application_name TO 'hookd'",
                                          options.synchronous_full ? "on" : "off");
  auto pool = std::make_unique<ConnectionPool>(
      conninfo, kPoolSize, [session](PgConnection& conn) { return conn.exec_script(session); });
  {
    auto lease = pool->acquire();
    if (!lease) return std::unexpected(lease.error());
    if (auto applied = apply_migrations(lease->conn()); !applied) return std::unexpected(applied.error());
  }
  return std::make_unique<PgStore>(std::move(conninfo), std::move(pool), random_token(),
                                   options.secret_keyring);
}

}  // namespace hookd::store

namespace hookd::store::postgres {

PgStore::PgStore(std::string conninfo, std::unique_ptr<ConnectionPool> pool, std::string token,
                 std::shared_ptr<const SecretKeyring> keyring)
    : conninfo_(std::move(conninfo)),
      pool_(std::move(pool)),
      token_(std::move(token)),
      keyring_(std::move(keyring)) {
  listener_thread_ = std::make_unique<WorkNotificationListener>(conninfo_, token_, [this] { wake_local(); });
  notifier_ = std::make_unique<WorkNotifier>(conninfo_, token_);
}

PgStore::~PgStore() {
  listener_thread_.reset();  // joins the thread before the members it calls into go away
}

void PgStore::set_work_listener(std::function<void()> listener) {
  std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

void PgStore::wake_local() {
  std::function<void()> listener;
  {
    std::lock_guard lock(listener_mutex_);
    listener = listener_;
  }
  if (listener) listener();
}

// ---- applications ----

namespace {
const std::string kSelectApplication =
    fmt::format("SELECT {} FROM applications WHERE id = $1 OR uid = $1 ORDER BY id = $1 DESC LIMIT 1",
                kApplicationColumns);

Result<Application> find_application(PgConnection& conn, std::string_view id_or_uid) {
  return query_one<Application>(conn, kSelectApplication, Params(id_or_uid), "application not found",
                                read_application);
}
}  // namespace

Result<Application> PgStore::create_application(const Application& app) {
  return write([&](WriteTx& tx) -> Result<Application> {
    auto inserted = execute(
        tx.conn,
        "INSERT INTO applications (id, uid, name, rate_limit, metadata, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        Params(app.id, app.uid, app.name, app.rate_limit, app.metadata_json, app.created_at, app.updated_at));
    if (!inserted) {
      return std::unexpected(rename_conflict(
          inserted.error(), "conflict",
          fmt::format("an application with uid '{}' already exists", app.uid.value_or(app.id))));
    }
    return app;
  });
}

Result<Application> PgStore::get_application(std::string_view id_or_uid) {
  return read([&](PgConnection& conn) { return find_application(conn, id_or_uid); });
}

Result<Application> PgStore::update_application(const Application& app) {
  return write([&](WriteTx& tx) -> Result<Application> {
    auto updated =
        execute(tx.conn,
                "UPDATE applications SET uid = $1, name = $2, rate_limit = $3, metadata = $4, "
                "updated_at = $5 WHERE id = $6",
                Params(app.uid, app.name, app.rate_limit, app.metadata_json, app.updated_at, app.id));
    if (!updated) {
      return std::unexpected(
          rename_conflict(updated.error(), "conflict",
                          fmt::format("an application with uid '{}' already exists", app.uid.value_or(""))));
    }
    if (*updated == 0) return not_found("application not found");
    return find_application(tx.conn, app.id);
  });
}

Result<void> PgStore::delete_application(std::string_view id_or_uid) {
  return write([&](WriteTx& tx) -> Result<void> {
    auto app = find_application(tx.conn, id_or_uid);
    if (!app) return std::unexpected(app.error());
    // Children first; every delivery belongs to an endpoint of the app (checked when it was written).
    for (std::string_view sql : {
             "DELETE FROM attempts WHERE app_id = $1",
             "DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = $1)",
             "DELETE FROM messages WHERE app_id = $1",
             "DELETE FROM endpoints WHERE app_id = $1",
             "DELETE FROM applications WHERE id = $1",
         }) {
      if (auto r = execute(tx.conn, sql, Params(app->id)); !r) return std::unexpected(r.error());
    }
    return {};
  });
}

Result<Page<Application>> PgStore::list_applications(const PageRequest& page) {
  return read([&](PgConnection& conn) {
    QueryBuilder query(fmt::format("SELECT {} FROM applications", kApplicationColumns));
    query.page("id", /*list_ascending=*/true, page);
    return query.run_page<Application>(conn, read_application);
  });
}

// ---- event types ----

namespace {
const std::string kSelectEventType =
    fmt::format("SELECT {} FROM event_types WHERE name = $1", kEventTypeColumns);
const std::string kInsertEventType = fmt::format(
    "INSERT INTO event_types ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", kEventTypeColumns);

Result<std::int64_t> insert_event_type(PgConnection& conn, const EventType& t, std::string_view on_conflict) {
  return execute(conn, kInsertEventType + std::string(on_conflict),
                 Params(t.name, t.description, t.group_name, t.schemas_json, t.examples_json, t.body_format,
                        t.form_type, t.deprecated, t.archived, t.created_at, t.updated_at));
}
}  // namespace

Result<EventType> PgStore::create_event_type(const EventType& type) {
  return write([&](WriteTx& tx) -> Result<EventType> {
    auto inserted = insert_event_type(tx.conn, type, "");
    if (!inserted) {
      return std::unexpected(rename_conflict(inserted.error(), "event_type_exists",
                                             fmt::format("event type '{}' already exists", type.name)));
    }
    return type;
  });
}

Result<EventType> PgStore::load_event_type(PgConnection& conn, std::string_view name) {
  return query_one<EventType>(conn, kSelectEventType, Params(name), "event type not found", read_event_type);
}

Result<EventType> PgStore::get_event_type(std::string_view name) {
  return read([&](PgConnection& conn) { return load_event_type(conn, name); });
}

Result<EventType> PgStore::update_event_type(const EventType& t) {
  return write([&](WriteTx& tx) -> Result<EventType> {
    auto updated = execute(tx.conn,
                           "UPDATE event_types SET description = $1, group_name = $2, schemas = $3, "
                           "examples = $4, body_format = $5, form_type = $6, deprecated = $7, archived = $8, "
                           "updated_at = $9 WHERE name = $10",
                           Params(t.description, t.group_name, t.schemas_json, t.examples_json, t.body_format,
                                  t.form_type, t.deprecated, t.archived, t.updated_at, t.name));
    if (!updated) return std::unexpected(updated.error());
    if (*updated == 0) return not_found("event type not found");
    return query_one<EventType>(tx.conn, kSelectEventType, Params(t.name), "event type not found",
                                read_event_type);
  });
}

Result<void> PgStore::delete_event_type(std::string_view name) {
  return write([&](WriteTx& tx) -> Result<void> {
    auto deleted = execute(tx.conn, "DELETE FROM event_types WHERE name = $1", Params(name));
    if (!deleted) return std::unexpected(deleted.error());
    if (*deleted == 0) return not_found("event type not found");
    return {};
  });
}

Result<Page<EventType>> PgStore::list_event_types(const PageRequest& page, bool include_archived) {
  return read([&](PgConnection& conn) {
    QueryBuilder query(fmt::format("SELECT {} FROM event_types", kEventTypeColumns));
    if (!include_archived) query.where("NOT archived");
    query.page("name", /*list_ascending=*/true, page);
    return query.run_page<EventType>(conn, read_event_type);
  });
}

Result<int> PgStore::import_event_types(std::span<const EventType> types, bool overwrite) {
  return write([&](WriteTx& tx) -> Result<int> {
    std::string_view on_conflict = overwrite ? kEventTypeImportOverwrite : kEventTypeImportKeep;
    int count = 0;
    for (const auto& type : types) {
      auto changed = insert_event_type(tx.conn, type, on_conflict);
      if (!changed) return std::unexpected(changed.error());
      count += static_cast<int>(*changed);
    }
    return count;
  });
}

// ---- settings and idempotency records ----

Result<std::optional<std::string>> PgStore::load_setting(PgConnection& conn, std::string_view key) {
  auto result = conn.exec("SELECT value FROM settings WHERE key = $1", Params(key));
  if (!result) return std::unexpected(result.error());
  if (result->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(result->row(0).text(0));
}

Result<std::optional<std::string>> PgStore::get_setting(std::string_view key) {
  return read([&](PgConnection& conn) { return load_setting(conn, key); });
}

Result<void> PgStore::set_setting(std::string_view key, std::string_view value) {
  return write([&](WriteTx& tx) -> Result<void> {
    auto r = execute(tx.conn,
                     "INSERT INTO settings (key, value) VALUES ($1, $2) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     Params(key, value));
    if (!r) return std::unexpected(r.error());
    return {};
  });
}

Result<std::optional<IdempotencyRecord>> PgStore::get_idempotency(std::string_view key, TimePoint now) {
  return read([&](PgConnection& conn) -> Result<std::optional<IdempotencyRecord>> {
    auto result =
        conn.exec("SELECT key, status, body, expires_at FROM idempotency WHERE key = $1", Params(key));
    if (!result) return std::unexpected(result.error());
    if (result->rows() == 0) return std::optional<IdempotencyRecord>();
    Row row = result->row(0);
    IdempotencyRecord record{row.text(0), row.int32(1), row.text(2), row.time(3)};
    if (record.expires_at > now) return std::optional<IdempotencyRecord>(std::move(record));
    // Lazy cleanup: whoever meets an expired record sweeps a bounded batch of expired ones. A failure
    // here changes nothing for the caller (the record is ignored either way).
    (void)conn.exec(
        "DELETE FROM idempotency WHERE key IN "
        "(SELECT key FROM idempotency WHERE expires_at <= $1 LIMIT 1000)",
        Params(now));
    return std::optional<IdempotencyRecord>();
  });
}

Result<void> put_idempotency_record(PgConnection& conn, const IdempotencyRecord& r) {
  auto put = execute(conn,
                     "INSERT INTO idempotency (key, status, body, expires_at) VALUES ($1, $2, $3, $4) "
                     "ON CONFLICT (key) DO UPDATE SET status = excluded.status, body = excluded.body, "
                     "expires_at = excluded.expires_at",
                     Params(r.key, r.status, r.body, r.expires_at));
  if (!put) return std::unexpected(put.error());
  return {};
}

Result<void> PgStore::put_idempotency(const IdempotencyRecord& record) {
  return write([&](WriteTx& tx) { return put_idempotency_record(tx.conn, record); });
}

}  // namespace hookd::store::postgres
