// `hookd demo`'s model: every event it makes validates against the booking-platform catalog, its sequences
// replay consistently through an independent state machine (written here from the documents' semantics, not
// from the model's code), the same seed gives the same stream, and a long run covers all 13 event types.
#include "cli/demo_model.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "catalog/catalog.hpp"
#include "core/time_format.hpp"

namespace {

namespace json = boost::json;
using hookd::TimePoint;
using hookd::cli::DemoEvent;
using hookd::cli::DemoStream;
using hookd::cli::DemoStreamOptions;

const std::string kCatalogsDir = HOOKD_SOURCE_DIR "/catalogs";

TimePoint at(std::string_view rfc3339) {
  return *hookd::parse_rfc3339(rfc3339);
}

DemoStreamOptions options(std::uint64_t seed, double rate = 50) {
  return {{"salon-a", "salon-b"}, rate, seed, at("2024-01-20T10:00:00Z")};
}

// Every event of `seconds` simulated seconds.
std::vector<DemoEvent> run(DemoStreamOptions o, int seconds) {
  const TimePoint end = o.start + std::chrono::seconds(seconds);
  DemoStream stream(std::move(o));
  std::vector<DemoEvent> out;
  for (;;) {
    auto e = stream.next();
    if (e.at > end) return out;
    out.push_back(std::move(e));
  }
}

std::vector<json::object> envelopes(const std::vector<DemoEvent>& events) {
  std::vector<json::object> out;
  for (const auto& e : events) out.push_back(json::parse(hookd::cli::event_envelope(e)).as_object());
  return out;
}

long long cents(const json::value& amount) {
  return std::llround(amount.to_number<double>() * 100);
}
std::string str(const json::value& v) {
  return std::string(v.as_string());
}
long long num(const json::value& v) {
  return v.to_number<long long>();
}
int minutes(const json::value& hhmm) {
  const auto s = str(hhmm);
  return std::stoi(s.substr(0, 2)) * 60 + std::stoi(s.substr(3, 2));
}

// The salon's business rules, replayed from the events alone. Returns one line per violation.
class Replay {
 public:
  std::vector<std::string> violations;

  void apply(const json::object& env) {
    const std::string tenant = str(env.at("tenant_id"));
    const std::string type = str(env.at("type"));
    const auto& data = env.at("data").as_object();
    context_ = type + " " + str(env.at("id"));
    if (!event_ids_.insert(str(env.at("id"))).second) fail("event id repeated");
    if (const auto t = str(env.at("created")); t < last_time_)
      fail("time went backwards");
    else
      last_time_ = t;
    auto& s = salons_[tenant];
    if (type == "customer.created")
      customer_created(s, data);
    else if (type == "customer.updated")
      customer_updated(s, data);
    else if (type == "booking.created")
      booking_created(s, data);
    else if (type == "booking.updated")
      booking_updated(s, data);
    else if (type == "payment.completed")
      payment_completed(s, data);
    else if (type == "payment.failed")
      payment_failed(s, data);
    else if (type == "booking.cancelled")
      booking_cancelled(s, data);
    else if (type == "payment.refunded")
      payment_refunded(s, data);
    else if (type == "booking.no_show")
      booking_ended(s, data, "no_show");
    else if (type == "booking.completed")
      booking_completed(s, data);
    else if (type == "order.created")
      order_created(s, data);
    else if (type == "order.shipped")
      order_moved(s, data, "pending", "shipped");
    else if (type == "order.delivered")
      order_moved(s, data, "shipped", "delivered");
    else
      fail("unknown type");
  }

