#include "delivery/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace hookd::delivery {
namespace {

// Thin RAII over libcurl's handles (CURL and CURLM are typedefs of void).
struct EasyCleanup {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct MultiCleanup {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct SlistCleanup {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
using MultiHandle = std::unique_ptr<CURLM, MultiCleanup>;

class HeaderList {
 public:
  bool append(const std::string& line) {
    curl_slist* head = curl_slist_append(list_.get(), line.c_str());
    if (head == nullptr) return false;
    list_.release();  // curl_slist_append returns the same head, now one node longer
    list_.reset(head);
    return true;
  }
  curl_slist* get() const { return list_.get(); }

 private:
  std::unique_ptr<curl_slist, SlistCleanup> list_;
};

constexpr std::size_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxIdleHandles = 256;
constexpr int kPollTimeoutMs = 1000;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// One request in progress; lives on the heap so curl's callbacks can hold a stable pointer to it.
struct Transfer {
  OutboundRequest request;
  std::function<void(OutboundResponse)> done;
  EasyHandle easy;
  HeaderList headers;
  OutboundResponse response;
  std::size_t body_cap = 0;
  std::size_t header_bytes = 0;
  const AddressPolicy* policy = nullptr;
  bool blocked = false;
  std::string blocked_detail;
  std::chrono::steady_clock::time_point started;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  const std::size_t room = t->body_cap - t->response.body.size();
  if (n <= room) {
    t->response.body.append(data, n);
    return n;
  }
  // Keep what fits and abort: the rest of a huge body is never read, let alone buffered.
  t->response.body.append(data, room);
  t->response.body_truncated = true;
  return 0;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new status line (after 100 Continue, say): only the final response's headers count.
    t->response.headers.clear();
    t->header_bytes = 0;
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || t->header_bytes + n > kMaxResponseHeaderBytes) return n;
  t->header_bytes += n;
  t->response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  return n;
}

// Called by curl for every socket it is about to connect, with the resolved address: the one place where
// the policy sees what is really dialled, whatever DNS said when the endpoint was created.
curl_socket_t on_open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  std::optional<Ipv6Bytes> bytes;
  if (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, &address->addr, sizeof in);
    Ipv4Bytes v4{};
    std::memcpy(v4.data(), &in.sin_addr, 4);
    bytes = ipv4_mapped(v4);
  } else if (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &address->addr, sizeof in6);
    Ipv6Bytes v6{};
    std::memcpy(v6.data(), &in6.sin6_addr, 16);
    bytes = v6;
  }
  if (!bytes || !t->policy->permits(*bytes)) {
    t->blocked = true;
    t->blocked_detail = bytes ? fmt::format("refused to connect to {} ({} address)", format_ip(*bytes),
                                            to_string(classify_ipv6(*bytes)))
                              : "refused to connect to a non-IP address";
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

ErrorClass classify_failure(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorClass::timeout;
    case CURLE_COULDNT_CONNECT:
      return ErrorClass::connect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ErrorClass::dns;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
      return ErrorClass::tls;
    default:
      return ErrorClass::other;
  }
}

// Endpoint headers come from API users: a CR or LF would let them smuggle extra headers or requests.
std::optional<std::string> invalid_header(const std::vector<std::pair<std::string, std::string>>& headers) {
  // One pass over the bytes: find_first_of calls memchr on the three-byte set for every character.
  auto has_control = [](std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
  };
  for (const auto& [name, value] : headers) {
    if (name.empty() || name.find(':') != std::string::npos || name.find(' ') != std::string::npos ||
        has_control(name) || has_control(value)) {
      return fmt::format("invalid request header '{}'", name);
    }
  }
  return std::nullopt;
}

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  MultiHandle multi;
  std::atomic<std::size_t> in_flight{0};

  std::mutex mutex;  // guards queue, stopping and closed
  std::vector<std::unique_ptr<Transfer>> queue;
  bool stopping = false;
  bool closed = false;

  // Only touched by the loop thread.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;
  std::vector<EasyHandle> idle;

  std::thread thread;  // last: started once everything above exists

