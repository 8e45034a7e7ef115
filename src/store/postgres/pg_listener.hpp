#pragma once
// Wakes this node when another node (process) adds due work: a dedicated connection LISTENs on
// `hookd_work` in a background thread. A node that committed due work sends `NOTIFY hookd_work, <its store's
// token>` afterwards (pg_notifier.hpp); notices carrying our own token are ignored (the writing call
// already woke this node's dispatcher synchronously).
#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace hookd::store::postgres {

inline constexpr std::string_view kWorkChannel = "hookd_work";

class WorkNotificationListener {
 public:
  // `on_notice` runs on the listener thread, once per foreign notice and once after every reconnect (a
  // notice may have been missed while disconnected).
  WorkNotificationListener(std::string conninfo, std::string own_token, std::function<void()> on_notice);
  // Stops the thread within about one poll interval (200 ms).
  ~WorkNotificationListener();
  WorkNotificationListener(const WorkNotificationListener&) = delete;
  WorkNotificationListener& operator=(const WorkNotificationListener&) = delete;

  // True once the first LISTEN is in place (tests wait for it before notifying).
  bool listening() const { return listening_.load(); }

 private:
  void run();

  const std::string conninfo_;
  const std::string own_token_;
  const std::function<void()> on_notice_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace hookd::store::postgres