 private:
  struct Booking {
    json::object fields;  // fecha, hora_inicio, hora_fin, profesional, codigo, cliente id
    long long total_cents = 0;
    std::string state = "confirmada";
    std::optional<std::pair<long long, long long>> payment;  // id, cents
  };
  struct Salon {
    std::map<long long, json::object> customers;  // id -> {id, nombre, email, telefono}
    std::map<long long, Booking> bookings;
    std::map<long long, std::pair<long long, long long>> refunds_due;  // booking -> payment id, cents
    std::map<long long, std::string> orders;                           // id -> estado
    std::set<long long> payment_ids;
  };
  std::map<std::string, Salon> salons_;
  std::set<std::string> event_ids_;
  std::string last_time_;
  std::string context_;

  void fail(const std::string& what) { violations.push_back(context_ + ": " + what); }

  static json::object profile(const json::object& c) {
    return {{"id", c.at("id")},
            {"nombre", c.at("nombre")},
            {"email", c.at("email")},
            {"telefono", c.at("telefono")}};
  }

  void check_cliente(Salon& s, const json::value& cliente) {
    const auto id = num(cliente.at("id"));
    auto it = s.customers.find(id);
    if (it == s.customers.end()) return fail("unknown customer " + std::to_string(id));
    if (profile(cliente.as_object()) != it->second)
      fail("cliente differs from the customer's current profile");
  }

  Booking* open_booking(Salon& s, const json::value& ref) {
    const auto id = num(ref.at("id"));
    auto it = s.bookings.find(id);
    if (it == s.bookings.end()) {
      fail("booking " + std::to_string(id) + " does not exist");
      return nullptr;
    }
    if (it->second.state != "confirmada") {
      fail("booking " + std::to_string(id) + " already " + it->second.state);
      return nullptr;
    }
    if (const auto* codigo = ref.as_object().if_contains("codigo");
        codigo && *codigo != it->second.fields["codigo"])
      fail("booking code changed");
    return &it->second;
  }

  void customer_created(Salon& s, const json::object& data) {
    const auto& c = data.at("customer").as_object();
    if (!s.customers.emplace(num(c.at("id")), profile(c)).second) fail("customer id reused");
  }

  void customer_updated(Salon& s, const json::object& data) {
    const auto& c = data.at("customer").as_object();
    auto it = s.customers.find(num(c.at("id")));
    if (it == s.customers.end()) return fail("update of an unknown customer");
    for (const auto& [field, change] : data.at("changes").as_object()) {
      if (!it->second.contains(field)) {
        fail("change of unknown field " + std::string(field));
        continue;
      }
      if (change.at("old") != it->second.at(field))
        fail("changes." + std::string(field) + ".old is not the previous value");
      if (change.at("new") != c.at(field))
        fail("changes." + std::string(field) + ".new is not the current value");
      if (change.at("old") == change.at("new")) fail("a change that changes nothing");
      it->second[field] = change.at("new");
    }
    if (profile(c) != it->second) fail("a field changed without being listed in changes");
  }

  // Booking fields the replay tracks, and the coherence of the booking's own numbers.
  json::object tracked(Salon& s, const json::object& b) {
    long long sum = 0;
    int duration = 0;
    for (const auto& svc : b.at("servicios").as_array()) {
      sum += cents(svc.at("precio"));
      duration += static_cast<int>(num(svc.at("duracion_minutos")));
    }
    if (sum != cents(b.at("total"))) fail("total is not the sum of the services' prices");
    if (minutes(b.at("hora_inicio")) + duration != minutes(b.at("hora_fin")))
      fail("hora_fin is not hora_inicio plus the services' durations");
    check_cliente(s, b.at("cliente"));
    return {{"codigo", b.at("codigo")},           {"fecha", b.at("fecha")},
            {"hora_inicio", b.at("hora_inicio")}, {"hora_fin", b.at("hora_fin")},
            {"profesional", b.at("profesional")}, {"cliente_id", b.at("cliente").at("id")},
            {"total", cents(b.at("total"))}};
  }

  void booking_created(Salon& s, const json::object& data) {
    const auto& b = data.at("booking").as_object();
    if (b.at("estado") != "confirmada") fail("a new booking is not confirmada");
    Booking booking{tracked(s, b), cents(b.at("total"))};
    if (str(b.at("fecha")) < str(b.at("created_at")).substr(0, 10)) fail("booked for a past day");
    if (!s.bookings.emplace(num(b.at("id")), std::move(booking)).second) fail("booking id reused");
  }

