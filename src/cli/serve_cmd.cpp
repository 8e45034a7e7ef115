// `hookd serve`: one process serves the API, the portal and the dispatcher on one store.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/api.hpp"
#include "api/server.hpp"
#include "catalog/catalog.hpp"
#include "cli/commands.hpp"
#include "cli/retention_flags.hpp"
#include "cli/secret_keys.hpp"
#include "core/secrets.hpp"
#include "delivery/dispatcher.hpp"
#include "delivery/http_client.hpp"
#include "delivery/queue_metrics.hpp"
#include "store/operational.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace hookd::cli {
namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:8071";
  std::string data_dir = "./hookd-data";
  std::string store_url;
  std::string admin_token;
  bool allow_private_targets = false;
  std::vector<std::string> allow_cidrs;
  std::string retry_schedule = "5s,5m,30m,2h,5h,10h,10h";
  std::string request_timeout = "15s";
  std::size_t max_body_bytes = 1 << 20;
  std::vector<std::string> catalogs;
  bool catalog_overwrite = false;
  std::string catalogs_dir = default_catalogs_dir();
  std::string portal_dir = default_portal_dir();
  std::string validation = "warn";
  std::string sync = "full";
  std::string public_url;
  std::string node_id = "local";
  std::string log_level = "info";
  std::string ca_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_handshake_timeout = "10s";
  std::string operational_url;
  std::string operational_secret;
  RetentionFlags retention;
  int endpoint_concurrency = 64;
  SecretKeyOptions secret_keys;
};

// The operator's webhook: an internal application with one endpoint at the given URL, subscribed to the
// operational event types. Idempotent across restarts.
Result<void> setup_operational_webhook(store::Store& store, IdGenerator& ids, const Clock& clock,
                                       RandomSource& random, const std::string& url,
                                       const std::string& secret) {
  auto now = clock.now();
  std::vector<EventType> types;
  for (auto name : store::kOperationalEventTypes) {
    EventType t;
    t.name = std::string(name);
    t.group_name = "operational";
    t.description = "hookd operational event";
    t.created_at = t.updated_at = now;
    types.push_back(t);
  }
  if (auto r = store.import_event_types(types, false); !r) return std::unexpected(r.error());
  auto app = store.get_application(store::kOperationalAppUid);
  if (!app) {
    Application a;
    a.id = ids.next(id_prefix::application);
    a.uid = std::string(store::kOperationalAppUid);
    a.name = "hookd operational webhooks";
    a.created_at = a.updated_at = now;
    app = store.create_application(a);
    if (!app) return std::unexpected(app.error());
  }
  auto endpoints = store.all_endpoints(app->id);
  if (!endpoints) return std::unexpected(endpoints.error());
  for (const auto& e : *endpoints)
    if (e.url == url) return {};
  Endpoint e;
  e.id = ids.next(id_prefix::endpoint);
  e.app_id = app->id;
  e.url = url;
  e.description = "operator";
  e.secrets.push_back({secret.empty() ? generate_symmetric_secret(random) : secret, std::nullopt});
  e.created_at = e.updated_at = now;
  if (auto r = store.create_endpoint(e); !r) return std::unexpected(r.error());
  spdlog::info("operational webhooks go to {} (secret: GET /api/v1/app/{}/endpoint/{}/secret)", url,
               store::kOperationalAppUid, e.id);
  return {};
}

// Blocks SIGINT/SIGTERM in every thread and waits for them on one: a clean shutdown path.
class SignalWaiter {
 public:
  SignalWaiter() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  int wait() {
    int sig = 0;
    sigwait(&set_, &sig);
    return sig;
  }

 private:
  sigset_t set_{};
};

Result<std::string> admin_token_hash(store::Store& store, const std::string& given, RandomSource& random) {
  std::string token = given;
  if (token.empty()) {
    if (const char* env = std::getenv("HOOKD_ADMIN_TOKEN"); env && *env) token = env;
  }
  if (!token.empty()) {
    auto hash = sha256_hex(token);
    if (auto r = store.set_setting("admin_token_sha256", hash); !r) return std::unexpected(r.error());
    return hash;
  }
  auto stored = store.get_setting("admin_token_sha256");
  if (!stored) return std::unexpected(stored.error());
  if (*stored) return **stored;
  // First start without a token: make one, keep only its hash, show it once.
  token = generate_token("hk_", random);
  auto hash = sha256_hex(token);
  if (auto r = store.set_setting("admin_token_sha256", hash); !r) return std::unexpected(r.error());
  fmt::print("Generated admin token (shown once, store it safely): {}\n", token);
  return hash;
}

