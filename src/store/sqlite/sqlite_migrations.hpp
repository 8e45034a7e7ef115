#pragma once
// Versioned schema: an ordered list of migration scripts; PRAGMA user_version records how many of them the
// database file has applied. Scripts are append-only: never edit one that has shipped, add the next.
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookd::store::sqlite {

std::span<const std::string_view> migrations();

// Applies the scripts the file has not seen yet, all in one transaction. Returns how many it applied
// (0 on a second open). Fails if the file was written by a newer hookd (more migrations than we know).
Result<int> apply_migrations(Database& db);

}  // namespace hookd::store::sqlite
