#include "store/postgres/pg_migrations.hpp"

#include <fmt/format.h>

#include <array>

namespace hookd::store::postgres {
namespace {

// The same tables and meaning as the SQLite schema (store/sqlite/sqlite_migrations.cpp): times are BIGINT
// milliseconds since the Unix epoch, lists, maps and JSON values are JSON text, no foreign keys (children
// are written by code that checked the parent in the same transaction, deletes remove children).
// Keys and ids are COLLATE "C": keyset pages and sorted lists compare bytes, like SQLite, whatever the
// database's default collation.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE applications (
  id TEXT COLLATE "C" PRIMARY KEY,
  uid TEXT COLLATE "C" UNIQUE,
  name TEXT NOT NULL,
  rate_limit INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE event_types (
  name TEXT COLLATE "C" PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  group_name TEXT NOT NULL DEFAULT '',
  schemas TEXT NOT NULL DEFAULT 'null',
  examples TEXT NOT NULL DEFAULT '[]',
  body_format TEXT NOT NULL DEFAULT 'json',
  form_type TEXT NOT NULL DEFAULT '',
  deprecated BOOLEAN NOT NULL DEFAULT false,
  archived BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE endpoints (
  id TEXT COLLATE "C" PRIMARY KEY,
  app_id TEXT COLLATE "C" NOT NULL,
  uid TEXT COLLATE "C",
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT,               -- JSON array; NULL: every type
  channels TEXT,                  -- JSON array; NULL: every message
  disabled BOOLEAN NOT NULL DEFAULT false,
  rate_limit INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  headers TEXT NOT NULL DEFAULT '{}',
  secrets TEXT NOT NULL DEFAULT '[]',  -- JSON [{"key": "whsec_…", "expires_at": ms|null}], current first
  body_format TEXT NOT NULL DEFAULT 'json',
  success_rule TEXT NOT NULL DEFAULT 'any_2xx',
  verification_ping BOOLEAN NOT NULL DEFAULT false,
  auth_id TEXT NOT NULL DEFAULT '',
  auth_secret TEXT NOT NULL DEFAULT '',
  fifo BOOLEAN NOT NULL DEFAULT false,
  failing_since BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (app_id, uid)
);
CREATE INDEX endpoints_by_app ON endpoints (app_id, id);

CREATE TABLE messages (
  id TEXT COLLATE "C" PRIMARY KEY,
  app_id TEXT COLLATE "C" NOT NULL,
  event_id TEXT COLLATE "C",
  event_type TEXT COLLATE "C" NOT NULL,
  payload TEXT NOT NULL,
  channels TEXT,                  -- JSON array or NULL
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_by_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX messages_by_app ON messages (app_id, id);

-- The delivery queue: one row per (message, endpoint), plus one per manual resend.
-- status: 0 pending, 1 sending (under a lease), 2 succeeded, 3 failed.
-- An identity column: ids are never reused, so a late outcome for a deleted row cannot hit a new one.
CREATE TABLE deliveries (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  msg_id TEXT COLLATE "C" NOT NULL,
  endpoint_id TEXT COLLATE "C" NOT NULL,
  app_id TEXT COLLATE "C" NOT NULL,
  status SMALLINT NOT NULL DEFAULT 0,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  lease_owner TEXT,
  manual BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL
);
-- Partial indexes for the two kinds of claimable rows: due pending ones in due order, and leased ones by
-- lease expiry. Finished rows (the bulk of the table) are in neither.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 0;
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE status = 1;
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, status, id);
CREATE INDEX deliveries_by_msg ON deliveries (msg_id);
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE status = 1;

CREATE TABLE attempts (
  id TEXT COLLATE "C" PRIMARY KEY,
  app_id TEXT COLLATE "C" NOT NULL,
  msg_id TEXT COLLATE "C" NOT NULL,
  endpoint_id TEXT COLLATE "C" NOT NULL,
  url TEXT NOT NULL,
  attempted_at BIGINT NOT NULL,
  status SMALLINT NOT NULL,
  response_status_code INTEGER NOT NULL,
  response_body TEXT NOT NULL,
  response_headers TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  request_body TEXT,              -- NULL: the message payload as stored
  duration_ms INTEGER NOT NULL,
  error TEXT NOT NULL,
  error_detail TEXT NOT NULL,
  trigger_type SMALLINT NOT NULL
);
CREATE INDEX attempts_by_msg ON attempts (app_id, msg_id, id);
CREATE INDEX attempts_by_endpoint ON attempts (app_id, endpoint_id, id);

CREATE TABLE idempotency (
  key TEXT COLLATE "C" PRIMARY KEY,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);

CREATE TABLE settings (
  key TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// The version of the configuration a message create reads (event types, endpoints, settings), counted by
// the database: every transaction that writes one of those rows bumps it as it commits, so a node that
// reads it knows whether what it cached is still exact (docs/DESIGN.md, "PostgreSQL: the ingest
// configuration is cached"). The triggers are deferred to the commit, so the one row is locked only then,
// by a transaction that holds every other lock it needs already: no deadlock can form through it.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE config_version (
  one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
  version BIGINT NOT NULL
);
INSERT INTO config_version (version) VALUES (1);

CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE config_version SET version = version + 1;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER event_types_bump_config AFTER INSERT OR UPDATE OR DELETE ON event_types
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE CONSTRAINT TRIGGER endpoints_bump_config AFTER INSERT OR UPDATE OR DELETE ON endpoints
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE CONSTRAINT TRIGGER settings_bump_config AFTER INSERT OR UPDATE OR DELETE ON settings
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_config_version();
)sql";

constexpr std::array<std::string_view, 2> kMigrations{kV1, kV2};

// An arbitrary constant: the advisory lock key every hookd node takes while migrating.
constexpr std::string_view kMigrationLockKey = "7261837420";

}  // namespace

std::span<const std::string_view> migrations() {
  return kMigrations;
}

Result<int> apply_migrations(PgConnection& conn) {
  auto run = [&]() -> Result<int> {
    if (auto r = conn.exec("SELECT pg_advisory_xact_lock($1::bigint)", Params(kMigrationLockKey)); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = conn.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT "
            "NOT NULL DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint)");
        !r) {
      return std::unexpected(r.error());
    }
    auto current = conn.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!current) return std::unexpected(current.error());
    const std::int64_t version = current->row(0).int64(0);
    const auto known = static_cast<std::int64_t>(kMigrations.size());
    if (version > known) {
      return fail(
          ErrorKind::internal, "schema_too_new",
          fmt::format("the database has schema version {}, this hookd knows up to {}", version, known));
    }
    for (auto v = version; v < known; ++v) {
      if (auto r = conn.exec_script(kMigrations[static_cast<std::size_t>(v)]); !r) {
        return std::unexpected(r.error());
      }
      if (auto r = conn.exec("INSERT INTO schema_migrations (version) VALUES ($1)", Params(v + 1)); !r) {
        return std::unexpected(r.error());
      }
    }
    return static_cast<int>(known - version);
  };
  if (auto r = conn.exec_script("BEGIN"); !r) return std::unexpected(r.error());
  auto applied = run();
  if (!applied) {
    (void)conn.exec_script("ROLLBACK");
    return applied;
  }
  if (auto r = conn.exec_script("COMMIT"); !r) return std::unexpected(r.error());
  return applied;
}

}  // namespace hookd::store::postgres
