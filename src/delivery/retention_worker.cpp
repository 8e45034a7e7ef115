#include "delivery/retention_worker.hpp"

#include <spdlog/spdlog.h>

namespace hookd::delivery {

RetentionWorker::RetentionWorker(store::Store& store, const Clock& clock, RetentionOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

RetentionWorker::~RetentionWorker() {
  stop();
}

void RetentionWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void RetentionWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

RetentionTotals RetentionWorker::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

bool RetentionWorker::sleep_for(Millis duration) {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, duration, [this] { return stopping_; });
}

void RetentionWorker::run() {
  do {
    pass();
  } while (sleep_for(options_.interval));
}

// Batches until nothing is left (or a batch made no progress: rows held back by pending deliveries fill
// it), pausing between them. Every batch is its own short transaction.
void RetentionWorker::pass() {
  RetentionTotals pass_totals;
  while (true) {
    auto result = store_.prune(clock_.now(), options_.policy, options_.batch_limit);
    if (!result) {
      spdlog::error("retention: pruning failed, will retry next pass: {}", result.error().detail);
      break;
    }
    if (result->skipped) break;  // another node is pruning
    {
      std::lock_guard lock(mutex_);
      totals_.payloads_cleared += result->payloads_cleared;
      totals_.attempts_deleted += result->attempts_deleted;
      totals_.idempotency_deleted += result->idempotency_deleted;
      ++totals_.batches;
    }
    pass_totals.payloads_cleared += result->payloads_cleared;
    pass_totals.attempts_deleted += result->attempts_deleted;
    pass_totals.idempotency_deleted += result->idempotency_deleted;
    const bool progressed =
        result->payloads_cleared + result->attempts_deleted + result->idempotency_deleted > 0;
    if (!result->more || !progressed) break;
    if (!sleep_for(options_.pause)) break;
  }
  if (pass_totals.payloads_cleared + pass_totals.attempts_deleted + pass_totals.idempotency_deleted > 0) {
    spdlog::info("retention: {} payloads cleared, {} attempts and {} idempotency records deleted",
                 pass_totals.payloads_cleared, pass_totals.attempts_deleted, pass_totals.idempotency_deleted);
  }
}

}  // namespace hookd::delivery
