// What a message create reads (its event type, the tenant's validation setting and endpoints), served from
// memory while the database's config_version says it is unchanged (docs/DESIGN.md, "PostgreSQL: the ingest
// configuration is cached").
#include "store/postgres/pg_store_impl.hpp"

namespace hookd::store::postgres {

// One round trip (the version) when nothing changed, instead of three reads and the opening of every
// endpoint's sealed secrets. The version is read first: every row loaded afterwards is at least as new as
// the writes it counts, so an entry is never older than its tag. A row newer than its tag only makes the next
// version's readers load it again.
Result<IngestConfig> PgStore::ingest_config(std::string_view app_id, std::string_view event_type,
                                            std::string_view setting_key) {
  return read([&](PgConnection& conn) -> Result<IngestConfig> {
    auto version = conn.exec("SELECT version FROM config_version");
    if (!version) return std::unexpected(version.error());
    if (version->rows() != 1) return internal_error("config_version has no row");
    config_.advance_to(static_cast<std::uint64_t>(version->row(0).int64(0)));

    auto type = config_.event_type(event_type, [&] { return load_event_type(conn, event_type); });
    if (!type) return std::unexpected(type.error());
    auto setting = config_.setting(setting_key, [&] { return load_setting(conn, setting_key); });
    if (!setting) return std::unexpected(setting.error());
    auto endpoints = config_.endpoints(app_id, [&] { return load_all_endpoints(conn, app_id); });
    if (!endpoints) return std::unexpected(endpoints.error());
    return IngestConfig{std::move(*type), std::move(*setting), std::move(*endpoints)};
  });
}

}  // namespace hookd::store::postgres
