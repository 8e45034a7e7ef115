// Messages (with their delivery rows) and the attempt log.
#include <fmt/format.h>

#include "core/await_callback.hpp"
#include "store/row_mapping.hpp"
#include "store/sqlite/sqlite_query.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace hookd::store::sqlite {
namespace {

const std::string kSelectMessageById =
    fmt::format("SELECT {} FROM messages WHERE id = ? AND app_id = ?", kMessageColumns);
const std::string kSelectMessageByEventId =
    fmt::format("SELECT {} FROM messages WHERE app_id = ? AND event_id = ?", kMessageColumns);
const std::string kInsertMessage =
    fmt::format("INSERT INTO messages ({}) VALUES (?, ?, ?, ?, ?, ?, ?)", kMessageColumns);

auto read_message_row = [](const Statement& row) { return read_message(row); };

// Two lookups rather than one OR, so each uses its own index (primary key; (app_id, event_id)).
Result<Message> find_message(Database& db, std::string_view app_id, std::string_view id_or_event_id) {
  auto by_id = query_one<Message>(db, kSelectMessageById, "message not found", read_message_row,
                                  id_or_event_id, app_id);
  if (by_id || by_id.error().kind != ErrorKind::not_found) return by_id;
  return query_one<Message>(db, kSelectMessageByEventId, "message not found", read_message_row, app_id,
                            id_or_event_id);
}

// INSERT … SELECT: a delivery is only written for an endpoint of this very application. A delivery the
// dispatcher takes (LeaseTaker::reserve) is written leased to it, unless its endpoint is FIFO: a FIFO
// endpoint's deliveries wait for the claim, which keeps their order. (Not one statement with RETURNING:
// SQLite collects RETURNING rows in a temporary table, which cost more than the claim it saves.)
// OR FAIL, not the default ABORT: for a statement that may write several rows, ABORT makes SQLite open a
// statement journal and copy every page the statement changes into it first (about 9 pages a message, a
// tenth of the writer's instructions). The SELECT yields at most one row, so both undo the same: nothing.
const std::string kInsertPendingDelivery =
    "INSERT OR FAIL INTO deliveries (msg_id, endpoint_id, app_id, status, attempt_count, next_attempt_at, "
    "manual, created_at) "
    "SELECT ?1, id, app_id, 0, 0, ?2, 0, ?2 FROM endpoints WHERE id = ?3 AND app_id = ?4";
const std::string kInsertLeasedDelivery =
    "INSERT OR FAIL INTO deliveries (msg_id, endpoint_id, app_id, status, attempt_count, next_attempt_at, "
    "lease_until, lease_owner, manual, created_at) "
    "SELECT ?1, id, app_id, 1, 0, ?2, ?5, ?6, 0, ?2 FROM endpoints "
    "WHERE id = ?3 AND app_id = ?4 AND fifo = 0";

}  // namespace

Result<CreatedMessage> SqliteStore::create_message(const NewMessage& input) {
  return await_callback<Result<CreatedMessage>>(
      [&](auto done) { create_message_async(input, std::move(done)); });
}

void SqliteStore::create_message_async(NewMessage message, CreateDone done) {
  // What the job and its answer share. The job may run more than once (a group SQLite rolled back by
  // itself), so it first gives back what an earlier run reserved.
  struct Creation {
    NewMessage input;
    std::shared_ptr<LeaseTaker> taker;
    TimePoint lease_until{};
    std::vector<ClaimedDelivery> born;  // written leased to `taker`: handed to it once committed
    void give_back() {
      for (const auto& b : born) taker->returned(b.delivery.endpoint_id);
      born.clear();
    }
  };
  auto creation = std::make_shared<Creation>();
  creation->input = std::move(message);
  creation->taker = lease_taker();
  if (creation->taker) creation->lease_until = creation->taker->lease_until();
  write_async(
      [creation](WriteTx& tx) -> Result<CreatedMessage> {
        auto& c = *creation;
        c.give_back();
        const Message& msg = c.input.message;
        if (msg.event_id) {
          auto existing = query_one<Message>(tx.db, kSelectMessageByEventId, "message not found",
                                             read_message_row, msg.app_id, *msg.event_id);
          if (existing) return CreatedMessage{std::move(*existing), /*existed=*/true, {}};
          if (existing.error().kind != ErrorKind::not_found) return std::unexpected(existing.error());
        }
        auto app = query_one<bool>(
            tx.db, "SELECT 1 FROM applications WHERE id = ?", "application not found",
            [](const Statement&) { return true; }, msg.app_id);
        if (!app) return std::unexpected(app.error());
        auto inserted = execute(tx.db, kInsertMessage, msg.id, msg.app_id, msg.event_id, msg.event_type,
                                msg.payload, encode_list(msg.channels), msg.created_at);
        if (!inserted) {
          return std::unexpected(rename_conflict(inserted.error(), "conflict",
                                                 fmt::format("message '{}' already exists", msg.id)));
        }
        CreatedMessage created{msg, false, {}};
        for (const auto& endpoint_id : c.input.endpoint_ids) {
          bool leased = false;
          const bool reserved = c.taker && c.taker->reserve(endpoint_id);
          const bool refused =
              c.taker && !reserved;  // no slot: the taker claims the delivery once it has one
          if (reserved) {
            auto written = execute(tx.db, kInsertLeasedDelivery, msg.id, msg.created_at, endpoint_id,
                                   msg.app_id, c.lease_until, c.taker->owner());
            leased = written && *written > 0;
            if (leased) {
              c.born.push_back(
                  ClaimedDelivery{Delivery{tx.db.last_insert_rowid(), msg.id, endpoint_id, msg.app_id,
                                           DeliveryStatus::sending, 0, msg.created_at, false},
                                  msg});
            } else {
              c.taker->returned(endpoint_id);
            }
            if (!written) return std::unexpected(written.error());
          }
          if (!leased) {
            auto written =
                execute(tx.db, kInsertPendingDelivery, msg.id, msg.created_at, endpoint_id, msg.app_id);
            if (!written) return std::unexpected(written.error());
            if (*written == 0) continue;  // not an endpoint of this application
            if (!refused) tx.added_due_work = true;
          }
          created.endpoint_ids.push_back(endpoint_id);
        }
        if (c.input.idempotency) {
          if (auto r = put_idempotency_record(tx.db, *c.input.idempotency); !r)
            return std::unexpected(r.error());
        }
        return created;
      },
      [this, creation, done = std::move(done)](Result<CreatedMessage> created) {
        auto& c = *creation;
        if (!created) {
          c.give_back();
        } else if (!c.born.empty()) {
          lease_granted(c.lease_until);
          c.taker->handed(std::move(c.born));
        }
        done(std::move(created));
      });
}

