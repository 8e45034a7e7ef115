// Opening the SQLite store; applications, event types, settings and idempotency records.
#include "store/sqlite/sqlite_store.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "store/row_mapping.hpp"
#include "store/sqlite/sqlite_migrations.hpp"
#include "store/sqlite/sqlite_query.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace hookd::store {
namespace {
constexpr int kBusyTimeoutMs = 5000;
constexpr std::size_t kReaders = 4;
constexpr std::size_t kMaxBatch = 256;
}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(std::string_view path_view, const StoreOptions& options) {
  using namespace sqlite;
  std::string path(path_view);
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) {
    return invalid("store", "the SQLite store needs a file path (sqlite:PATH)");
  }
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);

  auto db = Database::open(path, Database::Mode::read_write, kBusyTimeoutMs);
  if (!db) return std::unexpected(db.error());
  {
    // WAL: readers and the writer do not block each other; one fsync per commit (of the WAL only).
    auto mode = db->prepare("PRAGMA journal_mode = WAL");
    if (!mode) return std::unexpected(mode.error());
    auto row = (*mode)->step();
    if (!row) return std::unexpected(row.error());
    if (!*row || (*mode)->text(0) != "wal") {
      return fail(ErrorKind::internal, "store_unavailable",
                  fmt::format("{}: cannot switch to WAL mode", path));
    }
  }
  // FULL: every COMMIT is fsynced before we answer, so an answered write survives power loss. NORMAL:
  // survives a process crash (kill -9) but the last commits may be lost on power loss or an OS crash.
  std::string pragmas = fmt::format(
      "PRAGMA synchronous = {}; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY; "
      "PRAGMA journal_size_limit = 67108864;",
      options.synchronous_full ? "FULL" : "NORMAL");
  if (auto r = db->exec(pragmas); !r) return std::unexpected(r.error());
  if (auto applied = apply_migrations(*db); !applied) return std::unexpected(applied.error());

  auto readers = ReadPool::open(path, kReaders, kBusyTimeoutMs);
  if (!readers) return std::unexpected(readers.error());
  auto writer = std::make_unique<GroupCommitWriter>(std::move(*db), kMaxBatch, options.synchronous_full);
  return std::make_unique<SqliteStore>(std::move(writer), std::move(*readers), options.secret_keyring);
}

std::optional<SqliteWriterStats> sqlite_writer_stats(Store& store) {
  auto* sqlite_store = dynamic_cast<sqlite::SqliteStore*>(&store);
  if (sqlite_store == nullptr) return std::nullopt;
  return sqlite_store->writer().stats();
}

std::optional<std::uint64_t> sqlite_reads(Store& store) {
  auto* sqlite_store = dynamic_cast<sqlite::SqliteStore*>(&store);
  if (sqlite_store == nullptr) return std::nullopt;
  return sqlite_store->reads();
}

Result<void> sqlite_exec_in_writer(Store& store, std::string sql) {
  auto* sqlite_store = dynamic_cast<sqlite::SqliteStore*>(&store);
  if (sqlite_store == nullptr) return internal_error("not an SQLite store");
  return sqlite_store->writer().submit([sql](sqlite::WriteTx& tx) { return tx.db.exec(sql); });
}

Result<void> sqlite_run_in_writer(Store& store, std::function<Result<void>()> job) {
  auto* sqlite_store = dynamic_cast<sqlite::SqliteStore*>(&store);
  if (sqlite_store == nullptr) return internal_error("not an SQLite store");
  return sqlite_store->writer().submit([job = std::move(job)](sqlite::WriteTx&) { return job(); });
}

}  // namespace hookd::store

