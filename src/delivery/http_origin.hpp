#pragma once
// Where an outbound request goes and the bytes of its HTTP/1.1 head: the part of the HTTP client that is
// pure text, kept apart so it can be tested without sockets.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::delivery {

struct HttpOrigin {
  bool tls = false;
  std::string host;  // a DNS name or an IP address (IPv6 without brackets)
  std::uint16_t port = 0;
  std::string host_header;  // as the URL spells it, with the port only when it is not the scheme's default
  std::string target;       // path and query; "/" when the URL has no path
  std::string pool_key;     // connections are shared by requests with the same key
};

// Only http and https URLs with a host; the fragment is dropped. On failure, why.
std::expected<HttpOrigin, std::string> parse_http_origin(std::string_view url);

// "METHOD target HTTP/1.1", Host, User-Agent, Accept, Content-Length (unless a GET without a body), then the
// caller's headers as given and the blank line. Headers must have been checked for CR, LF and NUL before.
std::string http_request_head(std::string_view method, const HttpOrigin& origin, std::string_view user_agent,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              std::size_t body_size);

}  // namespace hookd::delivery
