#include "api/request_helpers.hpp"

#include <charconv>

#include "core/time_format.hpp"

namespace hookd::api {

Result<store::PageRequest> page_request(const Request& request) {
  store::PageRequest page;
  if (auto limit = request.query_param("limit")) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc{} || ptr != limit->data() + limit->size() || value < 1 || value > 250) {
      return fail(ErrorKind::invalid_input, "validation", "limit must be an integer from 1 to 250", "limit");
    }
    page.limit = value;
  }
  if (auto it = request.query_param("iterator"); it && !it->empty()) {
    std::string_view v = *it;
    if (v.front() == '-') {
      page.backwards = true;
      v.remove_prefix(1);
    }
    if (v.size() > 300) return invalid("iterator", "invalid iterator");
    page.after_id = std::string(v);
  }
  return page;
}

Result<std::optional<TimePoint>> time_param(const Request& request, std::string_view name) {
  auto v = request.query_param(name);
  if (!v || v->empty()) return std::optional<TimePoint>{};
  auto t = parse_rfc3339(*v);
  if (!t) return invalid(std::string(name), "must be an RFC 3339 time, e.g. 2024-01-20T10:30:00Z");
  return std::optional<TimePoint>(*t);
}

std::optional<std::vector<std::string>> event_types_param(const Request& request) {
  std::vector<std::string> types;
  for (const auto& [k, v] : request.query) {
    if (k != "event_types" && k != "event_types[]") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      if (auto part = rest.substr(0, comma); !part.empty()) types.emplace_back(part);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (types.empty()) return std::nullopt;
  return types;
}

Result<Application> find_app(ApiContext& ctx, const PathParams& params) {
  return ctx.store.get_application(params.at("app"));
}

}  // namespace hookd::api