  void booking_updated(Salon& s, const json::object& data) {
    const auto& b = data.at("booking").as_object();
    auto* booking = open_booking(s, b);
    if (!booking) return;
    auto now = tracked(s, b);
    for (const auto& [field, change] : data.at("changes").as_object()) {
      if (!booking->fields.contains(field)) {
        fail("change of untracked field " + std::string(field));
        continue;
      }
      if (change.at("old") != booking->fields.at(field))
        fail("changes." + std::string(field) + ".old is not the previous value");
      if (change.at("new") != now.at(field))
        fail("changes." + std::string(field) + ".new is not the current value");
      booking->fields[field] = change.at("new");
    }
    for (const auto& [field, value] : now)
      if (field != "cliente_id" && booking->fields.at(field) != value)
        fail(std::string(field) + " changed without being listed");
    booking->fields["cliente_id"] = now.at("cliente_id");
  }

  void payment_completed(Salon& s, const json::object& data) {
    const auto& p = data.at("payment").as_object();
    auto* booking = open_booking(s, data.at("booking"));
    if (!booking) return;
    if (booking->payment) return fail("booking paid twice");
    if (cents(p.at("amount")) != booking->total_cents) fail("amount differs from the booking total");
    if (p.at("currency") != "EUR") fail("currency is not EUR");
    if (!s.payment_ids.insert(num(p.at("id"))).second) fail("payment id reused");
    if (num(data.at("cliente").at("id")) != num(booking->fields.at("cliente_id")))
      fail("paid by another customer");
    check_cliente(s, data.at("cliente"));
    booking->payment = {num(p.at("id")), cents(p.at("amount"))};
  }

  void payment_failed(Salon& s, const json::object& data) {
    const auto& p = data.at("payment").as_object();
    auto* booking = open_booking(s, data.at("booking"));
    if (!booking) return;
    if (booking->payment) fail("payment attempt on a paid booking");
    if (cents(p.at("amount")) != booking->total_cents) fail("amount differs from the booking total");
    if (!s.payment_ids.insert(num(p.at("id"))).second) fail("payment id reused");
  }

  void booking_cancelled(Salon& s, const json::object& data) {
    const auto& b = data.at("booking").as_object();
    auto* booking = open_booking(s, b);
    if (!booking) return;
    if (b.at("estado") != "cancelada") fail("estado is not cancelada");
    const auto& refund = data.at("refund").as_object();
    if (refund.at("applicable").as_bool() != booking->payment.has_value())
      fail("refund.applicable is not whether the booking was paid");
    if (booking->payment) {
      if (cents(refund.at("amount")) != booking->payment->second)
        fail("refund amount is not the amount paid");
      s.refunds_due[num(b.at("id"))] = *booking->payment;
    }
    booking->state = "cancelada";
  }

  void payment_refunded(Salon& s, const json::object& data) {
    const auto booking_id = num(data.at("booking").at("id"));
    auto it = s.refunds_due.find(booking_id);
    if (it == s.refunds_due.end()) return fail("refund of a booking that is not a cancelled paid booking");
    const auto& original = data.at("original_payment");
    if (num(original.at("id")) != it->second.first) fail("original_payment is not the booking's payment");
    if (cents(original.at("amount")) != it->second.second) fail("original_payment amount differs");
    if (cents(data.at("refund").at("amount")) > it->second.second) fail("refund larger than the payment");
    s.refunds_due.erase(it);
  }

  void booking_ended(Salon& s, const json::object& data, const std::string& estado) {
    const auto& b = data.at("booking").as_object();
    auto* booking = open_booking(s, b);
    if (!booking) return;
    if (str(b.at("estado")) != estado) fail("estado is not " + estado);
    booking->state = estado;
  }