Result<Message> SqliteStore::get_message(std::string_view app_id, std::string_view id_or_event_id) {
  return read([&](Database& db) { return find_message(db, app_id, id_or_event_id); });
}

Result<Page<Message>> SqliteStore::list_messages(std::string_view app_id, const MessageFilter& filter,
                                                 const PageRequest& page) {
  return read([&](Database& db) {
    QueryBuilder query(
        fmt::format("SELECT id, app_id, event_id, event_type, {}, channels, created_at FROM messages",
                    filter.with_content ? "payload" : "''"));
    query.where("app_id = ?", std::string(app_id));
    if (filter.event_types && !filter.event_types->empty()) {
      query.where("event_type IN (SELECT value FROM json_each(?))", encode_list(*filter.event_types));
    }
    if (filter.channel) {
      // Channels are stored as a JSON array of names made of [a-zA-Z0-9._-], which JSON never escapes, so
      // finding the quoted name in the text is an exact (and case-sensitive) membership test.
      query.where("instr(channels, ?) > 0", fmt::format("\"{}\"", *filter.channel));
    }
    if (filter.before) query.where("created_at < ?", to_millis(*filter.before));
    if (filter.after) query.where("created_at > ?", to_millis(*filter.after));
    query.page("id", /*list_ascending=*/false, page);
    return query.run_page<Message>(db, read_message_row);
  });
}

Result<Page<Attempt>> SqliteStore::list_attempts(std::string_view app_id, const AttemptFilter& filter,
                                                 const PageRequest& page) {
  return read([&](Database& db) {
    QueryBuilder query(fmt::format("SELECT {} FROM attempts", kAttemptColumns));
    query.where("app_id = ?", std::string(app_id));
    if (filter.msg_id) query.where("msg_id = ?", *filter.msg_id);
    if (filter.endpoint_id) query.where("endpoint_id = ?", *filter.endpoint_id);
    if (filter.status) query.where("status = ?", static_cast<std::int64_t>(*filter.status));
    if (filter.status_code_class) {
      if (*filter.status_code_class == 0) {
        query.where("response_status_code = 0");  // network errors: no HTTP status
      } else {
        std::int64_t low = *filter.status_code_class;
        query.where("response_status_code >= ? AND response_status_code < ?", low, low + 100);
      }
    }
    if (filter.event_types && !filter.event_types->empty()) {
      query.where(
          "EXISTS (SELECT 1 FROM messages m WHERE m.id = attempts.msg_id "
          "AND m.event_type IN (SELECT value FROM json_each(?)))",
          encode_list(*filter.event_types));
    }
    if (filter.before) query.where("attempted_at < ?", to_millis(*filter.before));
    if (filter.after) query.where("attempted_at > ?", to_millis(*filter.after));
    query.page("id", /*list_ascending=*/false, page);
    return query.run_page<Attempt>(db, read_attempt);
  });
}

Result<Attempt> SqliteStore::get_attempt(std::string_view app_id, std::string_view attempt_id) {
  return read([&](Database& db) {
    return query_one<Attempt>(
        db, fmt::format("SELECT {} FROM attempts WHERE id = ? AND app_id = ?", kAttemptColumns),
        "attempt not found", read_attempt, attempt_id, app_id);
  });
}

}  // namespace hookd::store::sqlite
