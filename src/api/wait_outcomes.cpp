#include "api/wait_outcomes.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <thread>

namespace hookd::api {

Result<std::optional<Millis>> wait_param(const Request& request) {
  auto value = request.query_param("wait");
  if (!value || value->empty()) return std::optional<Millis>{};
  int seconds = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (ec != std::errc{} || ptr != value->data() + value->size() || seconds < 1 || seconds > kMaxWaitSeconds) {
    return invalid("wait", "wait must be a whole number of seconds from 1 to 60");
  }
  return std::optional<Millis>(std::chrono::seconds(seconds));
}

std::string wait_for_outcomes(ApiContext& ctx, const Message& message,
                              const std::vector<std::string>& endpoint_ids, Millis wait) {
  // The dispatcher records attempts in the store; polling it keeps the API ignorant of delivery. The wait is
  // bounded and the interval short, so the cost is a few indexed reads.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::map<std::string, Attempt> first;  // endpoint id -> its first attempt
  while (true) {
    store::AttemptFilter filter;
    filter.msg_id = message.id;
    store::PageRequest page;
    page.limit = 250;
    if (auto attempts = ctx.store.list_attempts(message.app_id, filter, page)) {
      for (auto& a : attempts->items)
        first.insert_or_assign(a.endpoint_id, a);  // newest first: last is oldest
    }
    bool all = std::ranges::all_of(endpoint_ids, [&](const std::string& id) { return first.contains(id); });
    if (all || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  boost::json::array outcomes;
  for (const auto& id : endpoint_ids) {
    auto it = first.find(id);
    if (it == first.end()) {
      outcomes.push_back(
          {{"endpointId", id}, {"status", "pending"}, {"responseStatusCode", nullptr}, {"error", nullptr}});
      continue;
    }
    const Attempt& a = it->second;
    bool ok = a.status == AttemptStatus::success;
    outcomes.push_back(
        {{"endpointId", id},
         {"status", ok ? "success" : "fail"},
         {"responseStatusCode", a.response_status_code},
         {"error", ok ? boost::json::value(nullptr) : boost::json::value(to_string(a.error))}});
  }
  return boost::json::serialize(outcomes);
}

}  // namespace hookd::api
