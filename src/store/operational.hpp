#pragma once
// Operational webhooks (Svix's names): hookd tells the operator about
// endpoint.created/updated/deleted/disabled and message.attempt.failing/exhausted/recovered. They are
// ordinary messages of an internal application (uid `hookd-operational`) whose endpoint is the operator's
// URL, so they are stored, signed, retried and logged like any delivery. Both the API and the dispatcher emit
// them, which is why this lives in the store layer.
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "store/store.hpp"

namespace hookd::store {

inline constexpr std::string_view kOperationalAppUid = "hookd-operational";
inline constexpr std::string_view kOperationalEventTypes[] = {
    "endpoint.created",          "endpoint.updated",        "endpoint.deleted",         "endpoint.disabled",
    "message.attempt.exhausted", "message.attempt.failing", "message.attempt.recovered"};

// Sends `{"type": type, "data": data_json}` to the operational application's endpoints. A no-op when the
// operator configured none, and for events about the operational application itself (no loops).
void emit_operational(Store& store, IdGenerator& ids, TimePoint now, std::string_view about_app_id,
                      std::string_view type, const std::string& data_json);

}  // namespace hookd::store
