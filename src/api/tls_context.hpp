#pragma once
// The server side of HTTPS: an OpenSSL context from PEM files, with TLS 1.2 as the floor.
#include <boost/asio/ssl/context.hpp>
#include <string>

#include "core/result.hpp"

namespace hookd::api {

// Loads the certificate chain and the private key (PEM) and checks that they belong together. Errors name the
// file and OpenSSL's reason, for a clear startup message.
Result<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                          const std::string& key_file);

}  // namespace hookd::api
