// The headers an attempt keeps, as JSON text: escaping and repeated names as a JSON object would have them.
#include "delivery/headers_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace hookd::delivery {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(HeadersJson, IsAnObjectInTheHeadersOrder) {
  EXPECT_EQ(headers_json({}), "{}");
  EXPECT_EQ(headers_json({{"content-type", "application/json"}, {"webhook-id", "msg_1"}}),
            R"({"content-type":"application/json","webhook-id":"msg_1"})");
}

TEST(HeadersJson, RepeatedNamesKeepTheirFirstPlaceAndLastValue) {
  EXPECT_EQ(headers_json({{"set-cookie", "a=1"}, {"vary", "accept"}, {"set-cookie", "b=2"}}),
            R"({"set-cookie":"b=2","vary":"accept"})");
}

// Whatever a receiver sends back is stored: the text must parse to exactly the object built from the list.
TEST(HeadersJson, EscapesAnythingAReceiverSends) {
  const Headers headers = {{"x-quote", "say \"hi\"\\"},
                           {"x-control", std::string("a\x01\tb\r\n", 6)},
                           {"x-utf8", "caf\xc3\xa9 \xe2\x82\xac"},
                           {"", "empty name"},
                           {"x-long", std::string(1000, 'z') + "\"" + std::string(600, 'y')}};
  boost::json::object expected;
  for (const auto& [name, value] : headers) expected[name] = value;
  auto parsed = boost::json::parse(headers_json(headers));
  ASSERT_TRUE(parsed.is_object());
  EXPECT_EQ(parsed.as_object(), expected);
}

}  // namespace
}  // namespace hookd::delivery
