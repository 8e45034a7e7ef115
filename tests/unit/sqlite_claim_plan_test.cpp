// The claim statements' query plans on the real schema. A plan is what makes a claim cost one index seek
// or a walk of the whole queue, and SQLite chooses it without statistics: these pin the choices.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_claim_sql.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_migrations.hpp"

namespace hookd::store::sqlite {
namespace {

class ClaimPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(path_.string(), Database::Mode::read_write, 1000);
    ASSERT_TRUE(db);
    db_.emplace(std::move(*db));
    ASSERT_TRUE(apply_migrations(*db_));
  }
  void TearDown() override {
    db_.reset();
    for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  // The plan's lines ("SEARCH d USING INDEX …"), in order.
  std::vector<std::string> plan(const std::string& sql) {
    std::vector<std::string> lines;
    auto statement = db_->prepare("EXPLAIN QUERY PLAN " + sql);
    EXPECT_TRUE(statement) << (statement ? "" : statement.error().detail);
    if (!statement) return lines;
    while ((*statement)->step().value_or(false)) lines.push_back((*statement)->text(3));
    return lines;
  }
  static bool has(const std::vector<std::string>& lines, const std::string& needle) {
    for (const auto& line : lines)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }
  static std::string joined(const std::vector<std::string>& lines) {
    std::string all;
    for (const auto& line : lines) all += line + "\n";
    return all;
  }

  std::filesystem::path path_ =
      std::filesystem::temp_directory_path() / ("hookd-claim-plan-" + std::to_string(::getpid()) + ".db");
  std::optional<Database> db_;
};

// With a stuck endpoint's backlog at the head of the queue, every claim asks the other endpoints directly.
// On the due-time index each of those asks walked every due row of every endpoint (writer at 88 % for
// 1,000 deliveries/s); on the per-endpoint index it reads that endpoint's rows only, in id order, and
// stops at its limit (no sort).
TEST_F(ClaimPlan, OneEndpointsDueRowsComeFromThePerEndpointIndex) {
  auto lines = plan(claim_sql::kDueForEndpoint);
  EXPECT_TRUE(has(lines, "SEARCH d USING INDEX deliveries_pending (endpoint_id=? AND status=?)"))
      << joined(lines);
  EXPECT_FALSE(has(lines, "deliveries_claim")) << joined(lines);
  EXPECT_FALSE(has(lines, "TEMP B-TREE")) << joined(lines);
}

// When the head is all held by full endpoints, the claim visits only endpoints with pending rows, found by
// seeking the pending rows' index from one endpoint id to the next, never by listing every endpoint.
TEST_F(ClaimPlan, EndpointsWithPendingWorkAreFoundOneSeekEach) {
  auto lines = plan(claim_sql::kNextEndpointWithPending);
  EXPECT_TRUE(has(lines, "SEARCH deliveries USING COVERING INDEX deliveries_pending (endpoint_id>?)"))
      << joined(lines);
  EXPECT_FALSE(has(lines, "TEMP B-TREE")) << joined(lines);
}

TEST_F(ClaimPlan, TheHeadOfTheQueueIsReadFromTheDueTimeIndexAlone) {
  auto head = plan(claim_sql::kDueHead);
  EXPECT_TRUE(
      has(head, "SEARCH deliveries USING COVERING INDEX deliveries_claim (status=? AND next_attempt_at<?)"))
      << joined(head);
  // Rows come back as they are joined, in the head's order, so a claim that is full stops reading. A sort
  // here joined every row of the head to its message (payload copied) before the first came back.
  EXPECT_FALSE(has(head, "TEMP B-TREE")) << joined(head);
  auto count = plan(claim_sql::kCountDueHead);
  EXPECT_TRUE(has(count, "COVERING INDEX deliveries_claim (status=? AND next_attempt_at<?)"))
      << joined(count);
}

TEST_F(ClaimPlan, NoClaimStatementScansATable) {
  for (const auto* sql :
       {&claim_sql::kDueHead, &claim_sql::kCountDueHead, &claim_sql::kNextEndpointWithPending,
        &claim_sql::kDueForEndpoint, &claim_sql::kLeaseExpired, &claim_sql::kBusyEndpoints}) {
    auto lines = plan(*sql);
    ASSERT_FALSE(lines.empty()) << *sql;
    for (const auto& line : lines) {
      // Scans of the skip list (json_each, a few values) and of the bounded head (h) are expected.
      // So is a scan of the sending rows' partial index (as many entries as deliveries are out).
      if (line.find("json_each") != std::string::npos || line.rfind("SCAN h", 0) == 0 ||
          line.find("subquery") != std::string::npos ||
          line.find("INDEX deliveries_leased") != std::string::npos)
        continue;
      EXPECT_NE(line.rfind("SCAN ", 0), 0u) << *sql << "\n" << joined(lines);
    }
  }
  EXPECT_TRUE(has(plan(claim_sql::kLeaseExpired), "INDEX deliveries_leased"));
}

// The per-endpoint limit's count runs on every claim. On the due-time index it read each sending row's
// table row and sorted them by endpoint: a third of a claim's instructions with 640 deliveries out.
TEST_F(ClaimPlan, TheBusyCountReadsTheSendingRowsIndexAloneWithoutSorting) {
  auto lines = plan(claim_sql::kBusyEndpoints);
  EXPECT_TRUE(has(lines, "COVERING INDEX deliveries_leased")) << joined(lines);
  EXPECT_FALSE(has(lines, "TEMP B-TREE")) << joined(lines);
  EXPECT_FALSE(has(lines, "deliveries_claim")) << joined(lines);
}

// /metrics runs this on every scrape: the rows in play come from the partial indexes that hold only them,
// and the total from SQLite's page-by-page cell count (the Count opcode), never a step through every stored
// row as GROUP BY status did.
TEST_F(ClaimPlan, TheQueueGaugesNeverStepThroughEveryStoredRow) {
  auto lines = plan(claim_sql::kQueueDepth);
  EXPECT_TRUE(has(lines, "COVERING INDEX deliveries_claim (status=?)")) << joined(lines);
  EXPECT_TRUE(has(lines, "COVERING INDEX deliveries_leased")) << joined(lines);
  EXPECT_TRUE(has(lines, "COVERING INDEX deliveries_failed")) << joined(lines);
  std::vector<std::string> opcodes;
  auto program = db_->prepare("EXPLAIN " + claim_sql::kQueueDepth);
  ASSERT_TRUE(program);
  while ((*program)->step().value_or(false)) opcodes.push_back((*program)->text(1));
  EXPECT_NE(std::find(opcodes.begin(), opcodes.end(), "Count"), opcodes.end());
  EXPECT_EQ(std::find(opcodes.begin(), opcodes.end(), "SorterOpen"), opcodes.end());
}

// The due-time index holds pending rows only: a success leaves it alone and a claim deletes one entry.
TEST_F(ClaimPlan, TheDueTimeIndexHoldsPendingRowsOnly) {
  auto sql = db_->prepare("SELECT sql FROM sqlite_master WHERE name = 'deliveries_claim'");
  ASSERT_TRUE(sql);
  ASSERT_TRUE((*sql)->step().value_or(false));
  EXPECT_NE((*sql)->text(0).find("WHERE status = 0"), std::string::npos) << (*sql)->text(0);
}

// FIFO endpoints: the check for an older unfinished delivery seeks the endpoint's pending rows below this
// row's id and reads its few sending rows; it never walks the endpoint's finished deliveries.
TEST_F(ClaimPlan, TheFifoCheckReadsOnlyTheEndpointsUnfinishedRows) {
  auto lines = plan(claim_sql::kDueHead);
  EXPECT_TRUE(has(lines, "COVERING INDEX deliveries_pending (endpoint_id=? AND status=? AND rowid<?)"))
      << joined(lines);
  EXPECT_TRUE(has(lines, "INDEX deliveries_leased (endpoint_id=?)")) << joined(lines);
  EXPECT_FALSE(has(lines, "deliveries_by_endpoint")) << joined(lines);
}

// A claim and an outcome rewrite these columns of a delivery. An index that keys on one of them and holds
// every row moves each delivery in it twice (a B-tree delete and an insert each time), so only partial
// indexes, which hold the rows of one status, may key on them.
TEST_F(ClaimPlan, NoIndexOverEveryDeliveryKeysOnAColumnAClaimOrOutcomeRewrites) {
  const std::vector<std::string> rewritten{"status", "attempt_count", "next_attempt_at", "lease_until",
                                           "lease_owner"};
  auto indexes = db_->prepare("SELECT name, partial FROM pragma_index_list('deliveries')");
  ASSERT_TRUE(indexes);
  int full = 0;
  while ((*indexes)->step().value_or(false)) {
    const std::string name = (*indexes)->text(0);
    if ((*indexes)->int64(1) != 0) continue;
    ++full;
    auto columns = db_->prepare("SELECT name FROM pragma_index_info('" + name + "')");
    ASSERT_TRUE(columns);
    while ((*columns)->step().value_or(false)) {
      const std::string column = (*columns)->text(0);
      EXPECT_EQ(std::find(rewritten.begin(), rewritten.end(), column), rewritten.end())
          << name << " keys on " << column;
    }
  }
  EXPECT_GE(full, 2);  // by endpoint and by message
}

}  // namespace
}  // namespace hookd::store::sqlite
