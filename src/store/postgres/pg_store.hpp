#pragma once
#include <memory>
#include <string_view>

#include "store/store.hpp"

namespace hookd::store {

// Connects to the PostgreSQL database at `url` (postgres://USER:PASS@HOST:PORT/DB, any libpq URL or
// key=value string), applies pending migrations and starts the LISTEN thread that wakes this node when
// another node adds due work. `options.synchronous_full` sets synchronous_commit (on by default).
Result<std::unique_ptr<Store>> open_postgres_store(std::string_view url, const StoreOptions& options);

}  // namespace hookd::store
