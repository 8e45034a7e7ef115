#pragma once
// The single writer: one thread owns the write connection and commits queued jobs in groups.
// Callers block until the transaction holding their job has committed (or failed). A job that fails (a uid
// conflict) is rolled back alone and the rest of its group commits: the group then runs again with each job
// inside its own SAVEPOINT (see run_batch for why not always).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace hookd::store::sqlite {

// What a job sees: the write connection, inside an open transaction (and, when its group runs again after a
// failed job, its own savepoint).
struct WriteTx {
  Database& db;
  bool added_due_work =
      false;  // set by jobs that made deliveries due now: wakes the dispatchers after COMMIT
};

using WriteJob = std::function<Result<void>(WriteTx&)>;
using WriteDone = std::function<void(Result<void>)>;

// Whether the caller's answer waits for the fsync. `durable` (the default) commits under the store's
// synchronous setting. `volatile_ok` is for jobs whose loss in a power cut changes nothing a caller was
// promised (a delivery claim: a lost lease means the delivery is sent again, as after any crash): a group of
// such jobs only commits to the WAL and is made durable by the next durable group's fsync.
enum class Durability { durable, volatile_ok };

using WriterStats = SqliteWriterStats;

class GroupCommitWriter {
 public:
  // synchronous_full: the connection runs with `PRAGMA synchronous = FULL`, lowered to NORMAL (no fsync in
  // WAL mode) only for groups made of volatile_ok jobs alone.
  GroupCommitWriter(Database db, std::size_t max_batch, bool synchronous_full = false);
  ~GroupCommitWriter();  // finishes the queued jobs, then stops the thread
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Runs `job` in the next group and waits for its COMMIT. A job may run more than once if SQLite rolls
  // back a whole group by itself (disk full mid-group): jobs must be pure functions of the database.
  Result<void> submit(WriteJob job, Durability durability = Durability::durable);
  // The same without waiting (housekeeping nobody waits for).
  void submit_detached(WriteJob job);
  // The same, answered by calling `done` on the writer thread once the job's group has committed (or failed):
  // a caller that must not block hears of its commit without a thread parked on a future. `done` must be
  // quick and must not wait on the store; it runs exactly once.
  void submit_async(WriteJob job, Durability durability, WriteDone done);
  // submit_async for several jobs, queued in order under one lock: they share a group, and so its commit,
  // unless the group fills up first. Each job still succeeds or fails alone and is answered alone.
  struct QueuedJob {
    WriteJob job;
    Durability durability = Durability::durable;
    WriteDone done;
  };
  void submit_together(std::vector<QueuedJob> jobs);

  // Called on the writer thread after a COMMIT that included a job with added_due_work.
  void set_work_listener(std::function<void()> listener);
  WriterStats stats() const;

 private:
  struct Task {
    WriteJob job;
    WriteDone done;  // called once, on the writer thread (or by enqueue when stopping)
    Result<void> result;
    bool added_due_work = false;
    Durability durability = Durability::durable;
  };

  static std::unique_ptr<Task> make_task(QueuedJob queued);
  void enqueue(WriteJob job, Durability durability, WriteDone done);
  void enqueue(std::span<std::unique_ptr<Task>> tasks);
  Result<void> set_synchronous(bool full);
  void run();
  void run_batch(std::deque<std::unique_ptr<Task>>& batch);
  enum class GroupEnd { committed, answered, job_failed };
  // One transaction over `batch`. With savepoints, a failed job is rolled back alone. Without, a failed job
  // rolls the whole transaction back: alone in its group it is answered, otherwise the result is job_failed
  // and nobody was answered. Every other end answers every job or queues it again.
  GroupEnd run_group(std::deque<std::unique_ptr<Task>>& batch, bool savepoints);
  void requeue_front(std::deque<std::unique_ptr<Task>>& tasks);

  Database db_;  // used only by the writer thread
  const std::size_t max_batch_;
  const bool synchronous_full_;
  bool synchronous_now_full_;  // the connection's current setting (writer thread only)

  mutable std::mutex mutex_;  // guards queue_, stopping_, listener_, stats_
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Task>> queue_;
  bool stopping_ = false;
  std::function<void()> listener_;
  WriterStats stats_;

  std::thread thread_;  // last: starts after everything above is initialized
};

}  // namespace hookd::store::sqlite
