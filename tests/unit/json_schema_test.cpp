// hookd's JSON Schema validator beyond the official suite: error paths and messages, draft 2020-12
// spellings the draft-4 suite cannot cover, and the formats the catalogs rely on.
#include "catalog/json_schema.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "catalog/json_formats.hpp"
#include "catalog/json_values.hpp"

namespace {

namespace json = boost::json;
using hookd::catalog::Schema;
using hookd::catalog::ValidationError;

Schema compile(std::string_view text) {
  auto s = Schema::compile(json::parse(text));
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().detail);
  return std::move(*s);
}

std::vector<std::string> paths(const std::vector<ValidationError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.path);
  return out;
}

std::vector<ValidationError> check(std::string_view schema, std::string_view instance) {
  return compile(schema).validate(json::parse(instance));
}

TEST(JsonSchema, ReportsEveryFailingPath) {
  const auto errors =
      check(R"({
    "type": "object", "required": ["a", "b", "c"],
    "properties": {"a": {"type": "string"}, "b": {"type": "integer"},
                   "list": {"items": {"type": "object", "properties": {"x": {"format": "date"}}}}},
    "additionalProperties": {"type": ["string", "array"]}})",
            R"({"a": 1, "b": 2.5, "list": [{"x": "2024-01-01"}, {"x": "2024-02-30"}], "z": 3})");
  EXPECT_EQ(paths(errors), (std::vector<std::string>{"/c", "/a", "/b", "/list/1/x", "/z"}));
  EXPECT_EQ(errors[0].message, "is required but missing");
  EXPECT_EQ(errors[1].message, "must be of type string, got integer");
  EXPECT_EQ(errors[3].message, "must be a valid date");
}

TEST(JsonSchema, PathsEscapeSlashAndTilde) {
  const auto errors = check(R"({"additionalProperties": false})", R"({"a/b": 1, "c~d": 2})");
  EXPECT_EQ(paths(errors), (std::vector<std::string>{"/a~1b", "/c~0d"}));
  EXPECT_EQ(errors[0].message, "is not an allowed property");
}

TEST(JsonSchema, NumbersCompareByValueInEnumAndConst) {
  EXPECT_TRUE(check(R"({"enum": [1, "x"]})", "1.0").empty());
  EXPECT_TRUE(check(R"({"const": 2.0})", "2").empty());
  EXPECT_TRUE(check(R"({"const": {"a": [1, 2]}})", R"({"a": [1.0, 2]})").empty());
  EXPECT_FALSE(check(R"({"const": 1})", "true").empty());
  EXPECT_FALSE(check(R"({"enum": [1]})", "1.5").empty());
  EXPECT_FALSE(check(R"({"const": 18446744073709551615})", "18446744073709551614").empty());
}

TEST(JsonSchema, IntegerAcceptsWholeDoublesOnly) {
  EXPECT_TRUE(check(R"({"type": "integer"})", "1.0").empty());
  EXPECT_FALSE(check(R"({"type": "integer"})", "1.5").empty());
  EXPECT_TRUE(check(R"({"type": "number"})", "7").empty());
}

TEST(JsonSchema, LengthsCountCodePointsNotBytes) {
  EXPECT_TRUE(check(R"({"maxLength": 5})", R"("Pérez")").empty());               // 6 bytes, 5 characters
  EXPECT_TRUE(check(R"({"minLength": 2, "maxLength": 2})", R"("😀é")").empty());  // 6 bytes, 2 characters
  EXPECT_FALSE(check(R"({"maxLength": 4})", R"("Pérez")").empty());
}

TEST(JsonSchema, DraftTwentyTwentySpellings) {
  const auto s = compile(R"({"$defs": {"pos": {"type": "integer", "exclusiveMinimum": 0}},
                             "prefixItems": [{"type": "string"}], "items": {"$ref": "#/$defs/pos"},
                             "maximum": 3})");
  EXPECT_TRUE(s.validate(json::parse(R"(["a", 1, 2])")).empty());
  EXPECT_EQ(paths(s.validate(json::parse(R"([1, 0, "x"])"))), (std::vector<std::string>{"/0", "/1", "/2"}));
  EXPECT_FALSE(check(R"({"exclusiveMaximum": 3})", "3").empty());
  EXPECT_TRUE(check(R"({"exclusiveMaximum": 3})", "2.99").empty());
}

TEST(JsonSchema, RefsToRootDefinitionsAndDefs) {
  const auto tree = compile(R"({"type": "object", "properties": {"name": {"$ref": "#/definitions/name"},
                                 "children": {"type": "array", "items": {"$ref": "#"}}},
                                "definitions": {"name": {"type": "string", "minLength": 1}}})");
  EXPECT_TRUE(
      tree.validate(json::parse(R"({"name": "a", "children": [{"name": "b", "children": []}]})")).empty());
  EXPECT_EQ(paths(tree.validate(json::parse(R"({"name": "a", "children": [{"name": ""}]})"))),
            (std::vector<std::string>{"/children/0/name"}));
}

