// Fills a hookd store (SQLite, or PostgreSQL with --store URL) through the real store interface, for the
// benchmarks that need more data than the HTTP API can load in reasonable time (backlog, growth) or that must
// measure delivery alone (delivery, pg_delivery):
//   bench_preload (--data-dir DIR | --store postgres://…) --app bench --endpoint URL [--endpoint URL …]
//                 --messages N --payload-file FILE [--state pending|delivered] [--threads 16]
// `pending`: every message gets one due delivery per endpoint (as if the endpoints had been paused), so a
// hookd started on DIR afterwards drains them: its delivery rate, without ingest in the way.
// `delivered`: the deliveries are then claimed and recorded as successful attempts (claim_due and
// record_outcomes, as the dispatcher does), leaving the rows a long-running server would have.
// `history`: like `delivered`, but written straight into the SQLite tables in transactions of 50,000 messages
// (the message, its succeeded delivery and one successful attempt per endpoint, as record_outcomes leaves
// them), because the store interface loads a few thousand a second and the growth scenario needs 10,000,000.
// The application and endpoints still go through the store interface.
// Writes use synchronous=NORMAL (loading, not measured; `history`: OFF). Run it while no hookd uses DIR; it
// reuses the application (by uid) and endpoints (by URL) a previous run created.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/secrets.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"

namespace {

using namespace hookd;

struct Options {
  std::string data_dir;
  std::string store_url;  // instead of data_dir: a PostgreSQL store (not for --state history)
  std::string app_uid = "bench";
  std::vector<std::string> endpoints;
  long long messages = 0;
  std::string payload_file;
  bool delivered = false;
  bool history = false;
  int threads = 16;
};

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "bench_preload: {}\n", what);
  std::exit(1);
}

