#pragma once
// Blocking on an API that answers through a callback: calls `start(done)` and waits until `done(T)` has been
// called, on any thread, then returns what it was given.
#include <future>
#include <memory>
#include <utility>

namespace hookd {

template <class T, class Start>
T await_callback(Start&& start) {
  // Shared with `done`: the answering thread may still be inside set_value when this one wakes and returns.
  auto answered = std::make_shared<std::promise<T>>();
  auto future = answered->get_future();
  std::forward<Start>(start)([answered](T value) { answered->set_value(std::move(value)); });
  return future.get();
}

}  // namespace hookd
