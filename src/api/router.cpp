#include "api/router.hpp"

#include "api/errors.hpp"
#include "core/await_callback.hpp"

namespace hookd::api {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  std::vector<std::string> segments;
  for (auto s : split_path(pattern)) segments.emplace_back(s);
  routes_.push_back(
      Route{std::move(method), std::move(pattern), std::move(segments), std::move(handler), {}, {}});
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler,
                       InlineCheck runs_inline) {
  add(std::move(method), std::move(pattern), {});
  routes_.back().async_handler = std::move(handler);
  routes_.back().runs_inline = std::move(runs_inline);
}

bool Router::runs_inline(const Request& request) const {
  auto found = find(request);
  const auto* route = std::get_if<0>(&found);
  return route && route->first->runs_inline && route->first->runs_inline(request);
}

std::variant<std::pair<const Router::Route*, PathParams>, Response> Router::find(
    const Request& request) const {
  auto parts = split_path(request.path);
  bool path_known = false;
  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    PathParams params;
    bool match = true;
    for (std::size_t i = 0; i < parts.size() && match; ++i) {
      const auto& seg = route.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        params.emplace(seg.substr(1, seg.size() - 2), std::string(parts[i]));
      } else {
        match = seg == parts[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (route.method == request.method) return std::pair{&route, std::move(params)};
  }
  if (path_known) return error_response(405, "method_not_allowed", "this method is not allowed on this path");
  return error_response(404, "not_found", "no such route: " + request.path);
}

Response Router::dispatch(const Request& request) const {
  auto found = find(request);
  if (auto* answer = std::get_if<Response>(&found)) return std::move(*answer);
  // Plain references, not a structured binding: clang 14 (the fuzz build) cannot capture a binding.
  const Route& route = *std::get<0>(found).first;
  const PathParams& params = std::get<0>(found).second;
  if (route.handler) return route.handler(request, params);
  return await_callback<Response>([&](auto done) { route.async_handler(request, params, std::move(done)); });
}

void Router::dispatch_async(const Request& request, Responder respond) const {
  auto found = find(request);
  if (auto* answer = std::get_if<Response>(&found)) return respond(std::move(*answer));
  auto& [route, params] = std::get<0>(found);
  if (route->handler) return respond(route->handler(request, params));
  route->async_handler(request, params, std::move(respond));
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace hookd::api