  void booking_completed(Salon& s, const json::object& data) {
    const auto& b = data.at("booking").as_object();
    auto* booking = open_booking(s, b);
    if (!booking) return;
    if (!booking->payment) fail("completed without being paid");
    if (num(data.at("points_earned")) != booking->total_cents / 100)
      fail("points_earned is not one per euro");
    booking_ended(s, data, "completada");
  }

  void order_created(Salon& s, const json::object& data) {
    const auto& o = data.at("order").as_object();
    long long sum = 0;
    for (const auto& item : o.at("items").as_array()) {
      const auto line = num(item.at("cantidad")) * cents(item.at("precio_unitario"));
      if (line != cents(item.at("subtotal"))) fail("item subtotal is not quantity times unit price");
      sum += line;
    }
    if (sum != cents(o.at("subtotal"))) fail("order subtotal is not the sum of its items");
    if (cents(o.at("subtotal")) + cents(o.at("envio")) != cents(o.at("total")))
      fail("total is not subtotal + envio");
    check_cliente(s, o.at("cliente"));
    if (!s.orders.emplace(num(o.at("id")), "pending").second) fail("order id reused");
  }

  void order_moved(Salon& s, const json::object& data, const std::string& from, const std::string& to) {
    const auto& o = data.at("order").as_object();
    auto it = s.orders.find(num(o.at("id")));
    if (it == s.orders.end()) return fail("unknown order");
    if (it->second != from) fail("order is " + it->second + ", not " + from);
    if (str(o.at("estado")) != to) fail("estado is not " + to);
    it->second = to;
  }
};

std::vector<std::string> replay(const std::vector<json::object>& events) {
  Replay r;
  for (const auto& e : events) r.apply(e);
  return r.violations;
}

std::string first_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < 10; ++i) out += lines[i] + "\n";
  return out;
}

TEST(DemoModel, SixtySecondsValidateAgainstTheCatalog) {
  auto cat = hookd::catalog::load_catalog("booking-platform", kCatalogsDir);
  ASSERT_TRUE(cat.has_value()) << cat.error().detail;
  std::map<std::string, hookd::catalog::Schema> schemas;
  for (const auto& et : cat->event_types) {
    auto s = hookd::catalog::compile_event_schema(et);
    ASSERT_TRUE(s && s->has_value()) << et.name;
    schemas.emplace(et.name, std::move(**s));
  }
  const auto events = run(options(42), 60);
  ASSERT_GT(events.size(), 2000u);  // about 50 a second
  std::vector<std::string> errors;
  for (const auto& env : envelopes(events)) {
    const std::string type = str(env.at("type"));
    auto it = schemas.find(type);
    if (it == schemas.end()) {
      errors.push_back("no schema for " + type);
      continue;
    }
    for (const auto& e : it->second.validate(env)) errors.push_back(type + " " + e.path + ": " + e.message);
  }
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first:\n" << first_lines(errors);

  // The check can fail: the same event with an estado outside the enum, or a price as text, is refused.
  auto env = envelopes(events);
  auto booking = std::find_if(env.begin(), env.end(),
                              [](const json::object& e) { return e.at("type") == "booking.created"; });
  ASSERT_NE(booking, env.end());
  auto& b = (*booking)["data"].as_object()["booking"].as_object();
  b["estado"] = "pendiente";
  b["servicios"].as_array()[0].as_object()["precio"] = "25.00";
  std::vector<std::string> paths;
  for (const auto& e : schemas.at("booking.created").validate(*booking)) paths.push_back(e.path);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/data/booking/estado"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/data/booking/servicios/0/precio"), paths.end());
}

TEST(DemoModel, SequencesReplayConsistently) {
  const auto events = envelopes(run(options(42), 60));
  const auto violations = replay(events);
  EXPECT_TRUE(violations.empty()) << violations.size() << " violations, first:\n" << first_lines(violations);
  // Both tenants get traffic, each with its own customers.
  std::set<std::string> tenants;
  for (const auto& e : events) tenants.insert(str(e.at("tenant_id")));
  EXPECT_EQ(tenants, (std::set<std::string>{"salon-a", "salon-b"}));
}

