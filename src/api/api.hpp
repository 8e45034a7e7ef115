#pragma once
// The API entry point: authentication, idempotency keys, then routing to the resource handlers.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "api/context.hpp"
#include "api/http.hpp"
#include "api/ingest_metrics.hpp"
#include "api/router.hpp"

namespace hookd::api {

class Api {
 public:
  // `metrics_text` renders /metrics (Prometheus text format); the composition root supplies it.
  Api(ApiContext& ctx, std::function<std::string()> metrics_text = {});
  Response handle(Request& request);
  // The same, answered through `respond` (exactly once, perhaps on another thread): a message create waits
  // for its commit without holding the calling thread. `request` must outlive the answer.
  void handle_async(Request& request, Responder respond);
  // Whether handle_async may be called on an I/O thread for this request: it will not wait there. Only a
  // message create without `wait` or an idempotency key, on a store whose reads are local (SQLite: from
  // memory, or the local file); everything else may wait for the store and goes to the worker pool.
  bool runs_inline(const Request& request) const;
  std::vector<std::pair<std::string, std::string>> routes() const { return router_.routes(); }

 private:
  Response route(Request& request);
  // What is answered before the router: health, metrics, the portal's files, authentication, portal scope.
  // nullopt: the request is authenticated with `token` and goes on to handle_authenticated.
  std::optional<Response> screen(Request& request, std::string_view& token);
  bool has_idempotency_key(const Request& request) const;
  Response handle_authenticated(Request& request, std::string_view token);
  Response with_idempotency(Request& request, std::string_view token, std::string_view key);
  Response serve_portal(const Request& request) const;
  std::optional<Response> check_portal_scope(const Request& request, const std::string& app_id);
  Response session_response(const std::optional<std::string>& app_id);
  Response portal_access(const Request& request, const PathParams& params);

  ApiContext& ctx_;
  Router router_;
  std::function<std::string()> metrics_text_;
  IngestMetrics ingest_metrics_;
  std::mutex inflight_mutex_;  // guards inflight_keys_
  std::condition_variable inflight_done_;
  std::set<std::string> inflight_keys_;
};

}  // namespace hookd::api
