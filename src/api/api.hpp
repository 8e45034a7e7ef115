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
  std::vector<std::pair<std::string, std::string>> routes() const { return router_.routes(); }

 private:
  Response route(Request& request);
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
