#include "api/tls_context.hpp"

#include <openssl/ssl.h>

#include <fstream>

namespace hookd::api {
namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites: forward-secret AEAD only (Mozilla's "intermediate" list without DHE, which would need
// parameters we do not ship). TLS 1.3 keeps OpenSSL's defaults, which are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Result<void> readable(const std::string& what, const std::string& file) {
  std::ifstream in(file);
  if (!in) return invalid(what, "cannot read " + what + " file " + file);
  return {};
}

}  // namespace

Result<ssl::context> make_server_tls_context(const std::string& cert_file, const std::string& key_file) {
  if (auto r = readable("TLS certificate", cert_file); !r) return std::unexpected(r.error());
  if (auto r = readable("TLS key", key_file); !r) return std::unexpected(r.error());
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                  ssl::context::single_dh_use);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return internal_error("cannot configure the TLS context");
  }
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) return invalid("TLS certificate", "TLS certificate " + cert_file + ": " + ec.message());
  ctx.use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return invalid("TLS key", "TLS key " + key_file + ": " + ec.message());
  // use_private_key_file already refuses a key that does not match the certificate; say so plainly.
  if (SSL_CTX_check_private_key(native) != 1) {
    return invalid("TLS key", "TLS key " + key_file + " does not match the certificate " + cert_file);
  }
  return ctx;
}

}  // namespace hookd::api
