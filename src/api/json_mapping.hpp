#pragma once
// Request-body field readers (each failure names its field, for 422s) and model -> JSON output.
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace hookd::api {

namespace json = boost::json;

inline constexpr int kMaxJsonDepth = 64;

// `storage`: where the tree's memory comes from (default: the heap); it must outlive the object returned.
Result<json::object> parse_object(std::string_view body, json::storage_ptr storage = {});

// A field that is absent gives nullopt. `null` gives nullopt too, except where noted (Field<T>::null_given).
template <class T>
struct Field {
  std::optional<T> value;
  bool present = false;  // key present (null included): PATCH uses it to clear
};

Result<Field<std::string>> read_string(const json::object& o, std::string_view key,
                                       std::size_t max_len = 4096);
Result<Field<bool>> read_bool(const json::object& o, std::string_view key);
Result<Field<std::int64_t>> read_int(const json::object& o, std::string_view key);
Result<Field<std::vector<std::string>>> read_string_list(const json::object& o, std::string_view key,
                                                         std::size_t max_items = 256);
Result<Field<std::map<std::string, std::string>>> read_string_map(const json::object& o,
                                                                  std::string_view key);
// A JSON object member serialized back to text (metadata).
Result<Field<std::string>> read_object_text(const json::object& o, std::string_view key);

// Names (event types, channels), uids.
Result<void> check_name(std::string_view field, std::string_view value);
Result<void> check_uid(std::string_view field, std::string_view value, std::string_view id_prefix);

json::object to_json(const Application& app);
json::object to_json(const EventType& type);
json::object to_json(const Endpoint& endpoint);
json::object to_json(const Attempt& attempt);
// Messages carry the payload as raw text (25.00 stays 25.00), spliced in after serialization.
std::string message_json(const Message& message, bool with_content = true);

// Svix list envelope: {data, iterator, prevIterator, done}.
std::string list_json(const std::vector<std::string>& item_texts, const std::vector<std::string>& ids,
                      bool done);

// Serializes `object` and appends `"key":raw_json` as its last member.
std::string with_raw_member(const json::object& object, std::string_view key, std::string_view raw_json);
// Appends `"key":raw_json` to a serialized JSON object's text.
std::string append_raw_member(std::string object_text, std::string_view key, std::string_view raw_json);

}  // namespace hookd::api
