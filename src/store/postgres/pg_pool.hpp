#pragma once
// A small blocking pool of libpq connections: every Store call checks one out for its statement or
// transaction and gives it back when done. Connections are opened lazily up to `max_size`; one that lost
// its server is dropped on return and replaced by a fresh one on the next checkout.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.hpp"

namespace hookd::store::postgres {

class ConnectionPool {
 public:
  // `on_connect` runs on every new connection (session settings) before it is handed out.
  ConnectionPool(std::string conninfo, std::size_t max_size,
                 std::function<Result<void>(PgConnection&)> on_connect);

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<PgConnection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    PgConnection& conn() { return *conn_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // Blocks until a connection is free (at most `wait`); unavailable/store_unavailable when the server
  // cannot be reached or the pool stayed exhausted.
  Result<Lease> acquire(std::chrono::milliseconds wait = std::chrono::seconds(30));

 private:
  void give_back(std::unique_ptr<PgConnection> conn);

  const std::string conninfo_;
  const std::size_t max_size_;
  const std::function<Result<void>(PgConnection&)> on_connect_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t open_ = 0;  // idle + checked out
};

}  // namespace hookd::store::postgres
