#pragma once
// Tells the other nodes that this one added due work: `NOTIFY hookd_work, <token>` (pg_listener.hpp hears
// it) sent on a connection and a thread of its own, after the work's transaction has committed, and at most
// once every `min_interval` while work keeps coming (one notice stands for everything added before it).
//
// Not inside the transaction that added the work: PostgreSQL serializes the commits of all transactions that
// sent a NOTIFY (a database-wide lock from before the commit record until the commit is flushed), so creates
// that each notified could not share a WAL flush and ingest ran at one commit per fsync (docs/DESIGN.md,
// "Several nodes on PostgreSQL", idle nodes).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/postgres/pg_connection.hpp"

namespace hookd::store::postgres {

class WorkNotifier {
 public:
  WorkNotifier(std::string conninfo, std::string token,
               std::chrono::milliseconds min_interval = std::chrono::milliseconds(5));
  // Sends a notice still pending, then stops.
  ~WorkNotifier();
  WorkNotifier(const WorkNotifier&) = delete;
  WorkNotifier& operator=(const WorkNotifier&) = delete;

  // Work was committed: the other nodes hear of it soon. Never waits for the network.
  void request();
  // Notices sent so far (tests).
  std::uint64_t sent() const;

 private:
  void run();
  Result<void> send(std::optional<PgConnection>& conn);

  const std::string conninfo_;
  const std::string token_;
  const std::chrono::milliseconds min_interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::uint64_t sent_ = 0;
  std::thread thread_;
};

}  // namespace hookd::store::postgres
