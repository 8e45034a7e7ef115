#include "store/sqlite/sqlite_migrations.hpp"

#include <fmt/format.h>

#include <array>

namespace hookd::store::sqlite {
namespace {

// Times are integer milliseconds since the Unix epoch. Lists, maps and JSON values are JSON text.
// No foreign keys: every child row is written by code that checked its parent in the same transaction,
// and delete_application / delete_endpoint remove children explicitly (cheaper than FK checks on ingest).
constexpr std::string_view kV1 = R"sql(
CREATE TABLE applications (
  id TEXT PRIMARY KEY NOT NULL,
  uid TEXT UNIQUE,
  name TEXT NOT NULL,
  rate_limit INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE event_types (
  name TEXT PRIMARY KEY NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  group_name TEXT NOT NULL DEFAULT '',
  schemas TEXT NOT NULL DEFAULT 'null',
  examples TEXT NOT NULL DEFAULT '[]',
  body_format TEXT NOT NULL DEFAULT 'json',
  form_type TEXT NOT NULL DEFAULT '',
  deprecated INTEGER NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE endpoints (
  id TEXT PRIMARY KEY NOT NULL,
  app_id TEXT NOT NULL,
  uid TEXT,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT,               -- JSON array; NULL: every type
  channels TEXT,                  -- JSON array; NULL: every message
  disabled INTEGER NOT NULL DEFAULT 0,
  rate_limit INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  headers TEXT NOT NULL DEFAULT '{}',
  secrets TEXT NOT NULL DEFAULT '[]',  -- JSON [{"key": "whsec_…", "expires_at": ms|null}], current first
  body_format TEXT NOT NULL DEFAULT 'json',
  success_rule TEXT NOT NULL DEFAULT 'any_2xx',
  verification_ping INTEGER NOT NULL DEFAULT 0,
  auth_id TEXT NOT NULL DEFAULT '',
  auth_secret TEXT NOT NULL DEFAULT '',
  fifo INTEGER NOT NULL DEFAULT 0,
  failing_since INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (app_id, uid)
);
CREATE INDEX endpoints_by_app ON endpoints (app_id, id);

CREATE TABLE messages (
  id TEXT PRIMARY KEY NOT NULL,
  app_id TEXT NOT NULL,
  event_id TEXT,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  channels TEXT,                  -- JSON array or NULL
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_by_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX messages_by_app ON messages (app_id, id);

-- The delivery queue: one row per (message, endpoint), plus one per manual resend.
-- status: 0 pending, 1 sending (under a lease), 2 succeeded, 3 failed.
-- AUTOINCREMENT: ids are never reused, so a late outcome for a deleted row cannot hit a new one.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  msg_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  app_id TEXT NOT NULL,
  status INTEGER NOT NULL DEFAULT 0,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  lease_owner TEXT,
  manual INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX deliveries_claim ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, status);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY NOT NULL,
  app_id TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  url TEXT NOT NULL,
  attempted_at INTEGER NOT NULL,
  status INTEGER NOT NULL,
  response_status_code INTEGER NOT NULL,
  response_body TEXT NOT NULL,
  response_headers TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  request_body TEXT,              -- NULL: the message payload as stored
  duration_ms INTEGER NOT NULL,
  error TEXT NOT NULL,
  error_detail TEXT NOT NULL,
  trigger_type INTEGER NOT NULL
);
CREATE INDEX attempts_by_msg ON attempts (app_id, msg_id, id);
CREATE INDEX attempts_by_endpoint ON attempts (app_id, endpoint_id, id);

CREATE TABLE idempotency (
  key TEXT PRIMARY KEY NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);

CREATE TABLE settings (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
)sql";

// Retention (Store::prune) asks, for each old message, whether a delivery still needs its payload.
constexpr std::string_view kV2 = R"sql(
CREATE INDEX deliveries_by_msg ON deliveries (msg_id);
)sql";

// The per-endpoint limit counts each endpoint's deliveries out under a live lease on every claim. On the
// due-time index that count read every sending row's table row and sorted them by endpoint (35,000
// instructions a delivery, a third of the claim, with 640 deliveries out); this partial index holds only
// the sending rows, in the count's order, and answers it alone. (`status` is in it only because SQLite 3.40
// does not see that the index's own WHERE makes the count's `status = 1` true, and would read the table.)
//
// The due-time index keeps pending rows only. With every row in it, a claim moved its row from the
// pending to the sending part (a B-tree delete and an insert) and the outcome moved it again, and it held
// every delivery ever made; now a claim deletes one entry and a success touches none. Failed rows get
// their own small index for the queue gauges' count.
constexpr std::string_view kV3 = R"sql(
CREATE INDEX deliveries_leased ON deliveries (endpoint_id, lease_until, status) WHERE status = 1;
DROP INDEX deliveries_claim;
CREATE INDEX deliveries_claim ON deliveries (status, next_attempt_at) WHERE status = 0;
CREATE INDEX deliveries_failed ON deliveries (status) WHERE status = 3;
)sql";

// A delivery's status changes twice in a success (claimed, then succeeded), and every index whose key holds
// `status` moved the row each time: (endpoint_id, status) cost a B-tree delete and an insert on the claim and
// again on the outcome. The per-endpoint index now holds the endpoint alone, which a status change leaves
// alone; the queries that want one endpoint's pending or failed rows read partial indexes of those rows
// (`status` is in them for the reason given for deliveries_leased above).
constexpr std::string_view kV4 = R"sql(
DROP INDEX deliveries_by_endpoint;
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id);
CREATE INDEX deliveries_pending ON deliveries (endpoint_id, status) WHERE status = 0;
DROP INDEX deliveries_failed;
CREATE INDEX deliveries_failed ON deliveries (endpoint_id, status) WHERE status = 3;
)sql";

constexpr std::array<std::string_view, 4> kMigrations{kV1, kV2, kV3, kV4};

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

Result<int> apply_migrations(Database& db) {
  auto tx = Transaction::begin(db, /*immediate=*/true);  // two processes opening at once: one migrates
  if (!tx) return std::unexpected(tx.error());
  std::int64_t version = 0;
  {
    auto statement = db.prepare("PRAGMA user_version");
    if (!statement) return std::unexpected(statement.error());
    auto row = (*statement)->step();
    if (!row) return std::unexpected(row.error());
    version = *row ? (*statement)->int64(0) : 0;
  }
  const auto known = static_cast<std::int64_t>(kMigrations.size());
  if (version > known) {
    return fail(ErrorKind::internal, "schema_too_new",
                fmt::format("the database has schema version {}, this hookd knows up to {}", version, known));
  }
  for (auto v = version; v < known; ++v) {
    if (auto r = db.exec(kMigrations[static_cast<std::size_t>(v)]); !r) return std::unexpected(r.error());
  }
  if (version < known) {
    // PRAGMA takes no bound parameters; the value is our own integer.
    if (auto r = db.exec(fmt::format("PRAGMA user_version = {}", known)); !r)
      return std::unexpected(r.error());
  }
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return static_cast<int>(known - version);
}

}  // namespace hookd::store::sqlite
