#pragma once
// Transport-independent request and response: handlers are functions from one to the other, so they are
// testable without sockets (the Beast session converts at the edge).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::api {

struct Request {
  std::string method;                                      // "GET", "POST", …
  std::string path;                                        // decoded path without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // names lower-cased
  std::string body;

  std::optional<std::string_view> query_param(std::string_view name) const;
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// How a handler that cannot answer at once answers later: called exactly once, from any thread.
using Responder = std::function<void(Response)>;

Response json_response(int status, std::string body);
Response no_content();

}  // namespace hookd::api