namespace hookd::store::sqlite {

// ---- applications ----

Result<Application> SqliteStore::create_application(const Application& app) {
  return write_config([&](WriteTx& tx) -> Result<Application> {
    auto inserted =
        execute(tx.db,
                "INSERT INTO applications (id, uid, name, rate_limit, metadata, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                app.id, app.uid, app.name, app.rate_limit, app.metadata_json, app.created_at, app.updated_at);
    if (!inserted) {
      return std::unexpected(rename_conflict(
          inserted.error(), "conflict",
          fmt::format("an application with uid '{}' already exists", app.uid.value_or(app.id))));
    }
    return app;
  });
}

namespace {
const std::string kSelectApplication =
    fmt::format("SELECT {} FROM applications WHERE id = ?1 OR uid = ?1 ORDER BY id = ?1 DESC LIMIT 1",
                kApplicationColumns);
}  // namespace

Result<Application> SqliteStore::get_application(std::string_view id_or_uid) {
  return config_.application(id_or_uid, [&] {
    return read([&](Database& db) {
      return query_one<Application>(db, kSelectApplication, "application not found", read_application,
                                    id_or_uid);
    });
  });
}

Result<Application> SqliteStore::update_application(const Application& app) {
  return write_config([&](WriteTx& tx) -> Result<Application> {
    auto updated = execute(tx.db,
                           "UPDATE applications SET uid = ?, name = ?, rate_limit = ?, metadata = ?, "
                           "updated_at = ? WHERE id = ?",
                           app.uid, app.name, app.rate_limit, app.metadata_json, app.updated_at, app.id);
    if (!updated) {
      return std::unexpected(
          rename_conflict(updated.error(), "conflict",
                          fmt::format("an application with uid '{}' already exists", app.uid.value_or(""))));
    }
    if (*updated == 0) return not_found("application not found");
    return query_one<Application>(tx.db, kSelectApplication, "application not found", read_application,
                                  app.id);
  });
}

Result<void> SqliteStore::delete_application(std::string_view id_or_uid) {
  return write_config([&](WriteTx& tx) -> Result<void> {
    auto app = query_one<Application>(tx.db, kSelectApplication, "application not found", read_application,
                                      id_or_uid);
    if (!app) return std::unexpected(app.error());
    const std::string& id = app->id;
    // Children first; every delivery belongs to an endpoint of the app (checked when it was written).
    for (std::string_view sql : {
             "DELETE FROM attempts WHERE app_id = ?",
             "DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = ?)",
             "DELETE FROM messages WHERE app_id = ?",
             "DELETE FROM endpoints WHERE app_id = ?",
             "DELETE FROM applications WHERE id = ?",
         }) {
      if (auto r = execute(tx.db, sql, id); !r) return std::unexpected(r.error());
    }
    return {};
  });
}

Result<Page<Application>> SqliteStore::list_applications(const PageRequest& page) {
  return read([&](Database& db) {
    QueryBuilder query(fmt::format("SELECT {} FROM applications", kApplicationColumns));
    query.page("id", /*list_ascending=*/true, page);
    return query.run_page<Application>(db, read_application);
  });
}

// ---- event types ----

namespace {
const std::string kSelectEventType =
    fmt::format("SELECT {} FROM event_types WHERE name = ?", kEventTypeColumns);
const std::string kInsertEventType =
    fmt::format("INSERT INTO event_types ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", kEventTypeColumns);

Result<std::int64_t> insert_event_type(Database& db, const EventType& t, std::string_view on_conflict) {
  return execute(db, kInsertEventType + std::string(on_conflict), t.name, t.description, t.group_name,
                 t.schemas_json, t.examples_json, t.body_format, t.form_type, t.deprecated, t.archived,
                 t.created_at, t.updated_at);
}
}  // namespace

Result<EventType> SqliteStore::create_event_type(const EventType& type) {
  return write_config([&](WriteTx& tx) -> Result<EventType> {
    auto inserted = insert_event_type(tx.db, type, "");
    if (!inserted) {
      return std::unexpected(rename_conflict(inserted.error(), "event_type_exists",
                                             fmt::format("event type '{}' already exists", type.name)));
    }
    return type;
  });
}

Result<EventType> SqliteStore::get_event_type(std::string_view name) {
  return config_.event_type(name, [&] {
    return read([&](Database& db) {
      return query_one<EventType>(db, kSelectEventType, "event type not found", read_event_type, name);
    });
  });
}

Result<EventType> SqliteStore::update_event_type(const EventType& t) {
  return write_config([&](WriteTx& tx) -> Result<EventType> {
    auto updated =
        execute(tx.db,
                "UPDATE event_types SET description = ?, group_name = ?, schemas = ?, examples = ?, "
                "body_format = ?, form_type = ?, deprecated = ?, archived = ?, updated_at = ? "
                "WHERE name = ?",
                t.description, t.group_name, t.schemas_json, t.examples_json, t.body_format, t.form_type,
                t.deprecated, t.archived, t.updated_at, t.name);
    if (!updated) return std::unexpected(updated.error());
    if (*updated == 0) return not_found("event type not found");
    return query_one<EventType>(tx.db, kSelectEventType, "event type not found", read_event_type, t.name);
  });
}

Result<void> SqliteStore::delete_event_type(std::string_view name) {
  return write_config([&](WriteTx& tx) -> Result<void> {
    auto deleted = execute(tx.db, "DELETE FROM event_types WHERE name = ?", name);
    if (!deleted) return std::unexpected(deleted.error());
    if (*deleted == 0) return not_found("event type not found");
    return {};
  });
}

Result<Page<EventType>> SqliteStore::list_event_types(const PageRequest& page, bool include_archived) {
  return read([&](Database& db) {
    QueryBuilder query(fmt::format("SELECT {} FROM event_types", kEventTypeColumns));
    if (!include_archived) query.where("archived = 0");
    query.page("name", /*list_ascending=*/true, page);
    return query.run_page<EventType>(db, read_event_type);
  });
}

Result<int> SqliteStore::import_event_types(std::span<const EventType> types, bool overwrite) {
  return write_config([&](WriteTx& tx) -> Result<int> {
    std::string_view on_conflict = overwrite ? kEventTypeImportOverwrite : kEventTypeImportKeep;
    int count = 0;
    for (const auto& type : types) {
      auto changed = insert_event_type(tx.db, type, on_conflict);
      if (!changed) return std::unexpected(changed.error());
      count += static_cast<int>(*changed);
    }
    return count;
  });
}

// ---- settings and idempotency records ----

Result<std::optional<std::string>> SqliteStore::get_setting(std::string_view key) {
  return config_.setting(key, [&] {
    return read([&](Database& db) -> Result<std::optional<std::string>> {
      auto value = query_one<std::string>(
          db, "SELECT value FROM settings WHERE key = ?", "setting not found",
          [](const Statement& row) { return row.text(0); }, key);
      if (value) return std::optional<std::string>(std::move(*value));
      if (value.error().kind == ErrorKind::not_found) return std::optional<std::string>();
      return std::unexpected(value.error());
    });
  });
}

Result<void> SqliteStore::set_setting(std::string_view key, std::string_view value) {
  return write_config([&](WriteTx& tx) -> Result<void> {
    auto r = execute(tx.db,
                     "INSERT INTO settings (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     key, value);
    if (!r) return std::unexpected(r.error());
    return {};
  });
}

Result<std::optional<IdempotencyRecord>> SqliteStore::get_idempotency(std::string_view key, TimePoint now) {
  auto found = read([&](Database& db) {
    return query_one<IdempotencyRecord>(
        db, "SELECT key, status, body, expires_at FROM idempotency WHERE key = ?", "no record",
        [](const Statement& row) {
          return IdempotencyRecord{row.text(0), row.int32(1), row.text(2), row.time(3)};
        },
        key);
  });
  if (!found) {
    if (found.error().kind == ErrorKind::not_found) return std::optional<IdempotencyRecord>();
    return std::unexpected(found.error());
  }
  if (found->expires_at <= now) {
    // Lazy cleanup: whoever meets an expired record sweeps a bounded batch of expired ones, without
    // waiting for it (an unbounded sweep would hold the writer; retention removes the rest in batches).
    writer_->submit_detached([now](WriteTx& tx) -> Result<void> {
      auto r = execute(tx.db,
                       "DELETE FROM idempotency WHERE key IN "
                       "(SELECT key FROM idempotency WHERE expires_at <= ? LIMIT 1000)",
                       now);
      if (!r) return std::unexpected(r.error());
      return {};
    });
    return std::optional<IdempotencyRecord>();
  }
  return std::optional<IdempotencyRecord>(std::move(*found));
}

Result<void> put_idempotency_record(Database& db, const IdempotencyRecord& r) {
  auto put =
      execute(db, "INSERT OR REPLACE INTO idempotency (key, status, body, expires_at) VALUES (?, ?, ?, ?)",
              r.key, r.status, r.body, r.expires_at);
  if (!put) return std::unexpected(put.error());
  return {};
}

Result<void> SqliteStore::put_idempotency(const IdempotencyRecord& record) {
  return write([&](WriteTx& tx) { return put_idempotency_record(tx.db, record); });
}

}  // namespace hookd::store::sqlite
