#include "pg_cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace hookd::testing {
namespace {

constexpr const char* kTestUser = "hookdtest";

// Runs argv (no shell) with stdout and stderr appended to `log`; returns the exit status (-1: not run).
int run(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Commands run as the unprivileged test user when we are root (initdb and postgres refuse root).
std::vector<std::string> as_test_user(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> out{"runuser", "-u", kTestUser, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void ensure_test_user(const std::filesystem::path& log) {
  if (::geteuid() != 0 || ::getpwnam(kTestUser) != nullptr) return;
  int rc = run({"useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", kTestUser}, log);
  if (rc != 0 && ::getpwnam(kTestUser) == nullptr) {
    throw std::runtime_error("cannot create the system user '" + std::string(kTestUser) +
                             "' to run PostgreSQL as: " + read_file(log));
  }
}

// Runs one statement on `url`; throws with the server's message on failure.
void admin_exec(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to " + url + ": " + PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(result.get()));
  }
}

// postgres://user@host:port/db?x -> the same URL naming `database`.
std::string with_database(const std::string& url, const std::string& database) {
  auto query = url.find('?');
  std::string base = url.substr(0, query);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  auto scheme_end = base.find("://");
  auto slash = base.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (slash != std::string::npos) base.resize(slash);
  return base + "/" + database + rest;
}

}  // namespace

std::string find_postgres_bin_dir() {
  if (const char* env = std::getenv("HOOKD_PG_BIN"); env != nullptr && *env != '\0') {
    return std::filesystem::exists(std::filesystem::path(env) / "initdb") ? env : "";
  }
  std::vector<std::filesystem::path> candidates;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    if (std::filesystem::exists(entry.path() / "bin" / "initdb")) candidates.push_back(entry.path() / "bin");
  }
  if (candidates.empty()) return "";
  // The newest major version installed (directory names are version numbers).
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return std::atoi(a.parent_path().filename().c_str()) < std::atoi(b.parent_path().filename().c_str());
  });
  return candidates.back().string();
}

PgCluster& PgCluster::shared() {
  static PgCluster cluster;
  return cluster;
}

PgCluster::PgCluster() {
  if (const char* external = std::getenv("HOOKD_TEST_PG_URL"); external != nullptr && *external != '\0') {
    admin_url_ = external;
    return;
  }
  try {
    start_local();
  } catch (...) {
    stop();  // the destructor does not run for a constructor that throws
    throw;
  }
}

void PgCluster::start_local() {
  bin_dir_ = find_postgres_bin_dir();
  if (bin_dir_.empty()) {
    throw std::runtime_error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: install the "
        "`postgresql` package (scripts/setup.sh does) or set HOOKD_PG_BIN / HOOKD_TEST_PG_URL");
  }
  char pattern[] = "/tmp/hookd-pg-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  const auto log = dir_ / "setup.log";
  ensure_test_user(log);
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam(kTestUser);
    if (user == nullptr || ::chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("cannot hand " + dir_.string() + " to " + kTestUser);
    }
  }
  const std::string data = (dir_ / "data").string();
  int rc = run(as_test_user({bin_dir_ + "/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync",
                             "--no-instructions", "-E", "UTF8", "--locale=C"}),
               log);
  if (rc != 0) throw std::runtime_error("initdb failed (" + std::to_string(rc) + "): " + read_file(log));

  // A port found free may be taken before postgres binds it: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = std::to_string(free_loopback_port());
    const std::string options = "-c listen_addresses=127.0.0.1 -c port=" + port_ + " -k " + dir_.string() +
                                " -c fsync=off -c full_page_writes=off -c max_connections=300";
    rc = run(as_test_user({bin_dir_ + "/pg_ctl", "-D", data, "-l", (dir_ / "server.log").string(), "-w", "-t",
                           "60", "-o", options, "start"}),
             log);
    if (rc == 0) break;
  }
  if (rc != 0) {
    throw std::runtime_error("pg_ctl start failed: " + read_file(log) + read_file(dir_ / "server.log"));
  }
  admin_url_ = "postgresql://postgres@127.0.0.1:" + port_ + "/postgres";
}

PgCluster::~PgCluster() {
  stop();
}

void PgCluster::stop() {
  if (dir_.empty()) return;
  if (!port_.empty()) {
    run(as_test_user({bin_dir_ + "/pg_ctl", "-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"}),
        dir_ / "setup.log");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

std::string PgCluster::create_database() {
  static std::atomic<int> counter = 0;
  // A generated identifier (no user input): pid keeps parallel test processes on one server apart.
  std::string name = "hookd_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  admin_exec(admin_url_, "CREATE DATABASE " + name);
  return with_database(admin_url_, name);
}

}  // namespace hookd::testing
