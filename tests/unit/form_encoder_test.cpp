#include "delivery/form_encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "../support/form_decode.hpp"

using hookd::delivery::form_encode;
using hookd::delivery::form_escape;
using hookd::delivery::FormOptions;

namespace {

using Pairs = hookd::test_support::FormPairs;
using hookd::test_support::form_decode;

std::string encode(std::string_view json, const FormOptions& options = {}) {
  auto r = form_encode(json, options);
  EXPECT_TRUE(r.has_value()) << json << ": " << (r ? "" : r.error().detail);
  return r ? *r : std::string("<error>");
}

}  // namespace

TEST(FormEncoderEscape, FollowsTheWhatwgSerializer) {
  EXPECT_EQ(form_escape("AZaz09*-._"), "AZaz09*-._");
  EXPECT_EQ(form_escape("a b"), "a+b");
  EXPECT_EQ(form_escape("+&=%"), "%2B%26%3D%25");
  EXPECT_EQ(form_escape("~!'()[],/?#:;@$"), "%7E%21%27%28%29%5B%5D%2C%2F%3F%23%3A%3B%40%24");
  EXPECT_EQ(form_escape("caf\xC3\xA9"), "caf%C3%A9");  // UTF-8 bytes, uppercase hex
  EXPECT_EQ(form_escape(std::string("\0\n\x7f", 3)), "%00%0A%7F");
  EXPECT_EQ(form_escape(""), "");
}

TEST(FormEncoder, ScalarStringsAreUtf8PercentEncoded) {
  EXPECT_EQ(encode(R"({"name":"Ana María","note":"a+b & c=d","e":"\u00e9"})"),
            "name=Ana+Mar%C3%ADa&note=a%2Bb+%26+c%3Dd&e=%C3%A9");
  EXPECT_EQ(encode(R"({"k":"x\ny"})"), "k=x%0Ay");
}

TEST(FormEncoder, NumbersKeepTheirLexeme) {
  EXPECT_EQ(encode(R"({"total":25.00,"n":-0,"big":12345678901234567890,"e":1E+2,"f":1e-7})"),
            "total=25.00&n=-0&big=12345678901234567890&e=1E%2B2&f=1e-7");
  EXPECT_EQ(form_decode(encode(R"({"e":1E+2})"))[0].second, "1E+2");
}

TEST(FormEncoder, BooleansAreOneAndZeroLikePhp) {
  EXPECT_EQ(encode(R"({"has_discount_code":true,"is_giftcard":false})"), "has_discount_code=1&is_giftcard=0");
}

TEST(FormEncoder, NullIsAnEmptyValueWithTheKeyPresent) {
  EXPECT_EQ(encode(R"({"a":null,"b":1})"), "a=&b=1");
}

TEST(FormEncoder, ArraysOfScalarsAreCommaJoined) {
  EXPECT_EQ(encode(R"({"itemsId":[5,9,7]})"), "itemsId=5%2C9%2C7");
  EXPECT_EQ(form_decode(encode(R"({"itemsId":[5,9,7]})")), (Pairs{{"itemsId", "5,9,7"}}));
  // Each element by the scalar rules; commas inside elements are not escaped (as the platform does).
  EXPECT_EQ(form_decode(encode(R"({"m":["a b",2.50,true,false,null,"x,y"]})")),
            (Pairs{{"m", "a b,2.50,1,0,,x,y"}}));
}

TEST(FormEncoder, EmptyArraysAndObjectsAreEmptyValues) {
  EXPECT_EQ(encode(R"({"a":[],"o":{},"z":1})"), "a=&o=&z=1");
  EXPECT_EQ(form_decode(encode(R"({"n":{"e":{}}})")), (Pairs{{"n[e]", ""}}));
}

TEST(FormEncoder, NestedObjectsUseBracketNotation) {
  EXPECT_EQ(encode(R"({"a":{"b":1,"c":{"d":"x y"}}})"), "a%5Bb%5D=1&a%5Bc%5D%5Bd%5D=x+y");
  EXPECT_EQ(form_decode(encode(R"({"a":{"b":1,"c":{"d":"x y"},"l":[1,2]}})")),
            (Pairs{{"a[b]", "1"}, {"a[c][d]", "x y"}, {"a[l]", "1,2"}}));
}

TEST(FormEncoder, ArraysOfObjectsUseIndexedBrackets) {
  EXPECT_EQ(form_decode(encode(R"({"items":[{"sku":"bici001","qty":1},{"sku":"btl001","qty":3}]})")),
            (Pairs{{"items[0][sku]", "bici001"},
                   {"items[0][qty]", "1"},
                   {"items[1][sku]", "btl001"},
                   {"items[1][qty]", "3"}}));
  // An array with any non-scalar element is indexed throughout; inner scalar arrays are still joined.
  EXPECT_EQ(form_decode(encode(R"({"m":[1,{"k":null},[2,3],[],[[4]]]})")),
            (Pairs{{"m[0]", "1"}, {"m[1][k]", ""}, {"m[2]", "2,3"}, {"m[3]", ""}, {"m[4][0]", "4"}}));
}

