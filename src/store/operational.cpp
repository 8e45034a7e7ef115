#include "store/operational.hpp"

#include <spdlog/spdlog.h>

#include "core/filter.hpp"

namespace hookd::store {

void emit_operational(Store& store, IdGenerator& ids, TimePoint now, std::string_view about_app_id,
                      std::string_view type, const std::string& data_json) {
  auto app = store.get_application(kOperationalAppUid);
  if (!app || app->id == about_app_id) return;
  NewMessage out;
  out.message.id = ids.next(id_prefix::message);
  out.message.app_id = app->id;
  out.message.event_type = std::string(type);
  out.message.payload = "{\"type\":\"" + std::string(type) + "\",\"data\":" + data_json + "}";
  out.message.created_at = now;
  auto endpoints = store.all_endpoints(app->id);
  if (!endpoints) return;
  for (const auto& e : *endpoints)
    if (endpoint_wants(e, out.message)) out.endpoint_ids.push_back(e.id);
  if (out.endpoint_ids.empty()) return;
  if (auto r = store.create_message(out); !r) {
    spdlog::error("operational webhook {} not stored: {}", type, r.error().detail);
  }
}

}  // namespace hookd::store
