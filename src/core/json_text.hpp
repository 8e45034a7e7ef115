#pragma once
// JSON kept as text. hookd must deliver payload bytes faithfully, and a DOM round trip does not: Boost.JSON
// turns `25.00` into `2.5E1`. So payloads are validated and minified here without ever converting a number
// or re-escaping a string: every string and number lexeme leaves exactly as it came in.
//
// One hand-written, single-pass, iterative parser (an explicit stack, no recursion) backs every function,
// so nesting depth costs heap, not C++ stack, and is bounded by `max_depth`.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace hookd::json_text {

// Nesting bound used by default: deeper than any real payload, far below anything that hurts.
inline constexpr int kDefaultMaxDepth = 64;

// Validates `text` as one JSON value (RFC 8259, UTF-8; no trailing garbage) and returns it with all
// insignificant whitespace removed; string and number lexemes are kept byte for byte (25.00 stays 25.00,
// "\u00e9" stays "\u00e9"). More than `max_depth` nested arrays/objects is an error. Errors are
// ErrorKind::invalid_input with code "invalid_json" and a detail naming the byte offset and the problem.
Result<std::string> minify(std::string_view text, int max_depth = kDefaultMaxDepth);

// For a JSON object text, the raw text of its top-level member `key` (compared after unescaping, so
// "caf\u00e9" matches key "café"), or nullopt when absent or when `object_text` is not a valid JSON object.
// With duplicate keys the last one wins, as in Boost.JSON and JavaScript's JSON.parse.
std::optional<std::string_view> member(std::string_view object_text, std::string_view key);

// minify(member(object_text, key)) in one pass over `object_text`: the member's value, minified, or nullopt
// when `object_text` is valid JSON but not an object or has no such member. An invalid text, or nesting
// deeper than `max_depth` inside any member, is minify()'s error.
Result<std::optional<std::string>> minified_member(std::string_view object_text, std::string_view key,
                                                   int max_depth = kDefaultMaxDepth);

// `s` as a JSON string literal including the quotes: `"` `\` and control characters escaped, valid UTF-8
// copied as is; bytes that are not valid UTF-8 become U+FFFD so the result is always valid JSON.
std::string quote(std::string_view s);
// quote(s) appended to `out`, for text written member by member.
void append_quoted(std::string& out, std::string_view s);

// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD, so text that
// echoes untrusted bytes (a request path in an error message) stays valid JSON (RFC 8259 requires UTF-8).
std::string to_valid_utf8(std::string_view s);

// A lexeme-preserving tree, for consumers that must walk a payload (the form encoder) without losing its
// number spelling.
struct Value {
  enum Kind { null_, boolean, number, string, array, object };
  // Declared rather than implicit: clang 14 (the fuzz build's compiler) otherwise loops instantiating
  // std::pair<std::string, Value> while Value is still incomplete.
  Value() noexcept;
  explicit Value(Kind k, std::string t = {}) noexcept : kind(k), text(std::move(t)) {}

  Kind kind = null_;
  // number: the raw lexeme ("25.00"); string: the decoded UTF-8 text; boolean: "true"/"false"; null: "null".
  std::string text;
  std::vector<Value> items;                            // array elements, in order
  std::vector<std::pair<std::string, Value>> members;  // object members in document order, duplicates kept

  bool is_scalar() const { return kind != array && kind != object; }
};

// Parses one JSON value with the same rules and errors as minify(). String escapes (including \uXXXX
// surrogate pairs) are decoded to UTF-8; numbers keep their lexeme.
Result<Value> parse(std::string_view text, int max_depth = kDefaultMaxDepth);

}  // namespace hookd::json_text