TEST(FormEncoder, KeysArePercentEncodedToo) {
  EXPECT_EQ(encode(R"({"a b&c=":"v","caf\u00e9":1,"":2})"), "a+b%26c%3D=v&caf%C3%A9=1&=2");
}

TEST(FormEncoder, OptionsComeFirstInBuqOrder) {
  const FormOptions options{.type = "adduser", .auth_id = "client 1", .auth_secret = "s3cr&t"};
  EXPECT_EQ(encode(R"({"email":"a@b.mx"})", options),
            "type=adduser&auth_id=client+1&auth_secret=s3cr%26t&email=a%40b.mx");
  EXPECT_EQ(encode(R"({"email":"a@b.mx"})", FormOptions{.auth_secret = "x"}), "auth_secret=x&email=a%40b.mx");
  EXPECT_EQ(encode(R"({})", FormOptions{.type = "permission", .auth_id = "i", .auth_secret = "s"}),
            "type=permission&auth_id=i&auth_secret=s");
  EXPECT_EQ(encode(R"({})"), "");
}

TEST(FormEncoder, OptionWinsOverPayloadMemberOfTheSameName) {
  const FormOptions options{.type = "adduser", .auth_id = "real"};
  EXPECT_EQ(form_decode(encode(R"({"type":"fake","auth_id":{"x":1},"auth_secret":"kept","a":1})", options)),
            (Pairs{{"type", "adduser"}, {"auth_id", "real"}, {"auth_secret", "kept"}, {"a", "1"}}));
  // Without options the payload's own fields pass through in payload order.
  EXPECT_EQ(encode(R"({"a":1,"type":"mine"})"), "a=1&type=mine");
}

TEST(FormEncoder, DuplicateKeysAreSentInOrder) {
  EXPECT_EQ(encode(R"({"a":1,"a":2})"), "a=1&a=2");
}

TEST(FormEncoder, RejectsNonObjectAndInvalidPayloads) {
  for (std::string_view bad : {"[1,2]", "\"text\"", "25.00", "null", "true"}) {
    auto r = form_encode(bad, {});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, hookd::ErrorKind::invalid_input);
    EXPECT_EQ(r.error().field, "payload");
  }
  auto r = form_encode(R"({"a":1,})", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, hookd::ErrorKind::invalid_input);
  EXPECT_FALSE(form_encode(std::string(100, '[') + std::string(100, ']'), {}));
}

// The `addpurchase` example of document 002, as a hookd JSON payload, decoded with a standard decoder.
TEST(FormEncoder, BuqPurchaseRoundTripsThroughAStandardDecoder) {
  const std::string payload = R"({
    "admin_profiles_id": 12, "user_profiles_email": "ana+test@example.mx", "userName": "Ana",
    "last_name": "Pérez Núñez", "address": "Av. Reforma #100, Int. 4", "total": 325.00, "subtotal": 280.17,
    "discount": 10, "has_discount_code": true, "iva": 44.83, "is_giftcard": false, "status": "paid",
    "currency": "MXN", "subscription": null, "Created_at": "2024-05-01 10:30:00",
    "itemsId": [5, 9, 7], "itemType": ["class", "class", "product"], "itemQuantity": [1, 1, 3],
    "itemName": ["1 clase bici", "1 clase pilates", "botella de agua"], "itemprice": [150, 150, 25.00]
  })";
  const FormOptions options{.type = "addpurchase", .auth_id = "cid_1", .auth_secret = "c&s=1 2"};
  const Pairs expected{{"type", "addpurchase"},
                       {"auth_id", "cid_1"},
                       {"auth_secret", "c&s=1 2"},
                       {"admin_profiles_id", "12"},
                       {"user_profiles_email", "ana+test@example.mx"},
                       {"userName", "Ana"},
                       {"last_name",
                        "P\xC3\xA9rez N\xC3\xBA\xC3\xB1"
                        "ez"},
                       {"address", "Av. Reforma #100, Int. 4"},
                       {"total", "325.00"},
                       {"subtotal", "280.17"},
                       {"discount", "10"},
                       {"has_discount_code", "1"},
                       {"iva", "44.83"},
                       {"is_giftcard", "0"},
                       {"status", "paid"},
                       {"currency", "MXN"},
                       {"subscription", ""},
                       {"Created_at", "2024-05-01 10:30:00"},
                       {"itemsId", "5,9,7"},
                       {"itemType", "class,class,product"},
                       {"itemQuantity", "1,1,3"},
                       {"itemName", "1 clase bici,1 clase pilates,botella de agua"},
                       {"itemprice", "150,150,25.00"}};
  const std::string body = encode(payload, options);
  EXPECT_EQ(form_decode(body), expected);
  // Only characters the serializer may produce.
  EXPECT_EQ(body.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._+%=&"),
            std::string::npos);
}
