#include "api/beast_convert.hpp"

#include <boost/url.hpp>
#include <cctype>

namespace hookd::api {

namespace http = boost::beast::http;

void apply_limits(RequestParser& parser, const ServerOptions& options) {
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
}

Request to_request(BeastRequest&& in) {
  Request out;
  out.method = std::string(in.method_string());
  std::string_view target = in.target();
  auto parsed = boost::urls::parse_origin_form(target);
  if (parsed) {
    out.path = std::string(parsed->encoded_path().decode());
    for (auto param : parsed->params()) out.query.emplace_back(param.key, param.value);
  } else {
    out.path = std::string(target.substr(0, target.find('?')));
  }
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(in.body());
  return out;
}

BeastResponse to_beast(Response&& in, unsigned version, bool keep_alive) {
  BeastResponse out{static_cast<http::status>(in.status), version};
  out.set(http::field::server, "hookd");
  if (!in.content_type.empty()) out.set(http::field::content_type, in.content_type);
  for (auto& [k, v] : in.headers) out.set(k, v);
  out.body() = std::move(in.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace hookd::api
