#include "core/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

#include "api/errors.hpp"

namespace jt = hookd::json_text;

namespace {

std::string minified(std::string_view text) {
  auto r = jt::minify(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().detail);
  return r ? *r : std::string("<error>");
}

void expect_invalid(std::string_view text, std::string_view detail_part = {}) {
  auto r = jt::minify(text);
  ASSERT_FALSE(r.has_value()) << "accepted: " << text;
  EXPECT_EQ(r.error().kind, hookd::ErrorKind::invalid_input);
  EXPECT_EQ(r.error().code, "invalid_json");
  EXPECT_NE(r.error().detail.find(detail_part), std::string::npos) << r.error().detail;
  // parse() shares the grammar, so it must agree.
  EXPECT_FALSE(jt::parse(text).has_value()) << text;
}

}  // namespace

TEST(JsonTextMinify, RemovesInsignificantWhitespaceOnly) {
  EXPECT_EQ(minified(" {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } , \"c\":[ ] } "),
            R"({"a":[1,2],"b":{},"c":[]})");
  // Whitespace inside strings is significant.
  EXPECT_EQ(minified(R"( [ "a b" , "  " ] )"), R"(["a b","  "])");
  EXPECT_EQ(minified("  true "), "true");
  EXPECT_EQ(minified("null"), "null");
}

TEST(JsonTextMinify, KeepsNumberLexemesByteForByte) {
  for (std::string_view n : {"25.00", "-0", "1e10", "1E+2", "1e-2", "-0.000", "0",
                             "123456789012345678901234567890", "1.5E308", "1e99999", "0e231031"}) {
    EXPECT_EQ(minified(n), n);
    EXPECT_EQ(minified(std::string("[ ") + std::string(n) + " ]"), "[" + std::string(n) + "]");
  }
}

TEST(JsonTextMinify, KeepsStringEscapesAsWritten) {
  const std::string text = R"(["\u00e9", "é", "\/", "\"\\\b\f\n\r\t", "\ud83d\ude00"])";
  EXPECT_EQ(minified(text), R"(["\u00e9","é","\/","\"\\\b\f\n\r\t","\ud83d\ude00"])");
}

TEST(JsonTextMinify, IsIdempotent) {
  const std::string once = minified(R"( { "k" : [ 1.10 , { "x" : null } ] } )");
  EXPECT_EQ(minified(once), once);
}

TEST(JsonTextMinify, RejectsInvalidDocuments) {
  expect_invalid("", "end of input");
  expect_invalid("   ", "end of input");
  expect_invalid("[1,]", "trailing comma");
  expect_invalid(R"({"a":1,})", "trailing comma");
  expect_invalid("{'a':1}", "string key");
  expect_invalid("['a']", "expected a value");
  expect_invalid("\"a\tb\"", "control character");
  expect_invalid(std::string("\"a\0b\"", 5), "control character");
  expect_invalid(R"("\ud800")", "surrogate");
  expect_invalid(R"("\udc00")", "surrogate");
  expect_invalid(R"("\ud800\u0041")", "surrogate");
  expect_invalid(R"("\ud83d")", "surrogate");
  expect_invalid(R"("\x")", "invalid escape");
  expect_invalid(R"("\u12")", "\\u");
  expect_invalid(R"("\u12g4")", "hex");
  expect_invalid("\"\xC3\"", "UTF-8");
  expect_invalid("\"\xC0\xAF\"", "UTF-8");          // overlong '/'
  expect_invalid("\"\xED\xA0\x80\"", "UTF-8");      // UTF-8-encoded surrogate
  expect_invalid("\"\xF4\x90\x80\x80\"", "UTF-8");  // above U+10FFFF
  expect_invalid(R"({"a":1} x)", "after the JSON value");
  expect_invalid("1 2", "after the JSON value");
  expect_invalid("01", "after the JSON value");
  expect_invalid("-", "digit");
  expect_invalid("1.", "digit");
  expect_invalid("1e", "exponent");
  expect_invalid(".5", "expected a value");
  expect_invalid("+1", "expected a value");
  expect_invalid("NaN", "expected a value");
  expect_invalid("tru", "expected a value");
  expect_invalid(R"({"a" 1})", "':'");
  expect_invalid(R"({"a":1 "b":2})", "','");
  expect_invalid("[1 2]", "','");
  expect_invalid(R"({"a":)", "end of input");
  expect_invalid(R"({"a")", "':'");
  expect_invalid(R"(["abc)", "unterminated");
  expect_invalid("[[[", "end of input");
  expect_invalid("\xEF\xBB\xBF{}", "expected a value");  // a BOM is not JSON
}

