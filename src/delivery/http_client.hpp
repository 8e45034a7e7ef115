#pragma once
// Asynchronous outbound HTTP/1.1 for deliveries: one thread runs every request as a coroutine on Boost.Asio
// and Beast, so thousands of requests share a pool of kept-alive connections per origin and a slow receiver
// only occupies its own. Every address is checked against the AddressPolicy right before it is dialled.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/address_policy.hpp"
#include "core/clock.hpp"
#include "core/model.hpp"

namespace hookd::delivery {

struct OutboundRequest {
  std::string url;
  // Sent as given (set content-type here); a name or value with CR, LF or NUL fails the request (other).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Millis timeout{15000};  // the whole exchange: connect, send, wait, receive
  std::string method = "POST";
};

struct OutboundResponse {
  int status = 0;                                            // 0 when no status line arrived
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in arrival order
  std::string body;             // at most HttpClientOptions::max_response_body bytes
  bool body_truncated = false;  // the receiver sent more; the rest was not read
  Millis duration{0};
  // none for 2xx, http_status for any other status; otherwise the network failure.
  ErrorClass error = ErrorClass::none;
  std::string error_detail;
  std::optional<Millis> retry_after;  // from a `retry-after` header (seconds or HTTP date)
};

struct HttpClientOptions {
  AddressPolicy policy;
  std::size_t max_response_body = 20000;
  std::string user_agent = "hookd/0.1";
  // Connections open at once to one origin (scheme, host, port); requests beyond wait. 0 = unlimited.
  long max_host_connections = 0;
  // Extra PEM CA bundle trusted in addition to the system's roots.
  std::string ca_file;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  // Fails every request not yet finished (ErrorClass::other, "client shutting down") and joins its thread.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Thread-safe; `done` runs on the client's own thread exactly once per request (also when it may call
  // submit again). Only a submit racing with the destructor gets its `done` on the caller's thread.
  void submit(OutboundRequest request, std::function<void(OutboundResponse)> done);
  // Requests submitted whose `done` has not been called yet.
  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `retry-after` value: delay-seconds, or an HTTP date (relative to `now`; a past date gives zero).
std::optional<Millis> parse_retry_after(std::string_view value, TimePoint now);

}  // namespace hookd::delivery
