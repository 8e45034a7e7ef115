#include <fmt/format.h>

#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace hookd::store {

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  std::string_view url = options.url;
  if (url.starts_with("sqlite:")) return open_sqlite_store(url.substr(7), options);
  if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
    return open_postgres_store(url, options);
  return invalid("store", fmt::format("unknown store URL '{}': use sqlite:PATH or postgres://…", url));
}

}  // namespace hookd::store
