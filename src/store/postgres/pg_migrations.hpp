#pragma once
// The PostgreSQL schema: ordered, append-only scripts. schema_migrations records each applied version.
#include <span>
#include <string_view>

#include "store/postgres/pg_connection.hpp"

namespace hookd::store::postgres {

std::span<const std::string_view> migrations();

// Applies the pending scripts in one transaction under a transaction-level advisory lock, so several
// nodes starting together against an empty database migrate it exactly once (the others wait, then find
// nothing left to do). Returns how many scripts it applied.
Result<int> apply_migrations(PgConnection& conn);

}  // namespace hookd::store::postgres
