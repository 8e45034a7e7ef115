// The API's JSON for a message: Svix's MessageOut, with the payload spliced in as the producer wrote it.
#include "api/json_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace hookd::api {
namespace {

namespace json = boost::json;

Message booking() {
  Message m;
  m.id = "msg_2Kx9aQ7bL3mN8pR1sT4vW6yZ0";
  m.app_id = "app_1";
  m.event_type = "booking.created";
  m.payload = R"({"amount":12.50,"note":"caf\u00e9"})";
  m.created_at = from_millis(1'700'000'000'123);
  return m;
}

TEST(MessageJson, HasSvixMembersWithNullsForWhatIsUnset) {
  const std::string text = message_json(booking());
  EXPECT_EQ(json::parse(text), json::parse(R"({"id":"msg_2Kx9aQ7bL3mN8pR1sT4vW6yZ0","eventId":null,
      "eventType":"booking.created","channels":null,"timestamp":"2023-11-14T22:13:20.123Z",
      "payload":{"amount":12.50,"note":"café"}})"));
  // The payload keeps its lexemes: 12.50 stays 12.50, the escape stays an escape.
  EXPECT_NE(text.find(R"("payload":{"amount":12.50,"note":"caf\u00e9"})"), std::string::npos) << text;
}

TEST(MessageJson, CarriesEventIdChannelsAndEscapesStrings) {
  Message m = booking();
  m.event_id = "evt_\"quoted\"";
  m.channels = std::vector<std::string>{"salon-1", "eu"};
  const auto v = json::parse(message_json(m));
  EXPECT_EQ(v.at("eventId"), "evt_\"quoted\"");
  EXPECT_EQ(v.at("channels"), json::parse(R"(["salon-1","eu"])"));
  m.channels = std::vector<std::string>{};
  EXPECT_EQ(json::parse(message_json(m)).at("channels"), json::array());
}

TEST(MessageJson, WithoutContentOrPayloadTheMemberIsAnEmptyObject) {
  EXPECT_EQ(json::parse(message_json(booking(), false)).at("payload"), json::object());
  Message cleared = booking();
  cleared.payload.clear();
  EXPECT_EQ(json::parse(message_json(cleared)).at("payload"), json::object());
}

}  // namespace
}  // namespace hookd::api