template <class T>
T must(Result<T> r, std::string_view what) {
  if (!r) fail(fmt::format("{}: {}", what, r.error().detail));
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--data-dir")
      o.data_dir = value();
    else if (arg == "--store")
      o.store_url = value();
    else if (arg == "--app")
      o.app_uid = value();
    else if (arg == "--endpoint")
      o.endpoints.push_back(value());
    else if (arg == "--messages")
      o.messages = std::stoll(value());
    else if (arg == "--payload-file")
      o.payload_file = value();
    else if (arg == "--state") {
      std::string state = value();
      o.delivered = state == "delivered";
      o.history = state == "history";
    } else if (arg == "--threads")
      o.threads = std::max(1, std::stoi(value()));
    else
      fail("unknown argument " + arg);
  }
  if (o.data_dir.empty() == o.store_url.empty() || o.endpoints.empty() || o.payload_file.empty() ||
      (o.history && o.data_dir.empty())) {
    fail(
        "usage: (--data-dir DIR | --store URL) --endpoint URL… --messages N --payload-file FILE "
        "[--state pending|delivered|history (--data-dir only)]");
  }
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The `history` state: direct inserts in the schema's own column order
// (src/store/sqlite/sqlite_migrations.cpp).
void write_history(const std::string& db_path, const std::string& app_id,
                   const std::vector<std::string>& endpoint_ids, const std::string& url, long long messages,
                   const std::string& payload, IdGenerator& ids, TimePoint now) {
  using store::sqlite::Database;
  auto db = must(Database::open(db_path, Database::Mode::read_write, 10'000), "opening the database");
  must(db.exec("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144"), "pragmas");
  constexpr long long kPerTransaction = 50'000;
  const std::string response_headers = R"({"content-type":"text/plain"})";
  const std::string request_headers = R"({"content-type":"application/json"})";
  for (long long done = 0; done < messages;) {
    must(db.exec("BEGIN IMMEDIATE"), "begin");
    const long long end = std::min(messages, done + kPerTransaction);
    for (; done < end; ++done) {
      const TimePoint created = now - std::chrono::hours(24) + Millis(done % 3'600'000);
      const std::string msg_id = ids.next(id_prefix::message);
      auto message =
          must(db.prepare("INSERT INTO messages (id, app_id, event_id, event_type, payload, "
                          "channels, created_at) VALUES (?, ?, NULL, 'booking.created', ?, NULL, ?)"),
               "prepare");
      must(message->bind_all(msg_id, app_id, payload, created).run(), "insert message");
      for (const auto& endpoint_id : endpoint_ids) {
        auto delivery = must(db.prepare("INSERT INTO deliveries (msg_id, endpoint_id, app_id, status, "
                                        "attempt_count, next_attempt_at, manual, created_at) "
                                        "VALUES (?, ?, ?, ?, 1, ?, 0, ?)"),
                             "prepare");
        must(delivery
                 ->bind_all(msg_id, endpoint_id, app_id, static_cast<int>(DeliveryStatus::succeeded), created,
                            created)
                 .run(),
             "insert delivery");
        auto attempt =
            must(db.prepare("INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, 200, 'ok', ?, ?, NULL, "
                            "1, ?, '', ?)"),
                 "prepare");
        must(
            attempt
                ->bind_all(ids.next(id_prefix::attempt), app_id, msg_id, endpoint_id, url, created,
                           static_cast<int>(AttemptStatus::success), response_headers, request_headers,
                           std::string(to_string(ErrorClass::none)), static_cast<int>(TriggerType::scheduled))
                .run(),
            "insert attempt");
      }
      if ((done + 1) % 1'000'000 == 0) fmt::print(stderr, "  {} messages of history\n", done + 1);
    }
    must(db.exec("COMMIT"), "commit");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::ifstream in(o.payload_file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string payload = must(json_text::minify(buffer.str()), "payload file");

  store::StoreOptions store_options;
  if (o.store_url.empty()) {
    std::filesystem::create_directories(o.data_dir);
    store_options.url = "sqlite:" + (std::filesystem::path(o.data_dir) / "hookd.db").string();
  } else {
    store_options.url = o.store_url;
  }
  store_options.synchronous_full = false;
  auto store = must(store::open_store(store_options), "opening the store");

  SystemClock clock;
  SecureRandom random;
  IdGenerator ids(clock, random);
  const TimePoint now = clock.now();

  Application app;
  if (auto existing = store->get_application(o.app_uid)) {
    app = *existing;
  } else {
    app.id = ids.next(id_prefix::application);
    app.uid = o.app_uid;
    app.name = o.app_uid;
    app.created_at = app.updated_at = now;
    app = must(store->create_application(app), "creating the application");
  }
  auto existing_endpoints = must(store->all_endpoints(app.id), "listing endpoints");
  std::vector<std::string> endpoint_ids;
  for (const auto& url : o.endpoints) {
    auto found = std::find_if(existing_endpoints.begin(), existing_endpoints.end(),
                              [&](const Endpoint& e) { return e.url == url; });
    if (found != existing_endpoints.end()) {
      endpoint_ids.push_back(found->id);
      continue;
    }
    Endpoint ep;
    ep.id = ids.next(id_prefix::endpoint);
    ep.app_id = app.id;
    ep.url = url;
    ep.secrets = {EndpointSecret{generate_symmetric_secret(random), std::nullopt}};
    ep.created_at = ep.updated_at = now;
    endpoint_ids.push_back(must(store->create_endpoint(ep), "creating an endpoint").id);
  }

  auto t0 = std::chrono::steady_clock::now();
  if (o.history) {
    const std::string db_path = (std::filesystem::path(o.data_dir) / "hookd.db").string();
    store.reset();  // its writer is the database's only writer while it is open
    write_history(db_path, app.id, endpoint_ids, o.endpoints.front(), o.messages, payload, ids, now);
    fmt::print("wrote {} messages of history x {} endpoints ({:.0f} messages/s)\n", o.messages,
               endpoint_ids.size(), static_cast<double>(o.messages) / std::max(seconds_since(t0), 1e-9));
    return 0;
  }

  // Many threads, each blocking on its own create_message: the writer commits them in groups.
  std::atomic<long long> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < o.threads; ++t) {
    workers.emplace_back([&] {
      for (long long i = next++; i < o.messages; i = next++) {
        store::NewMessage m;
        m.message.id = ids.next(id_prefix::message);
        m.message.app_id = app.id;
        m.message.event_type = "booking.created";
        m.message.payload = payload;
        m.message.created_at = now;
        m.endpoint_ids = endpoint_ids;
        must(store->create_message(m), "create_message");
        if ((i + 1) % 1'000'000 == 0) fmt::print(stderr, "  {} messages\n", i + 1);
      }
    });
  }
  for (auto& w : workers) w.join();
  workers.clear();
  double created_s = seconds_since(t0);
  fmt::print("preloaded {} messages x {} endpoints ({:.0f} messages/s)\n", o.messages, endpoint_ids.size(),
             static_cast<double>(o.messages) / std::max(created_s, 1e-9));
  if (!o.delivered) return 0;

  // Deliver them on paper: claim and record a successful attempt, as the dispatcher would.
  t0 = std::chrono::steady_clock::now();
  std::atomic<long long> recorded{0};
  for (int t = 0; t < o.threads; ++t) {
    workers.emplace_back([&] {
      store::ClaimOptions claim;
      claim.limit = 1000;
      claim.lease = std::chrono::hours(1);
      claim.owner = "bench-preload";
      while (true) {
        auto claimed = must(store->claim_due(clock.now(), claim), "claim_due");
        if (claimed.empty()) return;
        std::vector<store::AttemptOutcome> outcomes;
        outcomes.reserve(claimed.size());
        for (const auto& c : claimed) {
          store::AttemptOutcome out;
          out.delivery_id = c.delivery.id;
          out.next_status = DeliveryStatus::succeeded;
          out.endpoint_succeeded = true;
          Attempt& a = out.attempt;
          a.id = ids.next(id_prefix::attempt);
          a.msg_id = c.delivery.msg_id;
          a.endpoint_id = c.delivery.endpoint_id;
          a.app_id = c.delivery.app_id;
          a.url = o.endpoints.front();
          a.timestamp = clock.now();
          a.status = AttemptStatus::success;
          a.response_status_code = 200;
          a.response_body = "ok";
          a.duration_ms = 1;
          outcomes.push_back(std::move(out));
        }
        must(store->record_outcomes(outcomes), "record_outcomes");
        recorded += static_cast<long long>(outcomes.size());
      }
    });
  }
  for (auto& w : workers) w.join();
  fmt::print("recorded {} successful attempts ({:.0f}/s)\n", recorded.load(),
             static_cast<double>(recorded.load()) / std::max(seconds_since(t0), 1e-9));
  return 0;
}
