// Endpoints: always read and written within one application.
#include <fmt/format.h>

#include "store/row_mapping.hpp"
#include "store/sqlite/sqlite_query.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace hookd::store::sqlite {
namespace {

const std::string kSelectEndpoint = fmt::format(
    "SELECT {} FROM endpoints WHERE app_id = ?1 AND (id = ?2 OR uid = ?2) ORDER BY id = ?2 DESC LIMIT 1",
    kEndpointColumns);
const std::string kSelectEndpointById =
    fmt::format("SELECT {} FROM endpoints WHERE id = ?", kEndpointColumns);

Result<Endpoint> find_endpoint(Database& db, const SecretKeyring* keyring, std::string_view app_id,
                               std::string_view id_or_uid) {
  auto stored = query_one<StoredEndpoint>(db, kSelectEndpoint, "endpoint not found", read_stored_endpoint,
                                          app_id, id_or_uid);
  if (!stored) return std::unexpected(stored.error());
  return open_endpoint(keyring, std::move(*stored));
}

Error uid_conflict(Error error, const Endpoint& ep) {
  return rename_conflict(
      std::move(error), "conflict",
      fmt::format("an endpoint with uid '{}' already exists in this application", ep.uid.value_or(ep.id)));
}

// Adds COUNT(*) by status rows of `statement` into `stats`.
Result<EndpointStats> count_by_status(StatementRef& statement) {
  EndpointStats stats;
  while (true) {
    auto row = statement->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return stats;
    std::int64_t count = statement->int64(1);
    switch (static_cast<DeliveryStatus>(statement->int32(0))) {
      case DeliveryStatus::pending:
        stats.pending += count;
        break;
      case DeliveryStatus::sending:
        stats.sending += count;
        break;
      case DeliveryStatus::succeeded:
        stats.success += count;
        break;
      case DeliveryStatus::failed:
        stats.fail += count;
        break;
    }
  }
}

}  // namespace

Result<EndpointStats> count_deliveries_by_status(Database& db, std::string_view sql,
                                                 const std::vector<BindValue>& binds) {
  auto statement = db.prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  for (std::size_t i = 0; i < binds.size(); ++i) (*statement)->bind(static_cast<int>(i) + 1, binds[i]);
  return count_by_status(*statement);
}

