#include "core/json_text.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace hookd::json_text {
namespace {

std::unexpected<Error> syntax_error(std::size_t offset, std::string_view what) {
  return fail(ErrorKind::invalid_input, "invalid_json",
              fmt::format("invalid JSON at byte {}: {}", offset, what));
}

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode Table 3-7: no overlongs, no encoded
// surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0x100;
  };
  auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  const unsigned b0 = byte(i);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(byte(i + 1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) && in(byte(i + 3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// Bytes a string may hold as they are, with no check beyond this table: printable ASCII other than '"' and
// '\\'. One table load a byte instead of four comparisons (strings are most of any payload).
constexpr std::array<bool, 256> kPlainStringByte = [] {
  std::array<bool, 256> plain{};
  for (int b = 0x20; b < 0x80; ++b) plain[static_cast<std::size_t>(b)] = b != '"' && b != '\\';
  return plain;
}();

// The single parser. A Sink receives the document as events; every raw lexeme is a view into `text`.
//   begin(kind, offset) / end(kind, offset_after)    for arrays and objects
//   key(raw, decoded)                                  raw includes the quotes
//   scalar(kind, raw, decoded)                         decoded is filled for strings only
//   punct(raw)                                         every structural character consumed (a view too)
// Sink::kDecode says whether strings must be unescaped (costs an allocation per string).
template <class Sink>
class Parser {
 public:
  Parser(std::string_view text, int max_depth, Sink& sink)
      : text_(text), max_depth_(max_depth), sink_(sink) {}

  Result<void> run() {
    enum class State { value, after_value, key };
    State state = State::value;
    for (;;) {
      switch (state) {
        case State::value: {
          skip_ws();
          if (at_end()) return syntax_error(pos_, "unexpected end of input, expected a value");
          const char c = text_[pos_];
          if (c == '{' || c == '[') {
            if (static_cast<int>(stack_.size()) >= max_depth_) {
              return syntax_error(pos_, fmt::format("nesting deeper than {} levels", max_depth_));
            }
            const bool object = c == '{';
            const Value::Kind kind = object ? Value::object : Value::array;
            sink_.begin(kind, pos_);
            sink_.punct(text_.substr(pos_, 1));
            ++pos_;
            skip_ws();
            const char close = object ? '}' : ']';
            if (!at_end() && text_[pos_] == close) {
              sink_.punct(text_.substr(pos_, 1));
              ++pos_;
              sink_.end(kind, pos_);
              state = State::after_value;
            } else {
              stack_.push_back(kind);
              state = object ? State::key : State::value;
            }
            break;
          }
          auto scalar = scan_scalar();
          if (!scalar) return std::unexpected(scalar.error());
          state = State::after_value;
          break;
        }
        case State::after_value: {
          skip_ws();
          if (stack_.empty()) {
            if (!at_end()) return syntax_error(pos_, "unexpected characters after the JSON value");
            return {};
          }
          if (at_end()) return syntax_error(pos_, "unexpected end of input inside an array or object");
          const char c = text_[pos_];
          const bool object = stack_.back() == Value::object;
          if (c == ',') {
            sink_.punct(text_.substr(pos_, 1));
            ++pos_;
            state = object ? State::key : State::value;
            // RFC 8259 has no trailing commas: the next token must be a key or value, not a closer.
            skip_ws();
            if (!at_end() && (text_[pos_] == '}' || text_[pos_] == ']')) {
              return syntax_error(pos_, "trailing comma");
            }
          } else if (c == (object ? '}' : ']')) {
            sink_.punct(text_.substr(pos_, 1));
            ++pos_;
            sink_.end(stack_.back(), pos_);
            stack_.pop_back();
          } else {
            return syntax_error(pos_, object ? "expected ',' or '}'" : "expected ',' or ']'");
          }
          break;
        }
        case State::key: {
          skip_ws();
          if (at_end() || text_[pos_] != '"') return syntax_error(pos_, "expected a string key");
          const std::size_t start = pos_;
          std::string decoded;
          auto ok = scan_string(decoded);
          if (!ok) return std::unexpected(ok.error());
          sink_.key(text_.substr(start, pos_ - start), decoded);
          skip_ws();
          if (at_end() || text_[pos_] != ':') return syntax_error(pos_, "expected ':' after an object key");
          sink_.punct(text_.substr(pos_, 1));
          ++pos_;
          state = State::value;
          break;
        }
      }
    }
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_ws() {
    while (!at_end() && is_ws(text_[pos_])) ++pos_;
  }

  Result<void> scan_scalar() {
    const std::size_t start = pos_;
    const char c = text_[pos_];
    if (c == '"') {
      std::string decoded;
      auto ok = scan_string(decoded);
      if (!ok) return ok;
      sink_.scalar(Value::string, text_.substr(start, pos_ - start), decoded);
      return {};
    }
    if (c == '-' || is_digit(c)) {
      auto ok = scan_number();
      if (!ok) return ok;
      sink_.scalar(Value::number, text_.substr(start, pos_ - start), {});
      return {};
    }
    for (auto [word, kind] : {std::pair{std::string_view("true"), Value::boolean},
                              std::pair{std::string_view("false"), Value::boolean},
                              std::pair{std::string_view("null"), Value::null_}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        sink_.scalar(kind, word, {});
        return {};
      }
    }
    return syntax_error(pos_, "expected a value");
  }

  // RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  Result<void> scan_number() {
    if (text_[pos_] == '-') ++pos_;
    if (at_end() || !is_digit(text_[pos_])) return syntax_error(pos_, "expected a digit");
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (!at_end() && is_digit(text_[pos_])) ++pos_;
    }
    if (!at_end() && text_[pos_] == '.') {
      ++pos_;
      if (at_end() || !is_digit(text_[pos_])) return syntax_error(pos_, "expected a digit after '.'");
      while (!at_end() && is_digit(text_[pos_])) ++pos_;
    }
    if (!at_end() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!at_end() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (at_end() || !is_digit(text_[pos_])) return syntax_error(pos_, "expected a digit in the exponent");
      while (!at_end() && is_digit(text_[pos_])) ++pos_;
    }
    return {};
  }

  Result<std::uint32_t> scan_hex4() {
    if (text_.size() - pos_ < 4) return syntax_error(pos_, "truncated \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex_value(text_[pos_ + k]);
      if (h < 0) return syntax_error(pos_ + k, "invalid hex digit in \\u escape");
      v = v * 16 + static_cast<std::uint32_t>(h);
    }
    pos_ += 4;
    return v;
  }

  // pos_ is at the opening quote; leaves pos_ after the closing one. Decodes into `out` if Sink::kDecode.
  Result<void> scan_string(std::string& out) {
    ++pos_;
    for (;;) {
      // Fast path (most of any payload): a run of printable ASCII other than '"' and '\\' is valid as is,
      // so it is taken in one step instead of a UTF-8 check per byte.
      std::size_t run = pos_;
      while (run < text_.size() && kPlainStringByte[static_cast<unsigned char>(text_[run])]) ++run;
      if (run > pos_) {
        if constexpr (Sink::kDecode) out.append(text_.substr(pos_, run - pos_));
        pos_ = run;
      }
      if (at_end()) return syntax_error(pos_, "unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return {};
      }
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20) return syntax_error(pos_, "control character in string (must be escaped)");
      if (c == '\\') {
        auto ok = scan_escape(out);
        if (!ok) return ok;
        continue;
      }
      const std::size_t n = utf8_sequence_length(text_, pos_);
      if (n == 0) return syntax_error(pos_, "invalid UTF-8 in string");
      if constexpr (Sink::kDecode) out.append(text_.substr(pos_, n));
      pos_ += n;
    }
  }

  Result<void> scan_escape(std::string& out) {
    const std::size_t at = pos_;
    ++pos_;
    if (at_end()) return syntax_error(pos_, "unterminated escape");
    const char e = text_[pos_++];
    char simple = 0;
    switch (e) {
      case '"':
        simple = '"';
        break;
      case '\\':
        simple = '\\';
        break;
      case '/':
        simple = '/';
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      default:
        return syntax_error(at, "invalid escape");
    }
    if (e != 'u') {
      if constexpr (Sink::kDecode) out += simple;
      return {};
    }
    auto first = scan_hex4();
    if (!first) return std::unexpected(first.error());
    std::uint32_t cp = *first;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return syntax_error(at, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") return syntax_error(at, "high surrogate not followed by a low one");
      pos_ += 2;
      auto second = scan_hex4();
      if (!second) return std::unexpected(second.error());
      if (*second < 0xDC00 || *second > 0xDFFF) {
        return syntax_error(at, "high surrogate not followed by a low one");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (*second - 0xDC00);
    }
    if constexpr (Sink::kDecode) append_utf8(out, cp);
    return {};
  }

  std::string_view text_;
  int max_depth_;
  Sink& sink_;
  std::size_t pos_ = 0;
  std::vector<Value::Kind> stack_;  // open containers; its size is the current depth
};

template <class Sink>
Result<void> run_parser(std::string_view text, int max_depth, Sink& sink) {
  return Parser<Sink>(text, max_depth, sink).run();
}

// Copies every token and drops whitespace: the output is the input's lexemes, in order. Tokens that follow
// each other in the input are copied as one run, so a document without whitespace is one append instead of
// one per token (most producers send compact JSON).
struct MinifySink {
  static constexpr bool kDecode = false;
  std::string out;
  std::string_view run;  // adjacent tokens not yet copied
  void take(std::string_view raw) {
    if (!run.empty() && run.data() + run.size() == raw.data()) {
      run = std::string_view(run.data(), run.size() + raw.size());
      return;
    }
    out.append(run);
    run = raw;
  }
  void finish() {
    out.append(run);
    run = {};
  }
  void begin(Value::Kind, std::size_t) {}
  void end(Value::Kind, std::size_t) {}
  void key(std::string_view raw, const std::string&) { take(raw); }
  void scalar(Value::Kind, std::string_view raw, const std::string&) { take(raw); }
  void punct(std::string_view raw) { take(raw); }
};

// Builds the tree with an explicit stack of unfinished containers.
struct TreeSink {
  static constexpr bool kDecode = true;
  struct Frame {
    Value value;
    std::string pending_key;  // objects: the key whose value comes next
  };
  std::vector<Frame> stack;
  Value root;

  void attach(Value v) {
    if (stack.empty()) {
      root = std::move(v);
      return;
    }
    Frame& top = stack.back();
    if (top.value.kind == Value::array) {
      top.value.items.push_back(std::move(v));
    } else {
      top.value.members.emplace_back(std::move(top.pending_key), std::move(v));
      top.pending_key.clear();
    }
  }
  void begin(Value::Kind kind, std::size_t) { stack.push_back(Frame{Value(kind), {}}); }
  void end(Value::Kind, std::size_t) {
    Value done = std::move(stack.back().value);
    stack.pop_back();
    attach(std::move(done));
  }
  void key(std::string_view, const std::string& decoded) { stack.back().pending_key = decoded; }
  void scalar(Value::Kind kind, std::string_view raw, const std::string& decoded) {
    attach(Value(kind, kind == Value::string ? decoded : std::string(raw)));
  }
  void punct(std::string_view) {}
};

// A key's raw lexeme (quotes included) equals `wanted` once decoded. Keys are decoded only when they hold
// an escape, so finding a member copies no string of the document.
bool key_equals(std::string_view raw, std::string_view wanted) {
  const std::string_view inner = raw.substr(1, raw.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return inner == wanted;
  auto decoded = parse(raw, 1);
  return decoded && decoded->text == wanted;
}

// Copies nothing: for MemberSink when only the member's raw text is wanted.
struct NoCopy {
  void take(std::string_view) {}
  void finish() {}
};

// Remembers where the value of the wanted top-level key starts and ends, and hands `copy` every token of it
// (a MinifySink copies the value without whitespace in the same pass).
template <class Copy>
struct MemberSink {
  static constexpr bool kDecode = false;
  std::string_view text;
  std::string_view wanted;
  Copy copy;
  int depth = 0;
  bool top_is_object = false;
  bool armed = false;  // the last top-level key was `wanted`, so the next value is the one
  std::size_t start = 0;
  std::optional<std::string_view> found;

  bool inside() const { return armed && depth > 1; }
  void begin(Value::Kind kind, std::size_t offset) {
    if (depth == 0) top_is_object = kind == Value::object;
    if (depth == 1 && armed) start = offset;
    ++depth;
  }
  void end(Value::Kind, std::size_t offset_after) {
    --depth;
    if (depth == 1 && armed) {
      found = text.substr(start, offset_after - start);
      armed = false;
      copy.finish();
    }
  }
  void key(std::string_view raw, const std::string&) {
    if (inside()) {
      copy.take(raw);
    } else if (depth == 1) {
      armed = key_equals(raw, wanted);
      if (armed) copy = Copy{};  // a later duplicate wins
    }
  }
  void scalar(Value::Kind, std::string_view raw, const std::string&) {
    if (inside()) {
      copy.take(raw);
    } else if (depth == 1 && armed) {
      found = raw;
      armed = false;
      copy.take(raw);
      copy.finish();
    }
  }
  void punct(std::string_view raw) {
    if (inside()) copy.take(raw);
  }
};

}  // namespace

Value::Value() noexcept = default;

Result<std::string> minify(std::string_view text, int max_depth) {
  MinifySink sink;
  sink.out.reserve(text.size());
  auto ok = run_parser(text, max_depth, sink);
  if (!ok) return std::unexpected(ok.error());
  sink.finish();
  return std::move(sink.out);
}

Result<Value> parse(std::string_view text, int max_depth) {
  TreeSink sink;
  auto ok = run_parser(text, max_depth, sink);
  if (!ok) return std::unexpected(ok.error());
  return std::move(sink.root);
}

std::optional<std::string_view> member(std::string_view object_text, std::string_view key) {
  MemberSink<NoCopy> sink{.text = object_text, .wanted = key};
  // Callers pass text that already passed minify(); the depth bound only guards against misuse.
  if (!run_parser(object_text, 1 << 20, sink) || !sink.top_is_object) return std::nullopt;
  return sink.found;
}

Result<std::optional<std::string>> minified_member(std::string_view object_text, std::string_view key,
                                                   int max_depth) {
  MemberSink<MinifySink> sink{.text = object_text, .wanted = key};
  // The object itself is one level more than its members' values.
  if (auto ok = run_parser(object_text, max_depth + 1, sink); !ok) return std::unexpected(ok.error());
  if (!sink.top_is_object || !sink.found) return std::optional<std::string>();
  return std::optional<std::string>(std::move(sink.copy.out));
}

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    // A run of printable ASCII needing no escape goes in with one append (ids and names are all such).
    std::size_t plain = i;
    while (plain < s.size() && s[plain] >= 0x20 && s[plain] != '"' && s[plain] != '\\') ++plain;
    if (plain > i) {
      out.append(s.substr(i, plain - i));
      i = plain;
      continue;
    }
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x80) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD for a byte that starts no valid sequence
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (s[i]) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += s[i];
        }
    }
    ++i;
  }
  out += '"';
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_quoted(out, s);
  return out;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace hookd::json_text