  explicit Impl(HttpClientOptions opts) : options(std::move(opts)) {
    ensure_curl_initialised();
    multi.reset(curl_multi_init());
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    if (options.max_host_connections > 0)
      curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
    if (options.max_total_connections > 0)
      curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_total_connections);
    thread = std::thread([this] {
      pthread_setname_np(pthread_self(), "hookd-http");  // shows in top -H and /proc
      run();
    });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    curl_multi_wakeup(multi.get());
    if (thread.joinable()) thread.join();
  }

  void submit(std::unique_ptr<Transfer> t) {
    in_flight.fetch_add(1);
    bool first = false;
    {
      std::lock_guard lock(mutex);
      if (!closed) {
        first = queue.empty();
        queue.push_back(std::move(t));
        t = nullptr;
      }
    }
    if (t) {
      fail(std::move(t), "client shutting down");
      return;
    }
    // One wake-up per batch: the queue became non-empty after the loop last took it, so the wake-up sent
    // then is still ahead of the loop's next poll, and the loop takes the whole queue when it wakes. A
    // wake-up per request cost a send on the wake-up socket and a spin of the loop each.
    if (first) curl_multi_wakeup(multi.get());
  }

  void run() {
    // A receiver closing mid-send raises SIGPIPE in the writing thread (OpenSSL writes do not use
    // MSG_NOSIGNAL): blocked here, it stays pending on this thread instead of killing the process.
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);

    while (true) {
      std::vector<std::unique_ptr<Transfer>> incoming;
      bool stop = false;
      {
        std::lock_guard lock(mutex);
        incoming.swap(queue);
        stop = stopping;
      }
      if (stop) {
        for (auto& t : incoming) fail(std::move(t), "client shutting down");
        break;
      }
      for (auto& t : incoming) start(std::move(t));
      int running = 0;
      curl_multi_perform(multi.get(), &running);
      collect_finished();
      curl_multi_poll(multi.get(), nullptr, 0, kPollTimeoutMs, nullptr);
    }
    shut_down();
  }

  void shut_down() {
    std::vector<std::unique_ptr<Transfer>> leftovers;
    {
      std::lock_guard lock(mutex);
      closed = true;
      leftovers.swap(queue);
    }
    for (auto& t : leftovers) fail(std::move(t), "client shutting down");
    auto active_now = std::move(active);
    for (auto& [easy, t] : active_now) {
      curl_multi_remove_handle(multi.get(), easy);
      fail(std::move(t), "client shutting down");
    }
  }

  EasyHandle acquire_handle() {
    if (idle.empty()) return EasyHandle(curl_easy_init());
    EasyHandle e = std::move(idle.back());
    idle.pop_back();
    return e;
  }

  void release_handle(EasyHandle e) {
    if (!e || idle.size() >= kMaxIdleHandles) return;
    // Reset drops the options but not the multi handle's connection cache: keep-alive survives.
    curl_easy_reset(e.get());
    idle.push_back(std::move(e));
  }

  CURLcode configure(Transfer& t) {
    CURL* e = t.easy.get();
    const OutboundRequest& r = t.request;
    bool has_expect = false, has_content_type = false;
    for (const auto& [name, value] : r.headers) {
      const std::string n = lower(name);
      has_expect |= n == "expect";
      has_content_type |= n == "content-type";
      if (!t.headers.append(fmt::format("{}: {}", name, value))) return CURLE_OUT_OF_MEMORY;
    }
    // No "Expect: 100-continue" round trip for large bodies, and no curl-chosen form content type.
    if (!has_expect && !t.headers.append("Expect:")) return CURLE_OUT_OF_MEMORY;
    if (!has_content_type && !t.headers.append("Content-Type:")) return CURLE_OUT_OF_MEMORY;

    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
    };
    set(CURLOPT_PRIVATE, static_cast<void*>(&t));
    set(CURLOPT_ERRORBUFFER, t.error_buffer.data());
    set(CURLOPT_URL, r.url.c_str());
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_PROXY, "");  // ignore *_proxy variables: a proxy would dial the target unchecked
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(1, r.timeout.count())));
    set(CURLOPT_USERAGENT, options.user_agent.c_str());
    set(CURLOPT_HTTPHEADER, t.headers.get());
    if (r.method == "GET") {
      set(CURLOPT_HTTPGET, 1L);
    } else {
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      set(CURLOPT_POSTFIELDS, r.body.data());
      if (r.method != "POST") set(CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    set(CURLOPT_WRITEFUNCTION, &on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    set(CURLOPT_HEADERFUNCTION, &on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
    set(CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
    set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(&t));
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    // CAINFO replaces the default bundle file, but curl keeps its default CA directory
    // (/etc/ssl/certs on Debian), so the system roots stay trusted.
    if (!options.ca_file.empty()) set(CURLOPT_CAINFO, options.ca_file.c_str());
    return rc;
  }

  void start(std::unique_ptr<Transfer> t) {
    t->started = std::chrono::steady_clock::now();
    t->policy = &options.policy;
    t->body_cap = options.max_response_body;
    t->easy = acquire_handle();
    if (!t->easy) {
      fail(std::move(t), "curl_easy_init failed");
      return;
    }
    if (auto bad = invalid_header(t->request.headers)) {
      fail(std::move(t), *bad);
      return;
    }
    if (CURLcode rc = configure(*t); rc != CURLE_OK) {
      fail(std::move(t), fmt::format("request setup failed: {}", curl_easy_strerror(rc)));
      return;
    }
    if (CURLMcode mc = curl_multi_add_handle(multi.get(), t->easy.get()); mc != CURLM_OK) {
      fail(std::move(t), fmt::format("curl_multi_add_handle: {}", curl_multi_strerror(mc)));
      return;
    }
    CURL* key = t->easy.get();
    active.emplace(key, std::move(t));
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode rc = msg->data.result;
      auto it = active.find(easy);
      if (it == active.end()) continue;
      std::unique_ptr<Transfer> t = std::move(it->second);
      active.erase(it);
      curl_multi_remove_handle(multi.get(), easy);
      finish(std::move(t), rc);
    }
  }

  void finish(std::unique_ptr<Transfer> t, CURLcode rc) {
    OutboundResponse& response = t->response;
    long status = 0;
    curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    const bool got_response = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && response.body_truncated);
    if (got_response) {
      response.error = (status >= 200 && status < 300) ? ErrorClass::none : ErrorClass::http_status;
      if (response.error == ErrorClass::http_status) response.error_detail = fmt::format("HTTP {}", status);
    } else if (t->blocked) {
      response.error = ErrorClass::blocked_target;
      response.error_detail = t->blocked_detail;
    } else {
      response.error = classify_failure(rc);
      response.error_detail = t->error_buffer[0] != '\0' ? std::string(t->error_buffer.data())
                                                         : std::string(curl_easy_strerror(rc));
    }
    for (const auto& [name, value] : response.headers) {
      if (name == "retry-after") response.retry_after = parse_retry_after(value, SystemClock().now());
    }
    release_handle(std::move(t->easy));
    deliver(std::move(t));
  }

  void fail(std::unique_ptr<Transfer> t, std::string detail) {
    t->response.error = ErrorClass::other;
    t->response.error_detail = std::move(detail);
    if (t->easy) release_handle(std::move(t->easy));
    deliver(std::move(t));
  }

  void deliver(std::unique_ptr<Transfer> t) {
    if (t->started != std::chrono::steady_clock::time_point{}) {
      t->response.duration =
          std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t->started);
    }
    in_flight.fetch_sub(1);
    try {
      t->done(std::move(t->response));
    } catch (const std::exception& e) {
      // A throwing callback must not take the loop (and every other delivery) down with it.
      spdlog::error("http client: completion callback threw: {}", e.what());
    }
  }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

void HttpClient::submit(OutboundRequest request, std::function<void(OutboundResponse)> done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  impl_->submit(std::move(t));
}

std::size_t HttpClient::in_flight() const {
  return impl_->in_flight.load();
}

std::optional<Millis> parse_retry_after(std::string_view value, TimePoint now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;  // over 31 years: not a real instruction
    std::int64_t seconds = 0;
    std::from_chars(value.data(), value.data() + value.size(), seconds);
    return Millis(seconds * 1000);
  }
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const std::int64_t delta = static_cast<std::int64_t>(when) * 1000 - to_millis(now);
  return Millis(std::max<std::int64_t>(0, delta));
}

}  // namespace hookd::delivery
