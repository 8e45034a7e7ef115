#include "api/errors.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/json_text.hpp"

namespace hookd::api {

namespace json = boost::json;

Response error_response(int status, std::string_view code, std::string_view detail) {
  return json_response(
      status, json::serialize(json::object{{"code", code}, {"detail", json_text::to_valid_utf8(detail)}}));
}

Response validation_error(std::string_view field, std::string_view message, std::string_view location,
                          std::string_view code) {
  json::array loc{location};
  if (!field.empty()) loc.emplace_back(field);
  json::object item{
      {"loc", std::move(loc)}, {"msg", json_text::to_valid_utf8(message)}, {"type", "value_error"}};
  return json_response(422, json::serialize(json::object{{"code", code}, {"detail", json::array{item}}}));
}

Response to_response(const Error& error) {
  switch (error.kind) {
    case ErrorKind::invalid_input:
      // A body that is not JSON at all is a bad request (as Svix answers it); a wrong field is a 422.
      if (error.code == "invalid_json") return error_response(400, "invalid_json", error.detail);
      return validation_error(error.field, error.detail, "body",
                              error.code.empty() ? "validation" : error.code);
    case ErrorKind::not_found:
      return error_response(404, error.code.empty() ? "not_found" : error.code, error.detail);
    case ErrorKind::conflict:
      return error_response(409, error.code.empty() ? "conflict" : error.code, error.detail);
    case ErrorKind::unauthorized:
      return error_response(401, "authentication_failed", error.detail);
    case ErrorKind::forbidden:
      return error_response(403, "forbidden", error.detail);
    case ErrorKind::too_large:
      return error_response(413, "payload_too_large", error.detail);
    case ErrorKind::unavailable:
      return error_response(503, error.code.empty() ? "unavailable" : error.code, error.detail);
    case ErrorKind::internal:
      break;
  }
  // Unexpected errors are logged with their detail and answered opaquely.
  spdlog::error("internal error: {} {}", error.code, error.detail);
  return error_response(500, "internal", "internal server error");
}

}  // namespace hookd::api