// The replay must be able to fail: a stream with one booking.created removed (that booking is paid later) or
// with a changes.old rewritten is reported.
TEST(DemoModel, ReplayCatchesBrokenSequences) {
  auto events = envelopes(run(options(42), 60));
  auto paid = std::find_if(events.begin(), events.end(),
                           [](const json::object& e) { return e.at("type") == "payment.completed"; });
  ASSERT_NE(paid, events.end());
  const auto booking_id = paid->at("data").at("booking").at("id");
  auto without = events;
  std::erase_if(without, [&](const json::object& e) {
    return e.at("type") == "booking.created" && e.at("data").at("booking").at("id") == booking_id;
  });
  ASSERT_EQ(without.size(), events.size() - 1);
  const auto missing = replay(without);
  ASSERT_FALSE(missing.empty());
  EXPECT_NE(first_lines(missing).find("does not exist"), std::string::npos) << first_lines(missing);

  auto rewritten = events;
  auto update = std::find_if(rewritten.begin(), rewritten.end(),
                             [](const json::object& e) { return e.at("type") == "customer.updated"; });
  ASSERT_NE(update, rewritten.end());
  for (auto& [field, change] : (*update)["data"].as_object()["changes"].as_object())
    change.as_object()["old"] = "tampered";
  const auto tampered = replay(rewritten);
  ASSERT_FALSE(tampered.empty());
  EXPECT_NE(tampered.front().find(".old is not the previous value"), std::string::npos) << tampered.front();
}

TEST(DemoModel, SameSeedSameStream) {
  auto texts = [](std::uint64_t seed) {
    std::vector<std::string> out;
    for (const auto& e : run(options(seed), 60)) out.push_back(hookd::cli::event_envelope(e));
    return out;
  };
  const auto a = texts(7);
  EXPECT_EQ(a, texts(7));
  const auto b = texts(8);
  EXPECT_NE(a, b);
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a.front(), b.front());
}

TEST(DemoModel, LongRunCoversAllThirteenEventTypes) {
  std::map<std::string, int> counts;
  for (const auto& e : run(options(3, 20), 600)) ++counts[e.type];
  const std::set<std::string> expected{
      "booking.created",   "booking.updated", "booking.cancelled", "booking.completed", "booking.no_show",
      "payment.completed", "payment.failed",  "payment.refunded",  "customer.created",  "customer.updated",
      "order.created",     "order.shipped",   "order.delivered"};
  std::set<std::string> seen;
  for (const auto& [type, n] : counts) seen.insert(type);
  EXPECT_EQ(seen, expected);
}

TEST(DemoModel, RequestBodyCarriesTheSameEvent) {
  DemoStream stream(options(11));
  for (int i = 0; i < 50; ++i) {
    const auto e = stream.next();
    const auto body = json::parse(hookd::cli::event_request_body(e)).as_object();
    const auto env = json::parse(hookd::cli::event_envelope(e)).as_object();
    EXPECT_EQ(body.size(), 4u);
    EXPECT_EQ(body.at("type"), env.at("type"));
    EXPECT_EQ(body.at("tenant_id"), env.at("tenant_id"));
    EXPECT_EQ(body.at("id"), env.at("id"));
    EXPECT_EQ(body.at("data"), env.at("data"));
    EXPECT_EQ(str(env.at("created")), hookd::format_rfc3339(e.at, false));
  }
}

TEST(DemoModel, AmountsAreWrittenWithTwoDecimals) {
  const json::value v = json::object{{"amount", 25.0}, {"points", 25}, {"price", 12.5}};
  EXPECT_EQ(hookd::cli::demo_json_text(v), R"({"amount":25.00,"points":25,"price":12.50})");
}

}  // namespace
