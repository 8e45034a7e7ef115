#pragma once
// What bench_loadgen and bench_receiver share: the Boost.Asio/Beast names they use, and the timestamp they
// agree on. The generator writes "bench_t=<ns>;" into each body at send time; the receiver reads it back.
// Both read CLOCK_MONOTONIC (std::chrono::steady_clock on Linux), which every process on the machine shares.
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
// co_await yields (error_code, result...) instead of throwing.
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::string_view kMarker = "bench_t=";

inline std::int64_t monotonic_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace bench
