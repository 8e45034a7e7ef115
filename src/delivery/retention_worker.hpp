#pragma once
// Retention: a background thread that removes expired payloads, old attempts and expired idempotency
// records through Store::prune, in small batches with a pause between them, so cleanup never holds the
// store for long and delivery and ingest keep flowing (docs/DESIGN.md, "Retention").
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace hookd::delivery {

struct RetentionOptions {
  store::RetentionPolicy policy;
  int batch_limit = 500;                        // rows of each kind per transaction
  Millis pause{std::chrono::milliseconds(50)};  // between batches: other writers go first
  Millis interval{std::chrono::minutes(1)};     // between passes
};

struct RetentionTotals {
  std::int64_t payloads_cleared = 0;
  std::int64_t attempts_deleted = 0;
  std::int64_t idempotency_deleted = 0;
  std::int64_t batches = 0;
};

class RetentionWorker {
 public:
  RetentionWorker(store::Store& store, const Clock& clock, RetentionOptions options);
  ~RetentionWorker();
  RetentionWorker(const RetentionWorker&) = delete;
  RetentionWorker& operator=(const RetentionWorker&) = delete;

  void start();
  void stop();  // returns after the batch in progress (one short transaction)
  RetentionTotals totals() const;

 private:
  void run();
  void pass();
  bool sleep_for(Millis duration);  // false when stopping

  store::Store& store_;
  const Clock& clock_;
  const RetentionOptions options_;
  mutable std::mutex mutex_;  // guards stopping_ and totals_
  std::condition_variable cv_;
  bool stopping_ = false;
  RetentionTotals totals_;
  std::thread thread_;
};

}  // namespace hookd::delivery
