#pragma once
// The one place errors become HTTP: `{code, detail}` JSON with the right status; 422 in Svix's shape.
#include <string>

#include "api/http.hpp"
#include "core/result.hpp"

namespace hookd::api {

Response error_response(int status, std::string_view code, std::string_view detail);
// Svix's validation shape: {"detail":[{"loc":["body",field],"msg":…,"type":"value_error"}]}; also carries
// our stable `code` so clients that want one get it.
Response validation_error(std::string_view field, std::string_view message,
                          std::string_view location = "body", std::string_view code = "validation");
Response to_response(const Error& error);

}  // namespace hookd::api
