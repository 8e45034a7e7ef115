#include "store/sqlite/sqlite_writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>

#include "core/await_callback.hpp"

namespace hookd::store::sqlite {

GroupCommitWriter::GroupCommitWriter(Database db, std::size_t max_batch, bool synchronous_full)
    : db_(std::move(db)),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      synchronous_full_(synchronous_full),
      synchronous_now_full_(synchronous_full) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-writer");
    run();
  });
}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::unique_ptr<GroupCommitWriter::Task> GroupCommitWriter::make_task(QueuedJob queued) {
  auto task = std::make_unique<Task>();
  task->job = std::move(queued.job);
  task->durability = queued.durability;
  task->done = std::move(queued.done);
  return task;
}

// Queues every task in `tasks` in order under one lock, or answers them all if the writer is stopping.
void GroupCommitWriter::enqueue(std::span<std::unique_ptr<Task>> tasks) {
  bool queued = false;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      for (auto& task : tasks) queue_.push_back(std::move(task));
      queued = true;
    }
  }
  if (!queued) {
    for (auto& task : tasks)
      task->done(fail(ErrorKind::unavailable, "store_unavailable", "the store is shutting down"));
    return;
  }
  wake_.notify_one();
}

void GroupCommitWriter::enqueue(WriteJob job, Durability durability, WriteDone done) {
  auto task = make_task(QueuedJob{std::move(job), durability, std::move(done)});
  enqueue(std::span(&task, 1));
}

Result<void> GroupCommitWriter::submit(WriteJob job, Durability durability) {
  return await_callback<Result<void>>(
      [&](auto done) { enqueue(std::move(job), durability, std::move(done)); });
}

void GroupCommitWriter::submit_detached(WriteJob job) {
  enqueue(std::move(job), Durability::durable, [](Result<void>) {});
}

void GroupCommitWriter::submit_async(WriteJob job, Durability durability, WriteDone done) {
  enqueue(std::move(job), durability, std::move(done));
}

void GroupCommitWriter::submit_together(std::vector<QueuedJob> jobs) {
  std::vector<std::unique_ptr<Task>> tasks;
  tasks.reserve(jobs.size());
  for (auto& job : jobs) tasks.push_back(make_task(std::move(job)));
  enqueue(tasks);
}

// Outside a transaction only: the setting applies to the next COMMIT. In WAL mode a later fsync of the WAL
// (the next durable group, or a checkpoint) also makes every earlier unsynced commit durable, in order.
Result<void> GroupCommitWriter::set_synchronous(bool full) {
  if (full == synchronous_now_full_) return {};
  if (auto r = db_.exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"); !r) return r;
  synchronous_now_full_ = full;
  return {};
}

void GroupCommitWriter::set_work_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

WriterStats GroupCommitWriter::stats() const {
  std::lock_guard lock(mutex_);
  WriterStats out = stats_;
  out.queued = queue_.size();
  return out;
}

void GroupCommitWriter::run() {
  while (true) {
    std::deque<std::unique_ptr<Task>> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job has been answered
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
  }
}

void GroupCommitWriter::requeue_front(std::deque<std::unique_ptr<Task>>& tasks) {
  std::lock_guard lock(mutex_);
  for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) queue_.push_front(std::move(*it));
  tasks.clear();
}

void GroupCommitWriter::run_batch(std::deque<std::unique_ptr<Task>>& batch) {
  if (synchronous_full_) {
    bool any_durable = std::any_of(batch.begin(), batch.end(),
                                   [](const auto& t) { return t->durability == Durability::durable; });
    if (auto r = set_synchronous(any_durable); !r) {
      for (auto& task : batch) task->done(std::unexpected(r.error()));
      return;
    }
  }
  // A savepoint costs: SQLite copies every page a job changes into the statement journal first, so that
  // ROLLBACK TO can restore it (about 15 page copies and 45 allocations a message at ingest, 5 % of its
  // instructions). So a group first runs without them. Only when one of its jobs fails is it rolled back and
  // run again with a savepoint per job, undoing the failed job alone; jobs are pure functions of the
  // database, so running one twice is safe. A failed job alone in its group needs no second run.
  if (run_group(batch, /*savepoints=*/false) == GroupEnd::job_failed) {
    {
      std::lock_guard lock(mutex_);
      ++stats_.regrouped;
    }
    (void)run_group(batch, /*savepoints=*/true);
  }
}