TEST(JsonSchema, SelfReferenceTerminates) {
  const auto errors = check(R"({"$ref": "#"})", "1");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("recursion"), std::string::npos);
}

TEST(JsonSchema, CompileRejectsBrokenSchemasNamingTheLocation) {
  const auto unresolved =
      Schema::compile(json::parse(R"({"properties": {"a": {"$ref": "#/$defs/missing"}}})"));
  ASSERT_FALSE(unresolved.has_value());
  EXPECT_NE(unresolved.error().detail.find("/properties/a/$ref"), std::string::npos)
      << unresolved.error().detail;
  const auto remote = Schema::compile(json::parse(R"({"$ref": "http://example.com/s.json"})"));
  ASSERT_FALSE(remote.has_value());
  EXPECT_FALSE(Schema::compile(json::parse(R"({"pattern": "(unclosed"})")).has_value());
  EXPECT_FALSE(Schema::compile(json::parse(R"({"type": "text"})")).has_value());
  EXPECT_FALSE(Schema::compile(json::parse(R"({"minLength": -1})")).has_value());
  EXPECT_FALSE(Schema::compile(json::parse("42")).has_value());
}

TEST(JsonSchema, CombinatorsExplainFailures) {
  const auto any = check(R"({"anyOf": [{"type": "string"}, {"type": "object", "required": ["id"]}]})", "{}");
  ASSERT_EQ(any.size(), 1u);
  EXPECT_EQ(
      any[0].message,
      "must match at least one anyOf alternative (closest, alternative 1: /id is required but missing)");
  const auto one = check(R"({"oneOf": [{"type": "integer"}, {"minimum": 0}]})", "5");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_NE(one[0].message.find("matched 2"), std::string::npos);
  EXPECT_FALSE(check(R"({"not": {"type": "null"}})", "null").empty());
  EXPECT_TRUE(check(R"({"if": {"required": ["a"]}, "then": {"required": ["b"]}})", R"({"c": 1})").empty());
  EXPECT_EQ(paths(check(R"({"if": {"required": ["a"]}, "then": {"required": ["b"]}})", R"({"a": 1})")),
            (std::vector<std::string>{"/b"}));
}

TEST(JsonSchema, PatternIsUnanchoredEcmaScript) {
  EXPECT_TRUE(check(R"({"pattern": "[0-9]{3}"})", R"("ab123cd")").empty());
  EXPECT_FALSE(check(R"({"pattern": "^[0-9]{3}$"})", R"("ab123cd")").empty());
  EXPECT_TRUE(check(R"({"pattern": "^\\d+$"})", "12").empty());  // non-strings are not checked
}

TEST(JsonFormats, DatesAndTimesFollowRfc3339) {
  using namespace hookd::catalog;
  EXPECT_TRUE(is_date("2024-02-29"));
  EXPECT_FALSE(is_date("2023-02-29"));
  EXPECT_FALSE(is_date("2024-1-05"));
  EXPECT_FALSE(is_date("2024-04-31"));
  EXPECT_TRUE(is_time("10:30:00Z"));
  EXPECT_TRUE(is_time("23:59:59.123+05:30"));
  EXPECT_FALSE(is_time("10:30"));  // HH:MM alone is not an RFC 3339 time: the catalogs use a pattern for it
  EXPECT_FALSE(is_time("24:00:00Z"));
  EXPECT_FALSE(is_time("10:30:00"));  // no offset
  EXPECT_TRUE(is_date_time("2024-01-20T10:30:00Z"));
  EXPECT_TRUE(is_date_time("2024-01-20t10:30:00.5-03:00"));
  EXPECT_FALSE(is_date_time("2024-01-20 10:30:00Z"));
  EXPECT_FALSE(is_date_time("2024-01-20T10:30:00"));
}

TEST(JsonFormats, EmailAndUri) {
  using namespace hookd::catalog;
  EXPECT_TRUE(is_email("juan@email.com"));
  EXPECT_TRUE(is_email("first.last+tag@sub.example.co"));
  EXPECT_FALSE(is_email("juan@"));
  EXPECT_FALSE(is_email("@email.com"));
  EXPECT_FALSE(is_email("ju..an@email.com"));
  EXPECT_FALSE(is_email("juan email@email.com"));
  EXPECT_FALSE(is_email("juan@-bad.com"));
  EXPECT_TRUE(is_uri("https://tracking.example.com/1Z999AA10123456784"));
  EXPECT_TRUE(is_uri("urn:isbn:0451450523"));
  EXPECT_TRUE(is_uri("https://example.com/a%20b?q=1#f"));
  EXPECT_FALSE(is_uri("tracking.example.com/x"));
  EXPECT_FALSE(is_uri("https://example.com/a b"));
  EXPECT_FALSE(is_uri("https://example.com/%zz"));
  EXPECT_FALSE(check_format("hostname", "x").has_value());  // not asserted
}

TEST(JsonValues, PointerResolution) {
  using namespace hookd::catalog;
  const auto doc = json::parse(R"({"a": {"b/c": [10, 20]}, "~k": 1})");
  ASSERT_NE(resolve_pointer(doc, "/a/b~1c/1"), nullptr);
  EXPECT_EQ(*resolve_pointer(doc, "/a/b~1c/1"), json::value(20));
  EXPECT_EQ(*resolve_pointer(doc, "/~0k"), json::value(1));
  EXPECT_EQ(resolve_pointer(doc, "/a/b~1c/2"), nullptr);
  EXPECT_EQ(resolve_pointer(doc, "/a/b~1c/01"), nullptr);
  EXPECT_EQ(resolve_pointer(doc, ""), &doc);
}

}  // namespace