TEST(JsonTextMinify, ErrorNamesTheByteOffset) {
  auto r = jt::minify(R"({"a": [1, 2,]})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("byte 12"), std::string::npos) << r.error().detail;
}

TEST(JsonTextMinify, BoundsNestingDepth) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(jt::minify(nested(64)).has_value());
  auto deep = jt::minify(nested(65));
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().detail.find("deeper than 64"), std::string::npos);
  EXPECT_TRUE(jt::minify(nested(3), 3).has_value());
  EXPECT_FALSE(jt::minify(nested(4), 3).has_value());
  EXPECT_FALSE(jt::minify(R"({"a":{"b":{}}})", 2).has_value());
  EXPECT_FALSE(jt::parse(nested(65)).has_value());
  // Far deeper than any stack would take recursively: refused quickly and without crashing.
  EXPECT_FALSE(jt::minify(std::string(1'000'000, '[')).has_value());
}

TEST(JsonTextParse, BuildsTreeWithLexemesAndDecodedStrings) {
  auto v = jt::parse(R"({"n":25.00,"s":"caf\u00e9 \ud83d\ude00\n","t":true,"f":false,"z":null,
                         "a":[1,"x",[]],"o":{"k":-0}})");
  ASSERT_TRUE(v) << v.error().detail;
  ASSERT_EQ(v->kind, jt::Value::object);
  ASSERT_EQ(v->members.size(), 7u);
  EXPECT_EQ(v->members[0].first, "n");
  EXPECT_EQ(v->members[0].second.kind, jt::Value::number);
  EXPECT_EQ(v->members[0].second.text, "25.00");
  EXPECT_EQ(v->members[1].second.kind, jt::Value::string);
  EXPECT_EQ(v->members[1].second.text, "caf\xC3\xA9 \xF0\x9F\x98\x80\n");
  EXPECT_EQ(v->members[2].second.kind, jt::Value::boolean);
  EXPECT_EQ(v->members[2].second.text, "true");
  EXPECT_EQ(v->members[3].second.text, "false");
  EXPECT_EQ(v->members[4].second.kind, jt::Value::null_);
  const jt::Value& a = v->members[5].second;
  ASSERT_EQ(a.kind, jt::Value::array);
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_EQ(a.items[0].text, "1");
  EXPECT_EQ(a.items[1].text, "x");
  EXPECT_EQ(a.items[2].kind, jt::Value::array);
  EXPECT_TRUE(a.items[2].items.empty());
  const jt::Value& o = v->members[6].second;
  ASSERT_EQ(o.members.size(), 1u);
  EXPECT_EQ(o.members[0].first, "k");
  EXPECT_EQ(o.members[0].second.text, "-0");
}

TEST(JsonTextParse, KeepsDuplicateKeysInOrderAndDecodesKeys) {
  auto v = jt::parse(R"({"a":1,"\u0061":2,"a\"b":3})");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->members.size(), 3u);
  EXPECT_EQ(v->members[0].first, "a");
  EXPECT_EQ(v->members[1].first, "a");
  EXPECT_EQ(v->members[1].second.text, "2");
  EXPECT_EQ(v->members[2].first, "a\"b");
}

TEST(JsonTextParse, DecodesEscapedNul) {
  auto v = jt::parse(R"("a\u0000b")");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->text, std::string("a\0b", 3));
}

TEST(JsonTextMember, FindsTopLevelMembersRaw) {
  const std::string obj = R"( { "payload" : { "amount" : 25.00 , "s" : "}{][" } , "eventType":"user.created",
                                "list":[ 1, {"payload":0} ], "n" : -1E+2 } )";
  EXPECT_EQ(jt::member(obj, "payload"), R"({ "amount" : 25.00 , "s" : "}{][" })");
  EXPECT_EQ(jt::member(obj, "eventType"), R"("user.created")");
  EXPECT_EQ(jt::member(obj, "list"), R"([ 1, {"payload":0} ])");
  EXPECT_EQ(jt::member(obj, "n"), "-1E+2");
  EXPECT_EQ(jt::member(obj, "amount"), std::nullopt);  // nested, not top-level
  EXPECT_EQ(jt::member(obj, "missing"), std::nullopt);
}

// Result<optional<string>> as a string for comparisons: "<absent>" or "<error>" when there is none.
std::string minified_member(std::string_view text, std::string_view key,
                            int max_depth = jt::kDefaultMaxDepth) {
  auto r = jt::minified_member(text, key, max_depth);
  if (!r) return "<error>";
  return r->value_or("<absent>");
}

TEST(JsonTextMinifiedMember, IsMinifyOfMemberInOnePass) {
  const std::string obj = R"( { "payload" : { "amount" : 25.00 , "s" : "}{ ][" , "e":"\u00e9" } ,
                                "eventType":"user.created", "list":[ 1, {"payload":0} ], "n" : -1E+2 } )";
  EXPECT_EQ(minified_member(obj, "payload"), R"({"amount":25.00,"s":"}{ ][","e":"\u00e9"})");
  EXPECT_EQ(minified_member(obj, "eventType"), R"("user.created")");
  EXPECT_EQ(minified_member(obj, "list"), R"([1,{"payload":0}])");
  EXPECT_EQ(minified_member(obj, "n"), "-1E+2");
  EXPECT_EQ(minified_member(obj, "amount"), "<absent>");  // nested, not top-level
  EXPECT_EQ(minified_member(obj, "missing"), "<absent>");
  EXPECT_EQ(minified_member(R"({"caf\u00e9" : { "x" : [ ] }})", "caf\xC3\xA9"), R"({"x":[]})");
}

