#pragma once
// What both stores share for retention (Store::prune): the settings key of the payload cursor, and how a
// scanned batch of messages moves it. The payload scan walks messages by id (ids sort by creation time)
// from a cursor kept in `settings`, so each batch reads only rows it has not finished yet.
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace hookd::store {

inline constexpr std::string_view kPayloadCursorKey = "retention_payload_cursor";
// The advisory lock (PostgreSQL) that keeps pruning on one node at a time; another constant than the
// migration lock's.
inline constexpr std::string_view kRetentionLockKey = "7261837421";

// One message of a payload scan, in id order.
struct PayloadScanRow {
  std::string id;
  std::string app_id;
  TimePoint created_at{};
  bool held = false;  // a pending or sending delivery still needs the payload
};

// The rows whose payload may be cleared now: those older than `cutoff`, not held, up to the first row
// that is not old enough (ids follow creation time, so the rest are younger too).
std::vector<const PayloadScanRow*> payload_rows_to_clear(std::span<const PayloadScanRow> rows,
                                                         TimePoint cutoff);

// The cursor after the batch: the last id before the first row that is not finished (held back, not old
// enough, or not cleared because another transaction had it locked). nullopt: the cursor stays.
std::optional<std::string> payload_cursor_after(std::span<const PayloadScanRow> rows, TimePoint cutoff,
                                                const std::set<std::string>& cleared);

}  // namespace hookd::store