Result<Endpoint> SqliteStore::create_endpoint(const Endpoint& ep) {
  auto sealed = seal_secret_columns(keyring_.get(), ep);
  if (!sealed) return std::unexpected(sealed.error());
  return write_config([&](WriteTx& tx) -> Result<Endpoint> {
    auto app = query_one<bool>(
        tx.db, "SELECT 1 FROM applications WHERE id = ?", "application not found",
        [](const Statement&) { return true; }, ep.app_id);
    if (!app) return std::unexpected(app.error());
    auto inserted = execute(
        tx.db,
        fmt::format("INSERT INTO endpoints ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    kEndpointColumns),
        ep.id, ep.app_id, ep.uid, ep.url, ep.description, encode_list(ep.event_types),
        encode_list(ep.channels), ep.disabled, ep.rate_limit, ep.metadata_json, encode_headers(ep.headers),
        sealed->secrets, to_db(ep.body_format), to_db(ep.success_rule), ep.verification_ping, ep.auth_id,
        sealed->auth_secret, ep.fifo, ep.failing_since, ep.created_at, ep.updated_at);
    if (!inserted) return std::unexpected(uid_conflict(inserted.error(), ep));
    return ep;
  });
}

Result<Endpoint> SqliteStore::get_endpoint(std::string_view app_id, std::string_view id_or_uid) {
  return read([&](Database& db) { return find_endpoint(db, keyring_.get(), app_id, id_or_uid); });
}

Result<Endpoint> SqliteStore::update_endpoint(const Endpoint& ep) {
  auto sealed = seal_secret_columns(keyring_.get(), ep);
  if (!sealed) return std::unexpected(sealed.error());
  return write_config([&](WriteTx& tx) -> Result<Endpoint> {
    // Re-enabling an endpoint starts a new failing streak; otherwise failing_since is the dispatcher's
    // (record_outcomes) and an API update must not overwrite what it wrote meanwhile.
    auto updated = execute(
        tx.db,
        "UPDATE endpoints SET uid = ?, url = ?, description = ?, event_types = ?, channels = ?, "
        "failing_since = CASE WHEN ? = 0 AND disabled = 1 THEN NULL ELSE failing_since END, disabled = ?, "
        "rate_limit = ?, metadata = ?, headers = ?, secrets = ?, body_format = ?, success_rule = ?, "
        "verification_ping = ?, auth_id = ?, auth_secret = ?, fifo = ?, updated_at = ? "
        "WHERE app_id = ? AND id = ?",
        ep.uid, ep.url, ep.description, encode_list(ep.event_types), encode_list(ep.channels), ep.disabled,
        ep.disabled, ep.rate_limit, ep.metadata_json, encode_headers(ep.headers), sealed->secrets,
        to_db(ep.body_format), to_db(ep.success_rule), ep.verification_ping, ep.auth_id, sealed->auth_secret,
        ep.fifo, ep.updated_at, ep.app_id, ep.id);
    if (!updated) return std::unexpected(uid_conflict(updated.error(), ep));
    if (*updated == 0) return not_found("endpoint not found");
    return find_endpoint(tx.db, keyring_.get(), ep.app_id, ep.id);
  });
}

Result<void> SqliteStore::delete_endpoint(std::string_view app_id, std::string_view id_or_uid) {
  return write_config([&](WriteTx& tx) -> Result<void> {
    auto ep = find_endpoint(tx.db, keyring_.get(), app_id, id_or_uid);
    if (!ep) return std::unexpected(ep.error());
    if (auto r =
            execute(tx.db, "DELETE FROM attempts WHERE app_id = ? AND endpoint_id = ?", ep->app_id, ep->id);
        !r) {
      return std::unexpected(r.error());
    }
    if (auto r = execute(tx.db, "DELETE FROM deliveries WHERE endpoint_id = ?", ep->id); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = execute(tx.db, "DELETE FROM endpoints WHERE id = ?", ep->id); !r) {
      return std::unexpected(r.error());
    }
    return {};
  });
}

Result<Page<Endpoint>> SqliteStore::list_endpoints(std::string_view app_id, const PageRequest& page) {
  return read([&](Database& db) {
    QueryBuilder query(fmt::format("SELECT {} FROM endpoints", kEndpointColumns));
    query.where("app_id = ?", std::string(app_id)).page("id", /*list_ascending=*/true, page);
    auto stored = query.run_page<StoredEndpoint>(db, read_stored_endpoint);
    if (!stored) return Result<Page<Endpoint>>(std::unexpected(stored.error()));
    return open_endpoint_page(keyring_.get(), std::move(*stored));
  });
}

Result<std::vector<Endpoint>> SqliteStore::all_endpoints(std::string_view app_id) {
  return config_.endpoints(app_id, [&] { return read_all_endpoints(app_id); });
}

Result<std::vector<Endpoint>> SqliteStore::read_all_endpoints(std::string_view app_id) {
  return read([&](Database& db) -> Result<std::vector<Endpoint>> {
    std::vector<StoredEndpoint> out;
    auto rows = for_each_row(
        db, fmt::format("SELECT {} FROM endpoints WHERE app_id = ? ORDER BY id", kEndpointColumns),
        [&](const Statement& row) { out.push_back(read_stored_endpoint(row)); }, app_id);
    if (!rows) return std::unexpected(rows.error());
    return open_endpoints(keyring_.get(), std::move(out));
  });
}

Result<EndpointStats> SqliteStore::endpoint_stats(std::string_view app_id, std::string_view endpoint_id,
                                                  std::optional<TimePoint> since,
                                                  std::optional<TimePoint> until) {
  return read([&](Database& db) -> Result<EndpointStats> {
    auto ep = find_endpoint(db, keyring_.get(), app_id, endpoint_id);
    if (!ep) return std::unexpected(ep.error());
    std::string sql = "SELECT status, COUNT(*) FROM deliveries WHERE endpoint_id = ?";
    std::vector<BindValue> binds{ep->id};
    if (since) {
      sql += " AND created_at >= ?";
      binds.emplace_back(to_millis(*since));
    }
    if (until) {
      sql += " AND created_at < ?";
      binds.emplace_back(to_millis(*until));
    }
    sql += " GROUP BY status";
    return count_deliveries_by_status(db, sql, binds);
  });
}

// From the cache: the dispatcher asks for every batch it starts, and a read transaction cost about 40,000
// instructions and three system calls each time (at ingest, nearly one a message). Exact: record_outcomes
// drops the cache when it changes an endpoint's failing streak or disables it (docs/DESIGN.md).
Result<Endpoint> SqliteStore::get_endpoint_by_id(std::string_view endpoint_id) {
  return config_.endpoint(endpoint_id, [&] {
    return read([&](Database& db) -> Result<Endpoint> {
      auto stored = query_one<StoredEndpoint>(db, kSelectEndpointById, "endpoint not found",
                                              read_stored_endpoint, endpoint_id);
      if (!stored) return std::unexpected(stored.error());
      return open_endpoint(keyring_.get(), std::move(*stored));
    });
  });
}

Result<int> SqliteStore::reseal_endpoint_secrets() {
  if (!keyring_) return internal_error("no secret key: endpoint secrets cannot be sealed");
  // Only rows not yet sealed under the current key: a restart with nothing to do reads no secret.
  const std::string prefix = current_key_prefix(*keyring_);
  return write_config([&](WriteTx& tx) -> Result<int> {
    std::vector<std::pair<std::string, SecretColumns>> rows;
    auto read = for_each_row(
        tx.db,
        "SELECT id, secrets, auth_secret FROM endpoints WHERE substr(secrets, 1, ?1) <> ?2 "
        "OR (auth_secret <> '' AND substr(auth_secret, 1, ?1) <> ?2) ORDER BY id",
        [&](const Statement& row) {
          rows.emplace_back(row.text(0), SecretColumns{row.text(1), row.text(2)});
        },
        static_cast<std::int64_t>(prefix.size()), prefix);
    if (!read) return std::unexpected(read.error());
    // secure_delete: the clear text a rewritten row leaves in its page is zeroed, not merely marked free.
    if (auto r = tx.db.exec("PRAGMA secure_delete = ON"); !r) return std::unexpected(r.error());
    struct SecureDeleteOff {
      Database& db;
      ~SecureDeleteOff() { (void)db.exec("PRAGMA secure_delete = OFF"); }
    } restore{tx.db};
    int rewritten = 0;
    for (const auto& [id, stored] : rows) {
      auto resealed = reseal_secret_columns(*keyring_, id, stored);
      if (!resealed) return std::unexpected(resealed.error());
      if (!*resealed) continue;
      auto updated = execute(tx.db, "UPDATE endpoints SET secrets = ?, auth_secret = ? WHERE id = ?",
                             (*resealed)->secrets, (*resealed)->auth_secret, id);
      if (!updated) return std::unexpected(updated.error());
      ++rewritten;
    }
    return rewritten;
  });
}

}  // namespace hookd::store::sqlite