GroupCommitWriter::GroupEnd GroupCommitWriter::run_group(std::deque<std::unique_ptr<Task>>& batch,
                                                         bool savepoints) {
  auto answer_all = [&](const Error& error) {
    for (auto& task : batch) task->done(std::unexpected(error));
    return GroupEnd::answered;
  };
  auto tx = Transaction::begin(db_, /*immediate=*/true);
  if (!tx) return answer_all(tx.error());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Task& task = *batch[i];
    std::optional<Savepoint> savepoint;
    if (savepoints) {
      auto begun = Savepoint::begin(db_);
      if (!begun) {
        task.result = std::unexpected(begun.error());
        continue;
      }
      savepoint.emplace(std::move(*begun));
    }
    WriteTx write{db_};
    try {
      task.result = task.job(write);
    } catch (const std::exception& e) {
      task.result = internal_error(std::string("write job threw: ") + e.what());
    }
    if (db_.autocommit()) {
      // SQLite rolled the whole group back by itself (SQLITE_FULL, I/O error): this job gets its error,
      // every other job of the group runs again in a later group. At least one job leaves per round.
      Result<void> own = task.result ? Result<void>(fail(ErrorKind::unavailable, "store_unavailable",
                                                         "the transaction was rolled back by SQLite"))
                                     : task.result;
      task.done(std::move(own));
      batch.erase(batch.begin() + static_cast<std::ptrdiff_t>(i));
      {
        std::lock_guard lock(mutex_);
        stats_.rerun += batch.size();
      }
      requeue_front(batch);
      return GroupEnd::answered;
    }
    task.added_due_work = task.result.has_value() && write.added_due_work;
    if (savepoint) {
      if (task.result) {
        if (auto r = savepoint->release(); !r) task.result = std::unexpected(r.error());
      } else {
        savepoint->rollback();
      }
    } else if (!task.result) {
      tx->rollback();  // undoes the failed job, and with it the whole group
      if (batch.size() > 1) return GroupEnd::job_failed;
      task.done(std::move(task.result));  // alone in its group: nothing else to keep
      return GroupEnd::answered;
    }
  }
  const auto commit_began = std::chrono::steady_clock::now();
  if (auto committed = tx->commit(); !committed) {
    // Nothing of the group is written; SQLITE_FULL / IOERR arrive here as unavailable.
    return answer_all(committed.error());
  }
  const auto commit_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - commit_began)
          .count());
  const bool durable = std::any_of(batch.begin(), batch.end(),
                                   [](const auto& t) { return t->durability == Durability::durable; });
  std::function<void()> listener;
  bool wake = std::any_of(batch.begin(), batch.end(), [](const auto& t) { return t->added_due_work; });
  {
    std::lock_guard lock(mutex_);
    ++stats_.batches;
    stats_.jobs += batch.size();
    stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
    if (durable) {
      const auto& bounds = WriterStats::kCommitBucketsUs;
      auto bucket = std::lower_bound(bounds.begin(), bounds.end(), commit_us) - bounds.begin();
      ++stats_.durable_commit_us_buckets[static_cast<std::size_t>(bucket)];
      stats_.durable_commit_us_sum += commit_us;
    }
    if (wake) listener = listener_;
  }
  if (listener) listener();
  for (auto& task : batch) task->done(std::move(task->result));
  return GroupEnd::committed;
}

}  // namespace hookd::store::sqlite
