#include "store/retention_plan.hpp"

namespace hookd::store {

std::vector<const PayloadScanRow*> payload_rows_to_clear(std::span<const PayloadScanRow> rows,
                                                         TimePoint cutoff) {
  std::vector<const PayloadScanRow*> out;
  for (const auto& row : rows) {
    if (row.created_at >= cutoff) break;
    if (!row.held) out.push_back(&row);
  }
  return out;
}

std::optional<std::string> payload_cursor_after(std::span<const PayloadScanRow> rows, TimePoint cutoff,
                                                const std::set<std::string>& cleared) {
  std::optional<std::string> cursor;
  for (const auto& row : rows) {
    // A held row keeps the cursor before it, so the next scans see it again until its deliveries end.
    // Rows past it that were cleared no longer match the scan (their payload is {}), so they cost nothing.
    if (row.created_at >= cutoff || !cleared.contains(row.id)) break;
    cursor = row.id;
  }
  return cursor;
}

}  // namespace hookd::store
