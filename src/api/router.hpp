#pragma once
// Method + path-pattern routing. Patterns look like "/api/v1/app/{app}/endpoint/{endpoint}".
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"

namespace hookd::api {

using PathParams = std::map<std::string, std::string, std::less<>>;
using Handler = std::function<Response(const Request&, const PathParams&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // 404 for an unknown path, 405 for a known path with another method.
  Response dispatch(const Request& request) const;
  // The registered (method, pattern) pairs, for docs and coverage tests.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

std::vector<std::string_view> split_path(std::string_view path);

}  // namespace hookd::api
