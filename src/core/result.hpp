#pragma once
// Errors at module boundaries are values: every fallible call returns Result<T>.
#include <expected>
#include <string>
#include <utility>

namespace hookd {

// Stable error kinds; the API layer maps each to an HTTP status and a JSON `code`.
enum class ErrorKind {
  invalid_input,  // 400 / 422: the caller sent something wrong
  not_found,      // 404
  conflict,       // 409: uid or eventId already used
  unauthorized,   // 401
  forbidden,      // 403
  too_large,      // 413
  unavailable,    // 503: store full, shutting down; safe to retry
  internal,       // 500: a bug or an unexpected failure
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string code;    // machine-readable, e.g. "not_found", "event_type_exists"
  std::string detail;  // for humans
  std::string field;   // for invalid_input: the offending field ("url"), may be empty
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string code, std::string detail,
                                   std::string field = {}) {
  return std::unexpected(Error{kind, std::move(code), std::move(detail), std::move(field)});
}
inline std::unexpected<Error> not_found(std::string detail) {
  return fail(ErrorKind::not_found, "not_found", std::move(detail));
}
inline std::unexpected<Error> invalid(std::string field, std::string detail) {
  return fail(ErrorKind::invalid_input, "validation", std::move(detail), std::move(field));
}
inline std::unexpected<Error> internal_error(std::string detail) {
  return fail(ErrorKind::internal, "internal", std::move(detail));
}

}  // namespace hookd
