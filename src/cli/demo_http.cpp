#include "cli/demo_http.hpp"

#include <curl/curl.h>

namespace hookd::cli {
namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

struct AdminHttpClient::Impl {
  std::string base_url;
  std::unique_ptr<CURL, EasyDeleter> easy;
  std::unique_ptr<curl_slist, ListDeleter> headers;
};

AdminHttpClient::AdminHttpClient(std::string base_url, std::string token) : impl_(std::make_unique<Impl>()) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  impl_->base_url = std::move(base_url);
  impl_->easy.reset(curl_easy_init());
  curl_slist* list = curl_slist_append(nullptr, "content-type: application/json");
  if (!token.empty()) list = curl_slist_append(list, ("authorization: Bearer " + token).c_str());
  impl_->headers.reset(list);
}

AdminHttpClient::~AdminHttpClient() = default;

Result<HttpReply> AdminHttpClient::post_json(std::string_view path, std::string_view body) {
  CURL* easy = impl_->easy.get();
  if (!easy) return internal_error("curl_easy_init failed");
  HttpReply reply;
  const std::string url = impl_->base_url + std::string(path);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, impl_->headers.get());
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  if (CURLcode rc = curl_easy_perform(easy); rc != CURLE_OK) {
    return fail(ErrorKind::unavailable, "transport", url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace hookd::cli
