#pragma once
// The demo's HTTP client for hookd's admin API: one libcurl easy handle, reused so successive events share a
// keep-alive connection. Blocking, one request at a time: the demo sends events in order on purpose.
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace hookd::cli {

struct HttpReply {
  long status = 0;
  std::string body;
};

class AdminHttpClient {
 public:
  // `base_url` like http://127.0.0.1:8071 (no trailing slash needed); `token` sent as a Bearer token.
  AdminHttpClient(std::string base_url, std::string token);
  ~AdminHttpClient();
  AdminHttpClient(const AdminHttpClient&) = delete;
  AdminHttpClient& operator=(const AdminHttpClient&) = delete;

  // Any HTTP status is a reply; only a transport failure (refused, timeout…) is an error.
  Result<HttpReply> post_json(std::string_view path, std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::cli
