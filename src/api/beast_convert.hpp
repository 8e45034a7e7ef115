#pragma once
// The edge between Beast's HTTP messages and the transport-independent Request/Response. Split from the
// server so the fuzz target (tests/fuzz/http_route_fuzz.cpp) parses and converts exactly as sessions do.
#include <boost/beast/http.hpp>

#include "api/http.hpp"
#include "api/server.hpp"

namespace hookd::api {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The server's body and header limits on a fresh parser.
void apply_limits(RequestParser& parser, const ServerOptions& options);

// Decodes the path, splits the query into decoded pairs and lower-cases header names.
Request to_request(BeastRequest&& in);

BeastResponse to_beast(Response&& in, unsigned version, bool keep_alive);

}  // namespace hookd::api
