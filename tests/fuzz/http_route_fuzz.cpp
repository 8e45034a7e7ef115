// libFuzzer target for the HTTP edge of the API: raw bytes go through a Beast request parser with the
// server's limits (apply_limits), the parsed request through to_request (path decoding, query splitting,
// header folding) and then through the real Router with the API's route table (api_routes.inc). A matched
// route runs the request decoding the handlers do before they reach the store: paging, time and event-type
// query parameters, the wait parameter and, for bodies, parse_object and the field readers.
// Checked: the parser keeps the limits; a match has exactly the route's literal segments and non-empty,
// slash-free path parameters; a 404/405 is right (checked by a matcher written here); errors are JSON
// {code, detail}; each decoder's accepted values lie in its documented range; RFC 3339 times round-trip.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/beast_convert.hpp"
#include "api/json_mapping.hpp"
#include "api/request_helpers.hpp"
#include "api/router.hpp"
#include "api/wait_outcomes.hpp"
#include "core/time_format.hpp"

namespace {

namespace http = boost::beast::http;
using namespace hookd;
using namespace hookd::api;

constexpr std::pair<const char*, const char*> kRoutes[] = {
#include "api_routes.inc"
};

[[noreturn]] void broken(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

struct Match {
  std::string pattern;
  PathParams params;
};

// Whether `pattern` matches the path's segments, written independently of Router.
bool matches(std::string_view pattern, const std::vector<std::string_view>& parts) {
  const auto segments = split_path(pattern);
  if (segments.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (!segments[i].starts_with('{') && segments[i] != parts[i]) return false;
  return true;
}

// The decoding a handler does before it touches the store; each result must lie in its documented range.
void decode_like_a_handler(const Request& request) {
  if (auto page = page_request(request)) {
    if (page->limit < 1 || page->limit > 250) broken("limit out of range", request.path);
    if (page->after_id && page->after_id->size() > 300) broken("iterator too long", request.path);
  }
  for (const char* name : {"before", "after"}) {
    auto t = time_param(request, name);
    if (t && *t) {
      auto again = parse_rfc3339(format_rfc3339(**t));
      if (!again || *again != **t) broken("time does not round-trip", format_rfc3339(**t));
    }
  }
  if (auto types = event_types_param(request)) {
    for (const auto& t : *types)
      if (t.empty() || t.find(',') != std::string::npos) broken("event type list item", t);
  }
  if (auto wait = wait_param(request); wait && *wait) {
    if (**wait < std::chrono::seconds(1) || **wait > std::chrono::seconds(kMaxWaitSeconds))
      broken("wait out of range", request.path);
  }
  if (request.body.empty()) return;
  auto body = parse_object(request.body);
  if (!body) return;
  for (const char* key :
       {"name", "uid", "url", "description", "eventType", "type", "tenant_id", "secret", "key"}) {
    auto s = read_string(*body, key, 256);
    if (s && s->value && s->value->size() > 256) broken("string over its limit", key);
  }
  for (const char* key : {"filterTypes", "channels"}) {
    auto list = read_string_list(*body, key, 10);
    if (list && list->value && list->value->size() > 10) broken("list over its limit", key);
  }
  (void)read_string_map(*body, "headers");
  (void)read_object_text(*body, "metadata");
  (void)read_int(*body, "rateLimit");
  (void)read_bool(*body, "disabled");
}

void check_error_body(const Response& response) {
  boost::system::error_code ec;
  auto v = boost::json::parse(response.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("code") || !v.as_object().contains("detail"))
    broken("error response is not JSON {code, detail}", response.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ServerOptions limits;
  RequestParser parser;
  apply_limits(parser, limits);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && used < size) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      ec = {};
      break;  // the rest of the input is the (still incomplete) next piece: like a peer that closed
    }
    if (ec || n == 0) break;
  }
  // put_eof needs some input first (a Beast precondition; the server's async_read never calls it without).
  if (!ec && !parser.is_done() && parser.got_some()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  if (parser.get().body().size() > limits.max_body_bytes) broken("body over the limit", "");

  Request request = to_request(parser.release());
  for (const auto& [name, value] : request.headers)
    for (char c : name)
      if (c >= 'A' && c <= 'Z') broken("header name not lower-cased", name);

  static Match last;
  static const Router router = [] {
    Router r;
    for (const auto& [method, pattern] : kRoutes) {
      r.add(method, pattern, [pattern = std::string(pattern)](const Request& req, const PathParams& params) {
        last = Match{pattern, params};
        decode_like_a_handler(req);
        return json_response(200, "{}");
      });
    }
    return r;
  }();
  last = Match{};
  const Response response = router.dispatch(request);
  const auto parts = split_path(request.path);
  bool path_known = false;
  bool method_known = false;
  for (const auto& [method, pattern] : kRoutes) {
    if (!matches(pattern, parts)) continue;
    path_known = true;
    method_known = method_known || request.method == method;
  }
  if (!last.pattern.empty()) {
    if (!method_known || response.status != 200)
      broken("dispatched to a route that does not match", request.path);
    const auto segments = split_path(last.pattern);
    std::size_t placeholders = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (!segments[i].starts_with('{')) continue;
      ++placeholders;
      const std::string name(segments[i].substr(1, segments[i].size() - 2));
      auto it = last.params.find(name);
      if (it == last.params.end() || it->second != parts[i] || it->second.empty() ||
          it->second.find('/') != std::string::npos)
        broken("path parameter differs from its segment", request.path);
    }
    if (placeholders != last.params.size()) broken("extra path parameters", request.path);
  } else if (method_known) {
    broken("a matching route was not dispatched", request.path);
  } else {
    if (response.status != (path_known ? 405 : 404))
      broken("wrong status for an unrouted request", request.path);
    check_error_body(response);
  }
  return 0;
}
