#include "delivery/http_origin.hpp"

#include <gtest/gtest.h>

namespace hookd::delivery {
namespace {

TEST(HttpOrigin, DefaultPortsAreLeftOutOfTheHostHeader) {
  auto plain = parse_http_origin("http://hooks.example.com/in?x=1#frag");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "hooks.example.com");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->host_header, "hooks.example.com");
  EXPECT_EQ(plain->target, "/in?x=1");
  auto secure = parse_http_origin("HTTPS://hooks.example.com:8443");
  ASSERT_TRUE(secure) << secure.error();
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->port, 8443);
  EXPECT_EQ(secure->host_header, "hooks.example.com:8443");
  EXPECT_EQ(secure->target, "/");
  EXPECT_NE(plain->pool_key, secure->pool_key);
}

TEST(HttpOrigin, Ipv6LiteralsAreDialledBareAndNamedInBrackets) {
  auto origin = parse_http_origin("http://[::1]:8080/hook");
  ASSERT_TRUE(origin) << origin.error();
  EXPECT_EQ(origin->host, "::1");
  EXPECT_EQ(origin->host_header, "[::1]:8080");
}

TEST(HttpOrigin, OnlyHttpUrlsWithAHost) {
  EXPECT_FALSE(parse_http_origin("file:///etc/passwd"));
  EXPECT_FALSE(parse_http_origin("ftp://example.com/"));
  EXPECT_FALSE(parse_http_origin("http:///path"));
  EXPECT_FALSE(parse_http_origin("not a url"));
  EXPECT_FALSE(parse_http_origin("http://example.com:0/"));
  EXPECT_FALSE(parse_http_origin("http://example.com:99999/"));
}

TEST(HttpOrigin, TheHeadFramesTheBodyItselfAndKeepsTheCallersHeaders) {
  auto origin = parse_http_origin("http://example.com:8080/in");
  ASSERT_TRUE(origin);
  const std::string head = http_request_head("POST", *origin, "hookd/test",
                                             {{"content-type", "application/json"},
                                              {"Content-Length", "1"},
                                              {"Host", "evil"},
                                              {"webhook-id", "msg_1"}},
                                             17);
  EXPECT_EQ(head,
            "POST /in HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: hookd/test\r\nAccept: */*\r\n"
            "Content-Length: 17\r\ncontent-type: application/json\r\nwebhook-id: msg_1\r\n\r\n");
}

TEST(HttpOrigin, ACallersUserAgentReplacesOurs) {
  auto origin = parse_http_origin("http://example.com/");
  ASSERT_TRUE(origin);
  const std::string head = http_request_head("GET", *origin, "hookd/test", {{"User-Agent", "theirs"}}, 0);
  EXPECT_EQ(head, "GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nUser-Agent: theirs\r\n\r\n");
}

}  // namespace
}  // namespace hookd::delivery