TEST(JsonTextMinifiedMember, LastDuplicateWinsWhateverItsKind) {
  EXPECT_EQ(minified_member(R"({"a":1,"b":{"a":9},"a":[ 2 ]})", "a"), "[2]");
  EXPECT_EQ(minified_member(R"({"a":[ 1 , 2 ],"a": 3 })", "a"), "3");
  EXPECT_EQ(minified_member(R"({"a":{ "k" : 1 },"a":{}})", "a"), "{}");
}

TEST(JsonTextMinifiedMember, ErrorsAndNonObjects) {
  EXPECT_EQ(minified_member(R"([{"a":1}])", "a"), "<absent>");
  EXPECT_EQ(minified_member(R"("a")", "a"), "<absent>");
  EXPECT_EQ(minified_member(R"({"a":1,)", "a"), "<error>");
  EXPECT_EQ(minified_member("", "a"), "<error>");
  // max_depth bounds the members' values, as minify() of the member would.
  EXPECT_EQ(minified_member(R"({"a":[[1]]})", "a", 2), "[[1]]");
  EXPECT_EQ(minified_member(R"({"a":[[[1]]]})", "a", 2), "<error>");
}

TEST(JsonTextMember, ComparesKeysAfterUnescaping) {
  const std::string obj = R"({"caf\u00e9":1,"a\"b":2,"x\\y":3,"\ud83d\ude00":4})";
  EXPECT_EQ(jt::member(obj, "caf\xC3\xA9"), "1");
  EXPECT_EQ(jt::member(obj, "a\"b"), "2");
  EXPECT_EQ(jt::member(obj, "x\\y"), "3");
  EXPECT_EQ(jt::member(obj, "\xF0\x9F\x98\x80"), "4");
  EXPECT_EQ(jt::member(obj, "caf\\u00e9"), std::nullopt);
}

TEST(JsonTextMember, DuplicateKeysLastWins) {
  EXPECT_EQ(jt::member(R"({"a":1,"b":{"a":9},"a":[2]})", "a"), "[2]");
}

TEST(JsonTextMember, NotAnObjectOrInvalidGivesNullopt) {
  EXPECT_EQ(jt::member(R"([{"a":1}])", "a"), std::nullopt);
  EXPECT_EQ(jt::member(R"("a")", "a"), std::nullopt);
  EXPECT_EQ(jt::member(R"({"a":1,)", "a"), std::nullopt);
  EXPECT_EQ(jt::member("", "a"), std::nullopt);
  EXPECT_EQ(jt::member("{}", ""), std::nullopt);
  EXPECT_EQ(jt::member(R"({"":0})", ""), "0");
}

TEST(JsonTextQuote, EscapesWhatJsonRequires) {
  EXPECT_EQ(jt::quote(""), R"("")");
  EXPECT_EQ(jt::quote("plain"), R"("plain")");
  EXPECT_EQ(jt::quote("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(jt::quote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(jt::quote(std::string("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(jt::quote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(jt::quote("a\xFF"
                      "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");  // invalid UTF-8 -> U+FFFD
}

TEST(JsonTextQuote, AppendQuotedAddsToWhatIsThere) {
  std::string out = R"({"k":)";
  jt::append_quoted(out,
                    "run of text\"then more\x01"
                    "end");
  EXPECT_EQ(out, R"({"k":"run of text\"then more\u0001end")");
}

TEST(JsonTextQuote, RoundTripsThroughParse) {
  const std::string s = std::string("x\"\\\n\x01\x7f ") + "\xE2\x82\xAC" + "\xF0\x9F\x98\x80";
  auto v = jt::parse(jt::quote(s));
  ASSERT_TRUE(v) << v.error().detail;
  EXPECT_EQ(v->kind, jt::Value::string);
  EXPECT_EQ(v->text, s);
}

// Found by http_route_fuzz: a request path with bytes that are not UTF-8 was echoed into an error's detail,
// making the answer invalid JSON. Such bytes become U+FFFD; valid text is kept as it is.
TEST(JsonTextUtf8, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(jt::to_valid_utf8("plain /api/v1 é ☃ 😀"), "plain /api/v1 é ☃ 😀");
  EXPECT_EQ(jt::to_valid_utf8("a\xff\xfe"
                              "b"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(jt::to_valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(jt::to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(jt::to_valid_utf8("cut \xE2\x98"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  auto answer = hookd::api::error_response(404, "not_found", "no such route: /x\xff");
  EXPECT_TRUE(jt::parse(answer.body)) << answer.body;
}
