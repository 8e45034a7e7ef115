#include "api/api.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/errors.hpp"
#include "api/portal_tokens.hpp"
#include "api/request_helpers.hpp"
#include "core/secrets.hpp"

namespace hookd::api {
namespace {

constexpr auto kIdempotencyTtl = std::chrono::hours(12);
constexpr auto kIdempotencyWait = std::chrono::seconds(30);

std::optional<std::string_view> bearer_token(const Request& request) {
  auto auth = request.header("authorization");
  if (!auth) return std::nullopt;
  std::string_view v = *auth;
  if (v.size() > 7 && (v.starts_with("Bearer ") || v.starts_with("bearer "))) return v.substr(7);
  return std::nullopt;
}

std::string_view mime_type(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  return "application/octet-stream";
}

}  // namespace

Api::Api(ApiContext& ctx, std::function<std::string()> metrics_text)
    : ctx_(ctx), metrics_text_(std::move(metrics_text)) {
  register_app_routes(router_, ctx_);
  register_event_type_routes(router_, ctx_);
  register_endpoint_routes(router_, ctx_);
  register_message_routes(router_, ctx_);
  register_attempt_routes(router_, ctx_);
  register_event_routes(router_, ctx_);
  router_.add("POST", "/api/v1/auth/app-portal-access/{app}",
              [this](const Request& req, const PathParams& params) { return portal_access(req, params); });
}

Response Api::portal_access(const Request& request, const PathParams& params) {
  auto app = find_app(ctx_, params);
  if (!app) return to_response(app.error());
  auto body = parse_object(request.body.empty() ? "{}" : request.body);
  if (!body) return to_response(body.error());
  auto expiry = read_int(*body, "expiry");
  if (!expiry) return to_response(expiry.error());
  Millis ttl = ctx_.config.portal_token_ttl;
  if (expiry->value) {
    if (*expiry->value < 60 || *expiry->value > 7 * 86400)
      return validation_error("expiry", "from 60 to 604800 seconds");
    ttl = std::chrono::seconds(*expiry->value);
  }
  auto token = issue_portal_token(ctx_.portal_key, app->id, ctx_.clock.now() + ttl);
  std::string url = ctx_.config.public_url + "/portal/#token=" + token;
  return json_response(200, boost::json::serialize(boost::json::object{{"url", url}, {"token", token}}));
}

Response Api::handle(Request& request) {
  if (!IngestMetrics::is_ingest_request(request.method, request.path)) return route(request);
  Response response = route(request);
  ingest_metrics_.record(response.status);
  return response;
}

void Api::handle_async(Request& request, Responder respond) {
  if (IngestMetrics::is_ingest_request(request.method, request.path)) {
    respond = [this, respond = std::move(respond)](Response response) {
      ingest_metrics_.record(response.status);
      respond(std::move(response));
    };
  }
  std::string_view token;
  if (auto answered = screen(request, token)) return respond(std::move(*answered));
  if (has_idempotency_key(request)) return respond(handle_authenticated(request, token));
  router_.dispatch_async(request, std::move(respond));
}

bool Api::runs_inline(const Request& request) const {
  return ctx_.store.reads_are_local() && request.path.starts_with("/api/") && !has_idempotency_key(request) &&
         router_.runs_inline(request);
}

Response Api::route(Request& request) {
  std::string_view token;
  if (auto answered = screen(request, token)) return std::move(*answered);
  return handle_authenticated(request, token);
}

std::optional<Response> Api::screen(Request& request, std::string_view& token_out) {
  const std::string& path = request.path;
  if (path == "/api/v1/health" || path == "/api/v1/health/") {
    auto probe = ctx_.store.next_due_time();  // a real query: settings may be served from a cache
    if (!probe) return error_response(503, "store_unavailable", probe.error().detail);
    return json_response(200, R"({"status":"ok"})");
  }
  if (path == "/metrics" && metrics_text_) {
    Response r = json_response(200, metrics_text_() + ingest_metrics_.render());
    r.content_type = "text/plain; version=0.0.4";
    return r;
  }
  if (path == "/" || path == "/portal" || path.starts_with("/portal/")) return serve_portal(request);
  if (!path.starts_with("/api/")) return error_response(404, "not_found", "no such route: " + path);

  auto token = bearer_token(request);
  if (!token)
    return error_response(401, "authentication_failed", "missing Authorization: Bearer <token> header");
  if (token->starts_with(kPortalTokenPrefix)) {
    auto app_id = verify_portal_token(ctx_.portal_key, *token, ctx_.clock.now());
    if (!app_id) return error_response(401, "authentication_failed", "invalid or expired portal token");
    if (auto refused = check_portal_scope(request, *app_id)) return *refused;
    if (request.path == "/api/v1/portal/session") return session_response(*app_id);
    token_out = *token;
    return std::nullopt;
  }
  if (!constant_time_equals(sha256_hex(*token), ctx_.admin_token_hash)) {
    return error_response(401, "authentication_failed", "invalid token");
  }
  if (request.path == "/api/v1/portal/session") return session_response(std::nullopt);
  token_out = *token;
  return std::nullopt;
}

// A portal token reaches its own application's routes and reads the catalog; nothing else.
std::optional<Response> Api::check_portal_scope(const Request& request, const std::string& app_id) {
  auto parts = split_path(request.path);
  if (request.path == "/api/v1/portal/session") return std::nullopt;
  if (parts.size() >= 3 && parts[2] == "event-type" && request.method == "GET") return std::nullopt;
  if (parts.size() >= 4 && parts[2] == "app") {
    if (parts.size() == 4 && request.method != "GET") {
      return error_response(403, "forbidden", "a portal token cannot change or delete its application");
    }
    auto app = ctx_.store.get_application(parts[3]);
    if (app && app->id == app_id) return std::nullopt;
    // Another tenant's application looks the same as a missing one.
    return error_response(404, "not_found", "no such application");
  }
  return error_response(403, "forbidden", "a portal token only reaches its own application");
}

Response Api::session_response(const std::optional<std::string>& app_id) {
  if (!app_id) return json_response(200, R"({"role":"admin"})");
  auto app = ctx_.store.get_application(*app_id);
  if (!app) return to_response(app.error());
  return json_response(
      200, boost::json::serialize(boost::json::object{{"role", "tenant"}, {"app", to_json(*app)}}));
}

bool Api::has_idempotency_key(const Request& request) const {
  if (request.method != "POST") return false;
  auto key = request.header("idempotency-key");
  return key && !key->empty();
}

Response Api::handle_authenticated(Request& request, std::string_view token) {
  if (has_idempotency_key(request)) {
    auto key = *request.header("idempotency-key");
    if (key.size() > 256) return validation_error("idempotency-key", "longer than 256 characters", "header");
    return with_idempotency(request, token, key);
  }
  return router_.dispatch(request);
}

// The first request with a key runs; a concurrent duplicate waits for it; later duplicates get the stored
// answer for 12 hours. Only 2xx answers are kept, so a failed request may be retried with the same key.
Response Api::with_idempotency(Request& request, std::string_view token, std::string_view key) {
  std::string scoped = sha256_hex(std::string(token) + "\n" + request.path + "\n" + std::string(key));
  {
    std::unique_lock lock(inflight_mutex_);
    bool free =
        inflight_done_.wait_for(lock, kIdempotencyWait, [&] { return !inflight_keys_.contains(scoped); });
    if (!free) return error_response(409, "conflict", "a request with this idempotency-key is still running");
    inflight_keys_.insert(scoped);
  }
  auto release = [&] {
    {
      std::lock_guard lock(inflight_mutex_);
      inflight_keys_.erase(scoped);
    }
    inflight_done_.notify_all();
  };
  auto stored = ctx_.store.get_idempotency(scoped, ctx_.clock.now());
  if (stored && *stored) {
    release();
    Response r = json_response((*stored)->status, (*stored)->body);
    if (r.status == 204) r.content_type.clear();
    return r;
  }
  Response response = router_.dispatch(request);
  if (response.status >= 200 && response.status < 300) {
    store::IdempotencyRecord record{scoped, response.status, response.body,
                                    ctx_.clock.now() + kIdempotencyTtl};
    if (auto r = ctx_.store.put_idempotency(record); !r) {
      spdlog::warn("idempotency record not stored: {}", r.error().detail);
    }
  }
  release();
  return response;
}

Response Api::serve_portal(const Request& request) const {
  if (request.path == "/") {
    Response r = json_response(302, "");
    r.content_type.clear();
    r.headers.emplace_back("location", "/portal/");
    return r;
  }
  if (ctx_.config.portal_dir.empty()) return error_response(404, "not_found", "the portal is not built");
  namespace fs = std::filesystem;
  fs::path root = fs::weakly_canonical(ctx_.config.portal_dir);
  std::string rel = request.path.size() > 8 ? request.path.substr(8) : "";
  fs::path file = fs::weakly_canonical(root / rel);
  // Stay inside the portal directory; unknown paths get the single-page app's index.
  auto [root_end, _] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (root_end != root.end() || rel.empty() || !fs::is_regular_file(file)) file = root / "index.html";
  std::ifstream in(file, std::ios::binary);
  if (!in) return error_response(404, "not_found", "the portal is not built");
  std::ostringstream content;
  content << in.rdbuf();
  Response r = json_response(200, content.str());
  r.content_type = std::string(mime_type(file));
  return r;
}

}  // namespace hookd::api