// The SQLite writer's group commits, in Prometheus text format.
std::string render_writer_metrics(const store::SqliteWriterStats& writer) {
  // Jobs over commits is the group-commit batch size: what each fsync and WAL write is shared by.
  std::string text = "# TYPE hookd_store_commits_total counter\n";
  text += fmt::format("hookd_store_commits_total {}\n", writer.batches);
  text += "# TYPE hookd_store_committed_jobs_total counter\n";
  text += fmt::format("hookd_store_committed_jobs_total {}\n", writer.jobs);
  text += "# TYPE hookd_store_queued_jobs gauge\n";
  text += fmt::format("hookd_store_queued_jobs {}\n", writer.queued);
  // What callers waited on the disk: the COMMIT (and fsync) of each group holding a durable write.
  text += "# TYPE hookd_store_durable_commit_seconds histogram\n";
  const auto& bounds = store::SqliteWriterStats::kCommitBucketsUs;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < writer.durable_commit_us_buckets.size(); ++i) {
    cumulative += writer.durable_commit_us_buckets[i];
    std::string le = i < bounds.size() ? fmt::format("{}", bounds[i] / 1e6) : "+Inf";
    text += fmt::format("hookd_store_durable_commit_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  text += fmt::format("hookd_store_durable_commit_seconds_sum {}\n", writer.durable_commit_us_sum / 1e6);
  text += fmt::format("hookd_store_durable_commit_seconds_count {}\n", cumulative);
  return text;
}

int serve(ServeOptions& o) {
  SignalWaiter signals;
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  auto colon = o.listen.rfind(':');
  if (colon == std::string::npos) {
    fmt::print(stderr, "--listen must be HOST:PORT\n");
    return 2;
  }
  api::ServerOptions server_options;
  server_options.host = o.listen.substr(0, colon);
  server_options.port = static_cast<std::uint16_t>(std::stoi(o.listen.substr(colon + 1)));
  server_options.max_body_bytes = o.max_body_bytes;
  server_options.tls_cert_file = o.tls_cert;
  server_options.tls_key_file = o.tls_key;
  auto handshake_timeout = parse_duration(o.tls_handshake_timeout);
  if (!handshake_timeout) {
    fmt::print(stderr, "--tls-handshake-timeout: {}\n", handshake_timeout.error().detail);
    return 2;
  }
  server_options.tls_handshake_timeout = *handshake_timeout;

  auto schedule = RetrySchedule::parse(o.retry_schedule);
  if (!schedule) {
    fmt::print(stderr, "--retry-schedule: {}\n", schedule.error().detail);
    return 2;
  }
  auto timeout = parse_duration(o.request_timeout);
  if (!timeout) {
    fmt::print(stderr, "--request-timeout: {}\n", timeout.error().detail);
    return 2;
  }
  auto retention = parse_retention_flags(o.retention);
  if (!retention) {
    fmt::print(stderr, "{}\n", retention.error().detail);
    return 2;
  }
  if (o.endpoint_concurrency < 1) {
    fmt::print(stderr, "--endpoint-concurrency must be at least 1\n");
    return 2;
  }
  auto mode = api::parse_validation_mode(o.validation);
  if (!mode) {
    fmt::print(stderr, "--validation must be off, warn or strict\n");
    return 2;
  }
  AddressPolicy policy;
  policy.allow_private = o.allow_private_targets;
  for (const auto& c : o.allow_cidrs) {
    auto cidr = Cidr::parse(c);
    if (!cidr) {
      fmt::print(stderr, "--allow-cidr {}: {}\n", c, cidr.error().detail);
      return 2;
    }
    policy.allow_list.push_back(*cidr);
  }

  store::StoreOptions store_options;
  store_options.synchronous_full = o.sync != "normal";
  if (o.store_url.empty()) {
    std::filesystem::create_directories(o.data_dir);
    store_options.url = "sqlite:" + (std::filesystem::path(o.data_dir) / "hookd.db").string();
  } else {
    store_options.url = o.store_url;
  }
  // Seals rows in clear (written before encryption at rest) or under an old key, and refuses to start when
  // a stored secret does not open with this keyring (wrong key) rather than failing deliveries later.
  auto sealed = open_sealed_store(store_options, o.secret_keys, o.data_dir);
  if (!sealed) return sealed.error();
  spdlog::info("endpoint secrets sealed with key {} ({} endpoint(s) resealed now)",
               sealed->keyring->current_id(), sealed->resealed);
  std::unique_ptr<store::Store> store = std::move(sealed->store);

  SystemClock clock;
  SecureRandom random;
  IdGenerator ids(clock, random);
  auto token_hash = admin_token_hash(*store, o.admin_token, random);
  if (!token_hash) {
    fmt::print(stderr, "admin token: {}\n", token_hash.error().detail);
    return 1;
  }

  // The key that signs portal tokens: made once, kept in the store.
  auto portal_key = store->get_setting("portal_token_key");
  if (!portal_key) {
    fmt::print(stderr, "portal key: {}\n", portal_key.error().detail);
    return 1;
  }
  if (!*portal_key) {
    *portal_key = generate_token("", random, 32);
    if (auto r = store->set_setting("portal_token_key", **portal_key); !r) {
      fmt::print(stderr, "portal key: {}\n", r.error().detail);
      return 1;
    }
  }

  for (const auto& name : o.catalogs) {
    auto c = catalog::load_catalog(name, o.catalogs_dir);
    if (!c) {
      fmt::print(stderr, "--catalog {}: {}\n", name, c.error().detail);
      return 2;
    }
    for (auto& t : c->event_types) t.created_at = t.updated_at = clock.now();
    auto added = store->import_event_types(c->event_types, o.catalog_overwrite);
    if (!added) {
      fmt::print(stderr, "loading catalog {}: {}\n", name, added.error().detail);
      return 1;
    }
    spdlog::info("catalog {}: {} event types, {} new", c->name, c->event_types.size(), *added);
  }

  if (!o.operational_url.empty()) {
    if (!o.operational_secret.empty() && !is_valid_secret(o.operational_secret)) {
      fmt::print(stderr, "--operational-webhook-secret must be a whsec_ secret\n");
      return 2;
    }
    if (auto r =
            setup_operational_webhook(*store, ids, clock, random, o.operational_url, o.operational_secret);
        !r) {
      fmt::print(stderr, "operational webhook: {}\n", r.error().detail);
      return 1;
    }
  }

  delivery::HttpClientOptions client_options;
  client_options.policy = policy;
  client_options.ca_file = o.ca_file;
  delivery::HttpClient client(client_options);
  delivery::DeliveryMetrics metrics;
  delivery::DispatcherOptions dispatch_options;
  dispatch_options.schedule = *schedule;
  dispatch_options.request_timeout = *timeout;
  dispatch_options.lease = std::max<Millis>(std::chrono::seconds(30), *timeout * 2 + std::chrono::seconds(5));
  // A graceful stop waits for every request in flight to finish or time out: an abandoned request the
  // receiver did get would be sent again by another node once its lease expires.
  dispatch_options.drain_timeout = *timeout + std::chrono::seconds(5);
  dispatch_options.node_id = o.node_id;
  dispatch_options.per_endpoint_limit = o.endpoint_concurrency;
  delivery::Dispatcher dispatcher(*store, client, clock, random, ids, metrics, dispatch_options);
  store->set_work_listener([&dispatcher] { dispatcher.wake(); });
  delivery::RetentionWorker retention_worker(*store, clock, *retention);

  api::PayloadValidator validator(*mode);
  api::ApiConfig config;
  config.max_body_bytes = o.max_body_bytes;
  config.address_policy = policy;
  config.portal_dir = std::filesystem::exists(o.portal_dir) ? o.portal_dir : "";
  api::ApiContext ctx{*store, clock, random, ids, validator, config, *token_hash, **portal_key};
  auto metrics_text = [&] {
    std::string text = metrics.render();
    if (auto depth = store->queue_depth()) {
      text += "# TYPE hookd_deliveries gauge\n";
      text += fmt::format("hookd_deliveries{{status=\"pending\"}} {}\n", depth->pending);
      text += fmt::format("hookd_deliveries{{status=\"sending\"}} {}\n", depth->sending);
      text += fmt::format("hookd_deliveries{{status=\"succeeded\"}} {}\n", depth->success);
      text += fmt::format("hookd_deliveries{{status=\"failed\"}} {}\n", depth->fail);
    }
    text += "# TYPE hookd_payload_validation_warnings_total counter\n";
    text += fmt::format("hookd_payload_validation_warnings_total {}\n", validator.warnings());
    if (auto writer = store::sqlite_writer_stats(*store)) text += render_writer_metrics(*writer);
    text += render_retention_metrics(retention_worker.totals());
    text += delivery::render_queue_metrics(*store, clock.now());
    return text;
  };
  api::Api api(ctx, metrics_text);
  api::HttpServer server(server_options,
                         api::AsyncRequestHandler([&api](api::Request& r, api::Responder respond) {
                           api.handle_async(r, std::move(respond));
                         }),
                         [&api](const api::Request& r) { return api.runs_inline(r); });
  if (auto r = server.listen(); !r) {
    fmt::print(stderr, "{}\n", r.error().detail);
    return 1;
  }
  const char* scheme = server.tls() ? "https" : "http";
  ctx.config.public_url = o.public_url.empty()
                              ? fmt::format("{}://{}:{}", scheme, server_options.host, server.port())
                              : o.public_url;
  dispatcher.start();
  retention_worker.start();
  std::thread server_thread([&server] { server.run(); });
  fmt::print("hookd listening on {}://{}:{} (store {})\n", scheme, server_options.host, server.port(),
             store_options.url);
  std::cout.flush();
  std::fflush(stdout);

  int sig = signals.wait();
  spdlog::info("signal {}: shutting down", sig);
  server.stop();
  server_thread.join();
  retention_worker.stop();
  dispatcher.stop();
  return 0;
}

}  // namespace

