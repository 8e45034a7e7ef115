#pragma once
// A throwaway PostgreSQL cluster for tests: initdb into a temp dir as an unprivileged user (PostgreSQL
// refuses to run as root), postgres on a free loopback port with fsync off, stopped and removed in the
// destructor. One cluster serves the whole test binary; each test asks it for a fresh database.
//
// HOOKD_TEST_PG_URL=postgres://… (e.g. from scripts/pg-cluster.sh) makes tests use that server instead
// of starting their own; each test still gets a fresh database on it.
#include <filesystem>
#include <string>

namespace hookd::testing {

class PgCluster {
 public:
  // The cluster for this process, started on first use. Throws std::runtime_error (failing the calling
  // test with the reason) when PostgreSQL is not installed or does not start.
  static PgCluster& shared();

  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Creates an empty database and returns its libpq URL.
  std::string create_database();
  // The URL of the `postgres` maintenance database (superuser).
  const std::string& admin_url() const { return admin_url_; }

 private:
  PgCluster();
  void start_local();
  void stop();  // stops the local server (if started) and removes its directory

  std::filesystem::path dir_;  // empty when an external server is used
  std::string bin_dir_;
  std::string admin_url_;
  std::string host_, port_, user_;
};

// Where PostgreSQL's server binaries are (initdb, pg_ctl, postgres), or "" when not installed.
std::string find_postgres_bin_dir();

}  // namespace hookd::testing
