#pragma once
// Method + path-pattern routing. Patterns look like "/api/v1/app/{app}/endpoint/{endpoint}".
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/http.hpp"

namespace hookd::api {

using PathParams = std::map<std::string, std::string, std::less<>>;
using Handler = std::function<Response(const Request&, const PathParams&)>;
// A route that may answer after it returns (it waits for the store without holding its thread).
using AsyncHandler = std::function<void(const Request&, const PathParams&, Responder)>;
// Whether an asynchronous route may run on the thread that read the request (an I/O thread): true only when
// it will not wait there, for the store or anything else.
using InlineCheck = std::function<bool(const Request&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  void add_async(std::string method, std::string pattern, AsyncHandler handler, InlineCheck runs_inline = {});
  // Whether the request's route says it may run on an I/O thread (see InlineCheck).
  bool runs_inline(const Request& request) const;
  // 404 for an unknown path, 405 for a known path with another method. An asynchronous route is waited for.
  Response dispatch(const Request& request) const;
  // The same, answered through `respond`: at once for a synchronous route, whenever it is done for an
  // asynchronous one. `request` must outlive the answer.
  void dispatch_async(const Request& request, Responder respond) const;
  // The registered (method, pattern) pairs, for docs and coverage tests.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;  // one of these two
    AsyncHandler async_handler;
    InlineCheck runs_inline;
  };
  // The route for `request` and its path parameters, or the 404/405 answer.
  std::variant<std::pair<const Route*, PathParams>, Response> find(const Request& request) const;
  std::vector<Route> routes_;
};

std::vector<std::string_view> split_path(std::string_view path);

}  // namespace hookd::api
