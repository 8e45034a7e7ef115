// libFuzzer target for json_text: minify/parse/member against Boost.JSON as the reference parser.
// Invariants: minify accepts exactly what Boost.JSON accepts (modulo the depth bound); minify is idempotent,
// never grows the text and never changes the value; parse() agrees with minify(); member() returns the raw
// text of the value Boost.JSON sees under that key (last duplicate wins); minified_member() is
// minify(member()).
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json_text.hpp"
#include "json_same.hpp"

namespace {

constexpr int kDepth = 64;

[[noreturn]] void broken(std::string_view what, std::string_view input) {
  std::fprintf(stderr, "invariant broken: %.*s\ninput (%zu bytes): %.*s\n", static_cast<int>(what.size()),
               what.data(), input.size(), static_cast<int>(input.size()), input.data());
  std::abort();
}

boost::json::value reference_parse(std::string_view text, boost::system::error_code& ec) {
  boost::json::parse_options options;
  options.max_depth = kDepth;
  return boost::json::parse(text, ec, {}, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace jt = hookd::json_text;

  const auto ours = jt::minify(text, kDepth);
  boost::system::error_code ec;
  const boost::json::value theirs = reference_parse(text, ec);

  const bool our_depth_error = !ours && ours.error().detail.find("nesting deeper") != std::string::npos;
  const bool their_depth_error = ec == boost::json::error::too_deep;
  // Known, intended difference: RFC 8259's grammar has no limit on exponent digits and json_text keeps the
  // lexeme without converting it, while Boost.JSON refuses exponents that overflow its accumulator (and stops
  // there, so nothing is known about the rest of the input).
  const bool their_number_limit = ec == boost::json::error::exponent_overflow;
  if (!our_depth_error && !their_depth_error && !their_number_limit && ours.has_value() != !ec) {
    broken(ours ? "minify accepted what Boost.JSON rejects: " + ec.message()
                : "minify rejected what Boost.JSON accepts: " + ours.error().detail,
           text);
  }
  if (jt::parse(text, kDepth).has_value() != ours.has_value()) broken("parse and minify disagree", text);
  if (!ours) return 0;

  if (ours->size() > text.size()) broken("minify grew the text", text);
  const auto again = jt::minify(*ours, kDepth);
  if (!again || *again != *ours) broken("minify is not idempotent", text);
  if (ec) return 0;  // Boost.JSON stopped at its depth bound: nothing to compare values with

  boost::system::error_code ec2;
  const boost::json::value minified_value = reference_parse(*ours, ec2);
  if (ec2 || !same_json(minified_value, theirs)) broken("minify changed the value", text);

  if (const auto* object = theirs.if_object()) {
    for (const auto& member : *object) {
      const auto raw = jt::member(text, member.key());
      if (!raw) broken("member() missed a key", text);
      boost::system::error_code ec3;
      if (!same_json(reference_parse(*raw, ec3), member.value()) || ec3) {
        broken("member() returned another value", text);
      }
      const auto one_pass = jt::minified_member(text, member.key(), kDepth);
      const auto two_passes = jt::minify(*raw, kDepth);
      if (!one_pass || !*one_pass || !two_passes || **one_pass != *two_passes) {
        broken("minified_member() is not minify(member())", text);
      }
    }
    if (jt::member(text, "\x01no such key") && !object->contains("\x01no such key")) {
      broken("member() found an absent key", text);
    }
    const auto absent = jt::minified_member(text, "\x01no such key", kDepth);
    if (!absent || (*absent && !object->contains("\x01no such key"))) {
      broken("minified_member() found an absent key", text);
    }
  }
  return 0;
}
