#pragma once
// Small helpers shared by the route files: pagination, time query parameters, path lookups.
#include <optional>
#include <string>

#include "api/context.hpp"
#include "api/errors.hpp"
#include "api/http.hpp"
#include "api/json_mapping.hpp"
#include "api/router.hpp"

namespace hookd::api {

Result<store::PageRequest> page_request(const Request& request);
Result<std::optional<TimePoint>> time_param(const Request& request, std::string_view name);
// `event_types`, comma-separated and/or repeated (also `event_types[]`); nullopt when absent.
std::optional<std::vector<std::string>> event_types_param(const Request& request);
// The application named by the {app} path parameter (id or uid), or a 404.
Result<Application> find_app(ApiContext& ctx, const PathParams& params);

// Turns a Result into a response: errors through to_response, values through `ok`.
template <class T, class F>
Response respond(Result<T>&& result, F&& ok) {
  if (!result) return to_response(result.error());
  return ok(*result);
}

template <class T>
std::string list_body(const store::Page<T>& page, auto&& to_text, auto&& id_of) {
  std::vector<std::string> texts, ids;
  for (const auto& item : page.items) {
    texts.push_back(to_text(item));
    ids.push_back(id_of(item));
  }
  return list_json(texts, ids, page.done);
}

void register_app_routes(Router& router, ApiContext& ctx);
void register_event_type_routes(Router& router, ApiContext& ctx);
void register_endpoint_routes(Router& router, ApiContext& ctx);
void register_message_routes(Router& router, ApiContext& ctx);
void register_attempt_routes(Router& router, ApiContext& ctx);
void register_event_routes(Router& router, ApiContext& ctx);

}  // namespace hookd::api
