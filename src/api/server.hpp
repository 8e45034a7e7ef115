#pragma once
// The HTTP server: Boost.Beast sessions on C++20 coroutines. Each request is handed to the handler on a
// worker pool (handlers may block on the store), or run on the I/O thread that read it when the handler says
// it will not block there. The answer, given then or later from another thread, is written back by the
// session. One request loop serves plain TCP and TLS streams alike (a template over the stream type).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http.hpp"
#include "core/result.hpp"

namespace hookd::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8071;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  int io_threads = 2;
  int worker_threads = 32;  // concurrent handlers; group commit batches their writes
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};  // per read or write of a request
  // HTTPS when both are set (PEM certificate chain and private key); listen() fails on unusable files.
  std::string tls_cert_file;
  std::string tls_key_file;
  // A client that connects and does not finish the TLS handshake in this time is dropped.
  std::chrono::milliseconds tls_handshake_timeout{std::chrono::seconds(10)};
};

using RequestHandler = std::function<Response(Request&)>;
// A handler that may answer after it returns, through the Responder, from any thread (the store's writer
// answers a message create once it is durable). The request lives until the answer.
using AsyncRequestHandler = std::function<void(Request&, Responder)>;
// Whether a request's handler may run on the I/O thread that read it (it will not block there); the others
// go to the worker pool. Saves two thread hand-offs a request where it holds.
using InlineCheck = std::function<bool(const Request&)>;

class HttpServer {
 public:
  HttpServer(ServerOptions options, RequestHandler handler);
  HttpServer(ServerOptions options, AsyncRequestHandler handler, InlineCheck runs_inline = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Result<void> listen();       // loads the TLS files if any, then binds; port 0 picks a free one
  std::uint16_t port() const;  // the bound port
  bool tls() const;            // serving HTTPS (after listen())
  void run();                  // serves until stop(); returns after connections are closed
  void stop();                 // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::api
