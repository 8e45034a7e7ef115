#pragma once
// The dispatcher's request slots: at most `total` deliveries out at once, and at most `per_endpoint` of one
// endpoint's. They also remember which endpoints have work waiting for a slot, so that the dispatcher claims
// when such a slot comes back instead of on every turn (a stuck endpoint at its limit made a claim a turn).
// Shared by the dispatcher thread and the store's writer thread, which holds slots for the deliveries it
// writes already leased to the dispatcher (store::LeaseTaker), so both go through one lock.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hookd::delivery {

class RequestSlots {
 public:
  RequestSlots(std::size_t total, int per_endpoint) : total_(total), per_endpoint_(per_endpoint) {}

  // One slot for a delivery of this endpoint, if both limits leave room. Refused, the endpoint is marked as
  // having work that waits for a slot: give_back() says so when one comes back.
  bool try_take(const std::string& endpoint_id);
  // Up to `wanted` slots held for a claim whose endpoints are not known yet; returns how many. Each one is
  // then assign()ed to a claimed delivery's endpoint or given back with release_held().
  std::size_t hold(std::size_t wanted);
  void assign(const std::string& endpoint_id);
  void release_held(std::size_t count);
  // Returns whether work waits for this slot: the endpoint was refused a slot or skipped by a claim since
  // one of its slots last came back, or any delivery was refused because every slot was in use.
  bool give_back(const std::string& endpoint_id);

  // Endpoints with no slot left (a claim skips them), marked as waiting as a refusal does.
  std::vector<std::string> full_endpoints();
  std::size_t in_use() const;

 private:
  mutable std::mutex mutex_;
  const std::size_t total_;
  const int per_endpoint_;
  std::size_t used_ = 0;  // held ones included
  std::unordered_map<std::string, int> by_endpoint_;
  std::unordered_set<std::string> waiting_;  // endpoints with work refused a slot (see give_back)
  bool waiting_for_any_ = false;             // a delivery was refused because every slot was in use
};

}  // namespace hookd::delivery
