#pragma once
// An in-memory cache of the small, rarely written "configuration" rows that every ingest reads: the tenant,
// the event type, the tenant's endpoints and server settings; and each endpoint by id, which the dispatcher
// reads for every batch it starts.
//
// Why: on SQLite every commit of the writer invalidates the page cache of each read connection, so under
// load a point read costs a fresh read transaction and page re-reads (about 40,000 instructions, measured
// with callgrind), and ingest made four of them per message. The cache is exact for a store that is the
// only writer of its database (one hookd process on an SQLite file): every write of these rows calls
// invalidate() after its commit and before its caller gets the answer, so no read that starts after a
// write was acknowledged can see the old rows. Where other processes write (PostgreSQL), the generation is
// instead a version the database itself counts, which every write of these rows bumps in its transaction;
// a reader reads it first and advances the cache to it (advance_to), so an entry loaded before a write that
// another node committed is never served after the version shows it (docs/DESIGN.md).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"

namespace hookd::store {

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// One keyed table of the cache. Entries carry the generation they were loaded under; a bump of the shared
// generation makes them all stale at once.
template <class T>
class CachedTable {
 public:
  static constexpr std::size_t kMaxEntries = 10000;  // bounded: many tenants just means more misses

  template <class Load>
  Result<T> get(std::string_view key, const std::atomic<std::uint64_t>& generation, Load&& load) {
    {
      std::shared_lock lock(mutex_);
      if (loaded_under_ == generation.load(std::memory_order_acquire)) {
        if (auto it = entries_.find(key); it != entries_.end()) return it->second;
      }
    }
    // Read the generation before loading: a write that commits while we load bumps it, and the possibly
    // old value we loaded is then not kept.
    std::uint64_t before = generation.load(std::memory_order_acquire);
    Result<T> loaded = load();
    if (loaded) {
      std::unique_lock lock(mutex_);
      if (generation.load(std::memory_order_acquire) == before) {
        if (loaded_under_ != before || entries_.size() >= kMaxEntries) {
          entries_.clear();
          loaded_under_ = before;
        }
        entries_.insert_or_assign(std::string(key), *loaded);
      }
    }
    return loaded;
  }

 private:
  std::shared_mutex mutex_;
  std::uint64_t loaded_under_ = ~std::uint64_t{0};
  std::unordered_map<std::string, T, TransparentStringHash, std::equal_to<>> entries_;
};

class ConfigCache {
 public:
  // After any committed write of applications, event types, endpoints or settings.
  void invalidate() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  // The generation becomes `version` if that is newer: entries loaded under an older one are not served.
  // Concurrent readers may advance it in any order; it never goes back.
  void advance_to(std::uint64_t version) {
    std::uint64_t current = generation_.load(std::memory_order_acquire);
    while (current < version &&
           !generation_.compare_exchange_weak(current, version, std::memory_order_acq_rel)) {
    }
  }

  template <class Load>
  Result<Application> application(std::string_view id_or_uid, Load&& load) {
    return applications_.get(id_or_uid, generation_, std::forward<Load>(load));
  }
  template <class Load>
  Result<EventType> event_type(std::string_view name, Load&& load) {
    return event_types_.get(name, generation_, std::forward<Load>(load));
  }
  template <class Load>
  Result<std::vector<Endpoint>> endpoints(std::string_view app_id, Load&& load) {
    return endpoints_.get(app_id, generation_, std::forward<Load>(load));
  }
  template <class Load>
  Result<Endpoint> endpoint(std::string_view id, Load&& load) {
    return endpoints_by_id_.get(id, generation_, std::forward<Load>(load));
  }
  template <class Load>
  Result<std::optional<std::string>> setting(std::string_view key, Load&& load) {
    return settings_.get(key, generation_, std::forward<Load>(load));
  }

 private:
  std::atomic<std::uint64_t> generation_{0};
  CachedTable<Application> applications_;
  CachedTable<EventType> event_types_;
  CachedTable<std::vector<Endpoint>> endpoints_;
  CachedTable<Endpoint> endpoints_by_id_;  // the dispatcher's reads, once per batch
  CachedTable<std::optional<std::string>> settings_;
};

}  // namespace hookd::store
