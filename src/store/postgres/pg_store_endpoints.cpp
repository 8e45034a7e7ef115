// Endpoints: always read and written within one application.
#include <fmt/format.h>

#include "store/postgres/pg_query.hpp"
#include "store/postgres/pg_store_impl.hpp"
#include "store/row_mapping.hpp"

namespace hookd::store::postgres {
namespace {

const std::string kSelectEndpoint = fmt::format(
    "SELECT {} FROM endpoints WHERE app_id = $1 AND (id = $2 OR uid = $2) ORDER BY id = $2 DESC LIMIT 1",
    kEndpointColumns);

Result<Endpoint> find_endpoint(PgConnection& conn, const SecretKeyring* keyring, std::string_view app_id,
                               std::string_view id_or_uid) {
  auto stored = query_one<StoredEndpoint>(conn, kSelectEndpoint, Params(app_id, id_or_uid),
                                          "endpoint not found", read_stored_endpoint);
  if (!stored) return std::unexpected(stored.error());
  return open_endpoint(keyring, std::move(*stored));
}

Error uid_conflict(Error error, const Endpoint& ep) {
  return rename_conflict(
      std::move(error), "conflict",
      fmt::format("an endpoint with uid '{}' already exists in this application", ep.uid.value_or(ep.id)));
}

const std::string kSelectAllEndpoints =
    fmt::format("SELECT {} FROM endpoints WHERE app_id = $1 ORDER BY id", kEndpointColumns);

}  // namespace

Result<EndpointStats> count_deliveries_by_status(PgConnection& conn, std::string_view sql,
                                                 const Params& params) {
  auto result = conn.exec(sql, params);
  if (!result) return std::unexpected(result.error());
  EndpointStats stats;
  for (int i = 0; i < result->rows(); ++i) {
    Row row = result->row(i);
    std::int64_t count = row.int64(1);
    switch (static_cast<DeliveryStatus>(row.int32(0))) {
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
  return stats;
}

Result<Endpoint> PgStore::create_endpoint(const Endpoint& ep) {
  auto sealed = seal_secret_columns(keyring_.get(), ep);
  if (!sealed) return std::unexpected(sealed.error());
  return write([&](WriteTx& tx) -> Result<Endpoint> {
    auto app = query_one<bool>(tx.conn, "SELECT 1 FROM applications WHERE id = $1", Params(ep.app_id),
                               "application not found", [](const Row&) { return true; });
    if (!app) return std::unexpected(app.error());
    auto inserted = execute(
        tx.conn,
        fmt::format(
            "INSERT INTO endpoints ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
            "$14, $15, $16, $17, $18, $19, $20, $21)",
            kEndpointColumns),
        Params(ep.id, ep.app_id, ep.uid, ep.url, ep.description, encode_list(ep.event_types),
               encode_list(ep.channels), ep.disabled, ep.rate_limit, ep.metadata_json,
               encode_headers(ep.headers), sealed->secrets, to_db(ep.body_format), to_db(ep.success_rule),
               ep.verification_ping, ep.auth_id, sealed->auth_secret, ep.fifo, ep.failing_since,
               ep.created_at, ep.updated_at));
    if (!inserted) return std::unexpected(uid_conflict(inserted.error(), ep));
    return ep;
  });
}

Result<Endpoint> PgStore::get_endpoint(std::string_view app_id, std::string_view id_or_uid) {
  return read([&](PgConnection& conn) { return find_endpoint(conn, keyring_.get(), app_id, id_or_uid); });
}

Result<Endpoint> PgStore::update_endpoint(const Endpoint& ep) {
  auto sealed = seal_secret_columns(keyring_.get(), ep);
  if (!sealed) return std::unexpected(sealed.error());
  return write([&](WriteTx& tx) -> Result<Endpoint> {
    // Re-enabling an endpoint starts a new failing streak; otherwise failing_since is the dispatcher's
    // (record_outcomes) and an API update must not overwrite what it wrote meanwhile. The CASE reads the
    // row's old `disabled`.
    auto updated = execute(
        tx.conn,
        "UPDATE endpoints SET uid = $1, url = $2, description = $3, event_types = $4, channels = $5, "
        "failing_since = CASE WHEN NOT $6::boolean AND disabled THEN NULL ELSE failing_since END, "
        "disabled = $6, rate_limit = $7, metadata = $8, headers = $9, secrets = $10, body_format = $11, "
        "success_rule = $12, verification_ping = $13, auth_id = $14, auth_secret = $15, fifo = $16, "
        "updated_at = $17 WHERE app_id = $18 AND id = $19",
        Params(ep.uid, ep.url, ep.description, encode_list(ep.event_types), encode_list(ep.channels),
               ep.disabled, ep.rate_limit, ep.metadata_json, encode_headers(ep.headers), sealed->secrets,
               to_db(ep.body_format), to_db(ep.success_rule), ep.verification_ping, ep.auth_id,
               sealed->auth_secret, ep.fifo, ep.updated_at, ep.app_id, ep.id));
    if (!updated) return std::unexpected(uid_conflict(updated.error(), ep));
    if (*updated == 0) return not_found("endpoint not found");
    return find_endpoint(tx.conn, keyring_.get(), ep.app_id, ep.id);
  });
}

Result<void> PgStore::delete_endpoint(std::string_view app_id, std::string_view id_or_uid) {
  return write([&](WriteTx& tx) -> Result<void> {
    auto ep = find_endpoint(tx.conn, keyring_.get(), app_id, id_or_uid);
    if (!ep) return std::unexpected(ep.error());
    if (auto r = execute(tx.conn, "DELETE FROM attempts WHERE app_id = $1 AND endpoint_id = $2",
                         Params(ep->app_id, ep->id));
        !r) {
      return std::unexpected(r.error());
    }
    if (auto r = execute(tx.conn, "DELETE FROM deliveries WHERE endpoint_id = $1", Params(ep->id)); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = execute(tx.conn, "DELETE FROM endpoints WHERE id = $1", Params(ep->id)); !r) {
      return std::unexpected(r.error());
    }
    return {};
  });
}

Result<Page<Endpoint>> PgStore::list_endpoints(std::string_view app_id, const PageRequest& page) {
  return read([&](PgConnection& conn) {
    QueryBuilder query(fmt::format("SELECT {} FROM endpoints", kEndpointColumns));
    query.where("app_id = $?", app_id).page("id", /*list_ascending=*/true, page);
    auto stored = query.run_page<StoredEndpoint>(conn, read_stored_endpoint);
    if (!stored) return Result<Page<Endpoint>>(std::unexpected(stored.error()));
    return open_endpoint_page(keyring_.get(), std::move(*stored));
  });
}

Result<std::vector<Endpoint>> PgStore::load_all_endpoints(PgConnection& conn, std::string_view app_id) const {
  auto result = conn.exec(kSelectAllEndpoints, Params(app_id));
  if (!result) return std::unexpected(result.error());
  std::vector<StoredEndpoint> out;
  for (int i = 0; i < result->rows(); ++i) out.push_back(read_stored_endpoint(result->row(i)));
  return open_endpoints(keyring_.get(), std::move(out));
}

Result<std::vector<Endpoint>> PgStore::all_endpoints(std::string_view app_id) {
  return read([&](PgConnection& conn) { return load_all_endpoints(conn, app_id); });
}

Result<EndpointStats> PgStore::endpoint_stats(std::string_view app_id, std::string_view endpoint_id,
                                              std::optional<TimePoint> since,
                                              std::optional<TimePoint> until) {
  return read([&](PgConnection& conn) -> Result<EndpointStats> {
    auto ep = find_endpoint(conn, keyring_.get(), app_id, endpoint_id);
    if (!ep) return std::unexpected(ep.error());
    // NULL bounds are open: one SQL text for every combination.
    return count_deliveries_by_status(
        conn,
        "SELECT status, COUNT(*) FROM deliveries WHERE endpoint_id = $1 "
        "AND ($2::bigint IS NULL OR created_at >= $2) AND ($3::bigint IS NULL OR created_at < $3) "
        "GROUP BY status",
        Params(ep->id, since, until));
  });
}

Result<Endpoint> PgStore::get_endpoint_by_id(std::string_view endpoint_id) {
  return read([&](PgConnection& conn) -> Result<Endpoint> {
    auto stored = query_one<StoredEndpoint>(
        conn, fmt::format("SELECT {} FROM endpoints WHERE id = $1", kEndpointColumns), Params(endpoint_id),
        "endpoint not found", read_stored_endpoint);
    if (!stored) return std::unexpected(stored.error());
    return open_endpoint(keyring_.get(), std::move(*stored));
  });
}

Result<int> PgStore::reseal_endpoint_secrets() {
  if (!keyring_) return internal_error("no secret key: endpoint secrets cannot be sealed");
  // Only rows not yet sealed under the current key, locked (FOR UPDATE) so that nodes starting together,
  // or an API update meanwhile, do not overwrite each other: the later one sees the row already resealed.
  const std::string prefix = current_key_prefix(*keyring_);
  return write([&](WriteTx& tx) -> Result<int> {
    auto result = tx.conn.exec(
        "SELECT id, secrets, auth_secret FROM endpoints WHERE substr(secrets, 1, $1) <> $2 "
        "OR (auth_secret <> '' AND substr(auth_secret, 1, $1) <> $2) ORDER BY id FOR UPDATE",
        Params(static_cast<int>(prefix.size()), prefix));
    if (!result) return std::unexpected(result.error());
    int rewritten = 0;
    for (int i = 0; i < result->rows(); ++i) {
      Row row = result->row(i);
      const std::string id = row.text(0);
      auto resealed = reseal_secret_columns(*keyring_, id, SecretColumns{row.text(1), row.text(2)});
      if (!resealed) return std::unexpected(resealed.error());
      if (!*resealed) continue;
      auto updated = execute(tx.conn, "UPDATE endpoints SET secrets = $1, auth_secret = $2 WHERE id = $3",
                             Params((*resealed)->secrets, (*resealed)->auth_secret, id));
      if (!updated) return std::unexpected(updated.error());
      ++rewritten;
    }
    return rewritten;
  });
}

}  // namespace hookd::store::postgres
