#pragma once
// Holds an SQLite writer thread inside one job until release(): jobs queued meanwhile wait behind it, and
// form one group once it ends. Every wait is bounded (10 s), so a broken writer fails a test, never hangs it.
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "store/sqlite/sqlite_store.hpp"

namespace hookd::test_support {

class HeldWriter {
 public:
  using Hold = std::function<void()>;
  // `run(hold)` runs `hold` as one job of the writer and returns whether that job ended well.
  explicit HeldWriter(std::function<bool(Hold)> run) {
    thread_ = std::thread([this, run = std::move(run)] {
      ok_ = run([this] {
        holding_ = true;
        for (int i = 0; i < 10'000 && !release_; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
    });
    for (int i = 0; i < 10'000 && !holding_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // The writer of an SQLite store.
  explicit HeldWriter(store::Store& store)
      : HeldWriter([&store](const Hold& hold) {
          return store::sqlite_run_in_writer(store,
                                             [&hold]() -> Result<void> {
                                               hold();
                                               return {};
                                             })
              .has_value();
        }) {}
  HeldWriter(const HeldWriter&) = delete;
  HeldWriter& operator=(const HeldWriter&) = delete;
  ~HeldWriter() { release(); }

  bool holding() const { return holding_; }
  // Lets the held job end and waits for it; true when it ended well.
  bool release() {
    release_ = true;
    if (thread_.joinable()) thread_.join();
    return ok_;
  }

 private:
  std::atomic<bool> holding_{false}, release_{false}, ok_{false};
  std::thread thread_;
};

}  // namespace hookd::test_support
