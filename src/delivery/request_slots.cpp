#include "delivery/request_slots.hpp"

#include <algorithm>

namespace hookd::delivery {

bool RequestSlots::try_take(const std::string& endpoint_id) {
  std::lock_guard lock(mutex_);
  if (used_ >= total_) {
    waiting_for_any_ = true;
    return false;
  }
  int& mine = by_endpoint_[endpoint_id];
  if (mine >= per_endpoint_) {
    waiting_.insert(endpoint_id);
    return false;
  }
  ++mine;
  ++used_;
  return true;
}

std::size_t RequestSlots::hold(std::size_t wanted) {
  std::lock_guard lock(mutex_);
  const std::size_t n = std::min(wanted, total_ - std::min(used_, total_));
  used_ += n;
  return n;
}

void RequestSlots::assign(const std::string& endpoint_id) {
  std::lock_guard lock(mutex_);
  ++by_endpoint_[endpoint_id];
}

void RequestSlots::release_held(std::size_t count) {
  std::lock_guard lock(mutex_);
  used_ -= std::min(count, used_);
}

bool RequestSlots::give_back(const std::string& endpoint_id) {
  std::lock_guard lock(mutex_);
  used_ -= std::min<std::size_t>(1, used_);
  auto it = by_endpoint_.find(endpoint_id);
  if (it != by_endpoint_.end() && --it->second <= 0) by_endpoint_.erase(it);
  const bool waited = waiting_.erase(endpoint_id) > 0 || waiting_for_any_;
  waiting_for_any_ = false;
  return waited;
}

std::vector<std::string> RequestSlots::full_endpoints() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> full;
  for (const auto& [id, n] : by_endpoint_) {
    if (n >= per_endpoint_) {
      full.push_back(id);
      waiting_.insert(id);
    }
  }
  return full;
}

std::size_t RequestSlots::in_use() const {
  std::lock_guard lock(mutex_);
  return used_;
}

}  // namespace hookd::delivery