Run add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve the API, the portal and the delivery engine");
  auto o = std::make_shared<ServeOptions>();
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--data-dir", o->data_dir, "Directory of the embedded SQLite store")->capture_default_str();
  cmd->add_option("--store", o->store_url, "Store URL: sqlite:PATH or postgres://USER:PASS@HOST:PORT/DB");
  cmd->add_option(
      "--admin-token", o->admin_token,
      "Admin bearer token (also HOOKD_ADMIN_TOKEN; generated and printed once if neither is set)");
  cmd->add_flag("--allow-private-targets", o->allow_private_targets,
                "Allow endpoints on loopback and private networks (tests, local use)");
  cmd->add_option("--allow-cidr", o->allow_cidrs, "Allow this otherwise refused network (repeatable)");
  cmd->add_option("--retry-schedule", o->retry_schedule,
                  "Delays after each failed attempt, comma-separated, units ms/s/m/h")
      ->capture_default_str();
  cmd->add_option("--request-timeout", o->request_timeout, "Timeout of each delivery request")
      ->capture_default_str();
  cmd->add_option("--max-body", o->max_body_bytes, "Largest accepted request body, in bytes")
      ->capture_default_str();
  cmd->add_option("--catalog", o->catalogs, "Load an event catalog at start: name or path (repeatable)");
  cmd->add_flag(
      "--catalog-overwrite", o->catalog_overwrite,
      "Replace event types already stored with the catalog's versions (default: keep operator edits)");
  cmd->add_option("--catalogs-dir", o->catalogs_dir, "Directory of the built-in catalogs")
      ->capture_default_str();
  cmd->add_option("--portal-dir", o->portal_dir, "Directory of the built portal")->capture_default_str();
  cmd->add_option("--validation", o->validation, "Payload validation on ingest: off, warn or strict")
      ->capture_default_str();
  cmd->add_option(
         "--sync", o->sync,
         "SQLite durability: full (fsync each commit; survives power loss) or normal (survives a crash)")
      ->capture_default_str();
  cmd->add_option("--public-url", o->public_url, "Base URL people reach this server at (portal links)");
  cmd->add_option("--node-id", o->node_id, "Name of this node (lease owner)")->capture_default_str();
  cmd->add_option("--ca-file", o->ca_file, "Extra CA bundle trusted for outbound HTTPS");
  auto* tls_cert = cmd->add_option("--tls-cert", o->tls_cert, "Serve HTTPS with this PEM certificate chain");
  auto* tls_key = cmd->add_option("--tls-key", o->tls_key, "Private key (PEM) of --tls-cert");
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  cmd->add_option("--tls-handshake-timeout", o->tls_handshake_timeout,
                  "Drop a client that has not finished the TLS handshake after this long")
      ->capture_default_str();
  cmd->add_option("--operational-webhook-url", o->operational_url,
                  "Send endpoint.* and message.attempt.* operational events to this URL");
  cmd->add_option("--operational-webhook-secret", o->operational_secret,
                  "Signing secret (whsec_…) of the operational webhook; generated when absent");
  add_secret_key_options(*cmd, o->secret_keys);
  cmd->add_option("--endpoint-concurrency", o->endpoint_concurrency,
                  "Requests in flight to one endpoint at most, over every node sharing the store")
      ->capture_default_str();
  add_retention_options(*cmd, o->retention);
  cmd->add_option("--log-level", o->log_level, "trace, debug, info, warn, error")->capture_default_str();
  return [o] { return serve(*o); };
}

}  // namespace hookd::cli
