// One simulated salon: its customers, bookings, payments and orders, and the events that move them on.
// Each step picks one action among those the current state allows (weighted so the mix looks like a real
// salon), applies it to the state and describes it as the catalog's payload for that event type.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string_view>

#include "cli/demo_model.hpp"
#include "core/time_format.hpp"

namespace hookd::cli {
namespace json = boost::json;

// Named rather than anonymous: SalonSimulator::State (external linkage) holds these types.
namespace salon {

struct Service {
  int id;
  std::string_view nombre;
  int precio_cents;
  int minutos;
};
constexpr std::array kServices{
    Service{15, "Corte Clásico", 2500, 30},
    Service{16, "Corte y Barba", 3500, 45},
    Service{17, "Afeitado Tradicional", 1500, 20},
    Service{18, "Tinte", 4550, 60},
    Service{19, "Peinado", 2000, 30},
    Service{20, "Manicura", 1800, 30},
    Service{21, "Tratamiento Capilar", 3000, 40},
    Service{22, "Arreglo de Barba", 1250, 15},
};

struct Professional {
  int id;
  std::string_view nombre;
};
constexpr std::array kProfessionals{Professional{5, "Carlos García"}, Professional{6, "Lucía Fernández"},
                                    Professional{7, "Marta Ruiz"}, Professional{8, "Javier Moreno"}};

struct Product {
  int id;
  std::string_view nombre;
  int precio_cents;
};
constexpr std::array kProducts{Product{12, "Shampoo Profesional", 1500}, Product{13, "Cera Mate", 1200},
                               Product{14, "Aceite para Barba", 1850}, Product{15, "Acondicionador", 1399},
                               Product{16, "Laca Fijación Fuerte", 975}};

// Display spelling and the ASCII spelling used in e-mail addresses.
struct Name {
  std::string_view display;
  std::string_view ascii;
};
constexpr std::array kFirstNames{Name{"Juan", "juan"},     Name{"María", "maria"},   Name{"José", "jose"},
                                 Name{"Lucía", "lucia"},   Name{"Pablo", "pablo"},   Name{"Sofía", "sofia"},
                                 Name{"Andrés", "andres"}, Name{"Carmen", "carmen"}, Name{"Diego", "diego"},
                                 Name{"Elena", "elena"},   Name{"Álvaro", "alvaro"}, Name{"Irene", "irene"}};
constexpr std::array kLastNames{Name{"Pérez", "perez"},     Name{"García", "garcia"},
                                Name{"López", "lopez"},     Name{"Martínez", "martinez"},
                                Name{"Sánchez", "sanchez"}, Name{"Gómez", "gomez"},
                                Name{"Díaz", "diaz"},       Name{"Romero", "romero"},
                                Name{"Navarro", "navarro"}, Name{"Muñoz", "munoz"}};
constexpr std::array kEmailDomains{"email.com", "correo.es", "example.org"};
constexpr std::array kSources{"widget", "widget", "app", "web", "instagram"};

struct Decline {
  std::string_view code;
  std::string_view message;
};
constexpr std::array kDeclines{Decline{"card_declined", "Tu tarjeta fue rechazada"},
                               Decline{"insufficient_funds", "Fondos insuficientes"},
                               Decline{"expired_card", "La tarjeta ha caducado"},
                               Decline{"incorrect_cvc", "El código de seguridad es incorrecto"}};

double euros(int cents) {
  return cents / 100.0;
}

std::string hhmm(int minutes) {
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

std::string iso_date(TimePoint t, int plus_days) {
  const auto day = std::chrono::floor<std::chrono::days>(t) + std::chrono::days(plus_days);
  const std::chrono::year_month_day ymd{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::string timestamp(TimePoint t) {
  return format_rfc3339(t, false);
}

struct Customer {
  int id = 0;
  std::size_t first = 0;          // index in kFirstNames
  std::vector<std::size_t> last;  // indices in kLastNames (one or two surnames)
  std::string email;
  std::string telefono;
  std::string source;
  std::string created_at;

  std::string nombre() const {
    std::string out(kFirstNames[first].display);
    for (auto l : last) out += fmt::format(" {}", kLastNames[l].display);
    return out;
  }
  json::object cliente() const {
    return {{"id", id}, {"nombre", nombre()}, {"email", email}, {"telefono", telefono}};
  }
};

enum class BookingStatus { confirmed, cancelled, completed, no_show };

struct Payment {
  int id = 0;
  int cents = 0;
};

struct Booking {
  int id = 0;
  std::string codigo;
  std::string fecha;
  int start_min = 0;  // minutes after midnight
  std::vector<std::size_t> services;
  std::size_t professional = 0;
  int customer_id = 0;
  std::string notas;  // empty: none
  std::string created_at;
  std::optional<Payment> payment;

  int total_cents() const {
    int sum = 0;
    for (auto s : services) sum += kServices[s].precio_cents;
    return sum;
  }
  int end_min() const {
    int end = start_min;
    for (auto s : services) end += kServices[s].minutos;
    return end;
  }
};

struct PendingRefund {
  int booking_id = 0;
  Payment payment;
  std::string reason;
};

enum class OrderStatus { pending, shipped };

struct Order {
  int id = 0;
  std::string numero;
  OrderStatus status = OrderStatus::pending;
};

enum class Action {
  customer_created,
  customer_updated,
  booking_created,
  booking_updated,
  payment_completed,
  payment_failed,
  booking_cancelled,
  payment_refunded,
  booking_no_show,
  booking_completed,
  order_created,
  order_shipped,
  order_delivered,
};

// Customers stop registering past this many, so a demo left running for days keeps a bounded state.
constexpr std::size_t kMaxCustomers = 2000;

template <class Map>
auto& pick(Map& map, SeededRandom& random) {
  return std::next(map.begin(), static_cast<std::ptrdiff_t>(random.below(map.size())))->second;
}

}  // namespace salon

using namespace salon;  // NOLINT(google-build-using-namespace): this file's own vocabulary

struct SalonSimulator::State {
  std::string tenant_id;
  SeededRandom random;
  std::map<int, Customer> customers;
  std::map<int, Booking> open_bookings;  // confirmed; a booking leaves when it ends (cancel/complete/no-show)
  std::vector<PendingRefund> refunds;    // cancelled paid bookings whose money is not returned yet
  std::map<int, Order> open_orders;      // pending or shipped
  int next_customer_id;
  int next_booking_id;
  int next_payment_id;
  int next_refund_id;
  int next_order_id;

  State(std::string tenant, std::uint64_t seed) : tenant_id(std::move(tenant)), random(seed) {
    // Ids start at a random offset so two salons of one demo do not look alike.
    next_customer_id = 100 + static_cast<int>(random.below(900));
    next_booking_id = 10000 + static_cast<int>(random.below(90000));
    next_payment_id = 500 + static_cast<int>(random.below(500));
    next_refund_id = 100 + static_cast<int>(random.below(100));
    next_order_id = 700 + static_cast<int>(random.below(300));
  }

  std::string alnum(std::size_t n, std::string_view alphabet) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += alphabet[random.below(alphabet.size())];
    return out;
  }
  std::string base62(std::size_t n) {
    return alnum(n, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  }
  std::string upper_alnum(std::size_t n) { return alnum(n, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"); }
  std::string phone() { return fmt::format("+346{:08}", random.below(100000000)); }
  std::string email_for(const Customer& c) {
    return fmt::format("{}.{}{}@{}", kFirstNames[c.first].ascii, kLastNames[c.last.front()].ascii,
                       random.below(1000), kEmailDomains[random.below(kEmailDomains.size())]);
  }

  Customer& customer_of(const Booking& b) { return customers.at(b.customer_id); }

  json::object booking_json(const Booking& b, std::string_view estado) {
    json::array servicios;
    for (auto s : b.services) {
      const auto& svc = kServices[s];
      servicios.push_back(json::object{{"id", svc.id},
                                       {"nombre", svc.nombre},
                                       {"precio", euros(svc.precio_cents)},
                                       {"duracion_minutos", svc.minutos}});
    }
    const auto& pro = kProfessionals[b.professional];
    json::object o{{"id", b.id},
                   {"codigo", b.codigo},
                   {"fecha", b.fecha},
                   {"hora_inicio", hhmm(b.start_min)},
                   {"hora_fin", hhmm(b.end_min())},
                   {"servicios", std::move(servicios)},
                   {"profesional", json::object{{"id", pro.id}, {"nombre", pro.nombre}}},
                   {"cliente", customer_of(b).cliente()},
                   {"total", euros(b.total_cents())},
                   {"estado", estado}};
    if (!b.notas.empty()) o["notas"] = b.notas;
    o["created_at"] = b.created_at;
    return o;
  }

  // Which actions the state allows, with their weights.
  std::vector<std::pair<Action, int>> choices() const {
    std::vector<std::pair<Action, int>> out;
    const bool has_customers = !customers.empty();
    int unpaid = 0;
    int paid = 0;
    for (const auto& [id, b] : open_bookings) (b.payment ? paid : unpaid)++;
    int pending_orders = 0;
    int shipped_orders = 0;
    for (const auto& [id, o] : open_orders)
      (o.status == OrderStatus::pending ? pending_orders : shipped_orders)++;
    auto add = [&out](Action a, bool allowed, int weight) {
      if (allowed && weight > 0) out.emplace_back(a, weight);
    };
    add(Action::customer_created, customers.size() < kMaxCustomers, customers.size() < 5 ? 12 : 3);
    add(Action::customer_updated, has_customers, 3);
    add(Action::booking_created, has_customers, 10);
    add(Action::booking_updated, !open_bookings.empty(), 3);
    add(Action::payment_completed, unpaid > 0, 8);
    add(Action::payment_failed, unpaid > 0, 2);
    add(Action::booking_cancelled, !open_bookings.empty(), 2);
    add(Action::payment_refunded, !refunds.empty(), 5);
    add(Action::booking_no_show, !open_bookings.empty(), 1);
    add(Action::booking_completed, paid > 0, 6);
    add(Action::order_created, has_customers, 3);
    add(Action::order_shipped, pending_orders > 0, 4);
    add(Action::order_delivered, shipped_orders > 0, 4);
    return out;
  }

  Action choose() {
    const auto options = choices();
    int total = 0;
    for (const auto& [a, w] : options) total += w;
    auto r = static_cast<int>(random.below(static_cast<std::uint64_t>(total)));
    for (const auto& [a, w] : options) {
      if (r < w) return a;
      r -= w;
    }
    return options.back().first;
  }

  Booking& pick_booking(bool want_paid) {
    std::vector<Booking*> candidates;
    for (auto& [id, b] : open_bookings)
      if (b.payment.has_value() == want_paid) candidates.push_back(&b);
    return *candidates[random.below(candidates.size())];
  }

  Order& pick_order(OrderStatus status) {
    std::vector<Order*> candidates;
    for (auto& [id, o] : open_orders)
      if (o.status == status) candidates.push_back(&o);
    return *candidates[random.below(candidates.size())];
  }

  json::object customer_created(TimePoint at) {
    Customer c;
    c.id = next_customer_id++;
    c.first = random.below(kFirstNames.size());
    c.last = {random.below(kLastNames.size())};
    c.email = email_for(c);
    c.telefono = phone();
    c.source = kSources[random.below(kSources.size())];
    c.created_at = timestamp(at);
    json::object customer{{"id", c.id},         {"nombre", c.nombre()},
                          {"email", c.email},   {"telefono", c.telefono},
                          {"source", c.source}, {"created_at", c.created_at}};
    customers.emplace(c.id, std::move(c));
    return {{"customer", std::move(customer)}};
  }

  json::object customer_updated() {
    auto& c = pick(customers, random);
    json::object changes;
    const auto what = random.below(4);
    if (what == 0 || what == 3) {  // a second surname added, or the second one corrected
      const std::string old = c.nombre();
      std::size_t second = random.below(kLastNames.size());
      if (c.last.size() == 2 && second == c.last[1]) second = (second + 1) % kLastNames.size();
      if (c.last.size() == 1)
        c.last.push_back(second);
      else
        c.last[1] = second;
      changes["nombre"] = json::object{{"old", old}, {"new", c.nombre()}};
    }
    if (what == 1 || what == 3) {
      const std::string old = c.email;
      while (c.email == old) c.email = email_for(c);
      changes["email"] = json::object{{"old", old}, {"new", c.email}};
    }
    if (what == 2) {
      const std::string old = c.telefono;
      while (c.telefono == old) c.telefono = phone();
      changes["telefono"] = json::object{{"old", old}, {"new", c.telefono}};
    }
    return {{"customer", c.cliente()}, {"changes", std::move(changes)}};
  }

  std::vector<std::size_t> some_services() {
    std::vector<std::size_t> out{random.below(kServices.size())};
    // A second (and rarely a third) different service: "corte y tinte".
    for (int extra = random.below(3) == 0 ? 1 + static_cast<int>(random.below(2)) : 0; extra > 0; --extra) {
      auto s = random.below(kServices.size());
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    return out;
  }

  // A start time on a quarter hour from 09:00 to 19:00; with at most three services the visit ends by 22:00.
  int some_start() { return 9 * 60 + 15 * static_cast<int>(random.below(41)); }

  json::object booking_created(TimePoint at) {
    Booking b;
    b.id = next_booking_id++;
    b.codigo = upper_alnum(8);
    b.fecha = iso_date(at, static_cast<int>(random.below(15)));
    b.start_min = some_start();
    b.services = some_services();
    b.professional = random.below(kProfessionals.size());
    b.customer_id = pick(customers, random).id;
    if (random.below(4) == 0) b.notas = random.below(2) ? "Primera visita" : "Prefiere a primera hora";
    b.created_at = timestamp(at);
    auto out = json::object{{"booking", booking_json(b, "confirmada")}};
    open_bookings.emplace(b.id, std::move(b));
    return out;
  }

  json::object booking_updated(TimePoint at) {
    auto& b = pick(open_bookings, random);
    json::object changes;
    if (random.below(3) == 0) {  // another professional
      const auto old = b.professional;
      b.professional = (old + 1 + random.below(kProfessionals.size() - 1)) % kProfessionals.size();
      auto pro = [](std::size_t i) {
        return json::object{{"id", kProfessionals[i].id}, {"nombre", kProfessionals[i].nombre}};
      };
      changes["profesional"] = json::object{{"old", pro(old)}, {"new", pro(b.professional)}};
    } else {  // rescheduled: another day, another time, or both; only the fields that differ are listed
      const std::string old_fecha = b.fecha;
      const int old_start = b.start_min;
      const int old_end = b.end_min();
      const auto how = random.below(3);
      if (how != 1) b.fecha = iso_date(at, static_cast<int>(random.below(15)));
      if (how != 0 || b.fecha == old_fecha)
        while (b.start_min == old_start) b.start_min = some_start();
      if (b.fecha != old_fecha) changes["fecha"] = json::object{{"old", old_fecha}, {"new", b.fecha}};
      if (b.start_min != old_start) {
        changes["hora_inicio"] = json::object{{"old", hhmm(old_start)}, {"new", hhmm(b.start_min)}};
        changes["hora_fin"] = json::object{{"old", hhmm(old_end)}, {"new", hhmm(b.end_min())}};
      }
    }
    return {{"booking", booking_json(b, "confirmada")}, {"changes", std::move(changes)}};
  }

  json::object payment_completed() {
    auto& b = pick_booking(false);
    b.payment = Payment{next_payment_id++, b.total_cents()};
    return {{"payment", json::object{{"id", b.payment->id},
                                     {"amount", euros(b.payment->cents)},
                                     {"currency", "EUR"},
                                     {"method", "card"},
                                     {"stripe_payment_intent_id", "pi_" + base62(24)},
                                     {"status", "succeeded"}}},
            {"booking", json::object{{"id", b.id}, {"codigo", b.codigo}}},
            {"cliente", customer_of(b).cliente()}};
  }

  json::object payment_failed() {
    auto& b = pick_booking(false);
    const auto& decline = kDeclines[random.below(kDeclines.size())];
    return {{"payment", json::object{{"id", next_payment_id++},
                                     {"amount", euros(b.total_cents())},
                                     {"currency", "EUR"},
                                     {"method", "card"},
                                     {"stripe_payment_intent_id", "pi_" + base62(24)},
                                     {"status", "failed"},
                                     {"error_code", decline.code},
                                     {"error_message", decline.message}}},
            {"booking", json::object{{"id", b.id}, {"codigo", b.codigo}}}};
  }

  json::object booking_cancelled(TimePoint at) {
    auto& b = pick(open_bookings, random);
    const bool by_customer = random.below(4) != 0;
    json::object cancellation{{"cancelled_by", by_customer ? "cliente" : "salon"}};
    const std::string_view reason =
        by_customer ? (random.below(2) ? "Cambio de planes" : "Enfermedad") : "Profesional no disponible";
    cancellation["reason"] = reason;
    cancellation["cancelled_at"] = timestamp(at);
    json::object refund{{"applicable", b.payment.has_value()}};
    if (b.payment) {
      refund["amount"] = euros(b.payment->cents);
      refund["status"] = "pending";
      refunds.push_back(
          {b.id, *b.payment, by_customer ? "Cancelación por cliente" : "Cancelación por el salón"});
    }
    json::object out{{"booking", booking_json(b, "cancelada")},
                     {"cancellation", std::move(cancellation)},
                     {"refund", std::move(refund)}};
    const int id = b.id;  // b dies with the erase
    open_bookings.erase(id);
    return out;
  }

  json::object payment_refunded() {
    const auto index = random.below(refunds.size());
    const PendingRefund r = refunds[index];
    refunds.erase(refunds.begin() + static_cast<std::ptrdiff_t>(index));
    return {{"refund", json::object{{"id", next_refund_id++},
                                    {"amount", euros(r.payment.cents)},
                                    {"currency", "EUR"},
                                    {"reason", r.reason},
                                    {"stripe_refund_id", "re_" + base62(24)}}},
            {"original_payment", json::object{{"id", r.payment.id}, {"amount", euros(r.payment.cents)}}},
            {"booking", json::object{{"id", r.booking_id}}}};
  }

  json::object booking_no_show(TimePoint at) {
    auto& b = pick(open_bookings, random);
    json::object out{
        {"booking",
         json::object{
             {"id", b.id}, {"codigo", b.codigo}, {"estado", "no_show"}, {"marked_at", timestamp(at)}}}};
    const int id = b.id;
    open_bookings.erase(id);
    return out;
  }

  json::object booking_completed(TimePoint at) {
    auto& b = pick_booking(true);
    auto booking = booking_json(b, "completada");
    booking["completed_at"] = timestamp(at);
    // One loyalty point per whole euro paid.
    json::object out{{"booking", std::move(booking)}, {"points_earned", b.payment->cents / 100}};
    const int id = b.id;
    open_bookings.erase(id);
    return out;
  }

  json::object order_created(TimePoint at) {
    Order o;
    o.id = next_order_id++;
    o.numero = fmt::format("PED-{}-{:04}", iso_date(at, 0).substr(0, 4), o.id);
    json::array items;
    std::vector<std::size_t> chosen;
    int subtotal = 0;
    for (auto n = 1 + random.below(3); n > 0; --n) {
      auto p = random.below(kProducts.size());
      if (std::find(chosen.begin(), chosen.end(), p) != chosen.end()) continue;
      chosen.push_back(p);
      const int qty = 1 + static_cast<int>(random.below(3));
      const int line = qty * kProducts[p].precio_cents;
      subtotal += line;
      items.push_back(json::object{{"producto_id", kProducts[p].id},
                                   {"nombre", kProducts[p].nombre},
                                   {"cantidad", qty},
                                   {"precio_unitario", euros(kProducts[p].precio_cents)},
                                   {"subtotal", euros(line)}});
    }
    const int envio = subtotal >= 5000 ? 0 : 500;  // free shipping from 50 euros
    json::object order{{"id", o.id},
                       {"numero", o.numero},
                       {"cliente", pick(customers, random).cliente()},
                       {"items", std::move(items)},
                       {"subtotal", euros(subtotal)},
                       {"envio", euros(envio)},
                       {"total", euros(subtotal + envio)},
                       {"estado", "pending"},
                       {"created_at", timestamp(at)}};
    open_orders.emplace(o.id, std::move(o));
    return {{"order", std::move(order)}};
  }

  json::object order_shipped(TimePoint at) {
    auto& o = pick_order(OrderStatus::pending);
    o.status = OrderStatus::shipped;
    const std::string tracking = "1Z" + upper_alnum(16);
    return {{"order", json::object{{"id", o.id},
                                   {"numero", o.numero},
                                   {"estado", "shipped"},
                                   {"tracking_number", tracking},
                                   {"tracking_url", "https://tracking.example.com/" + tracking},
                                   {"shipped_at", timestamp(at)}}}};
  }

  json::object order_delivered(TimePoint at) {
    auto& o = pick_order(OrderStatus::shipped);
    json::object out{
        {"order",
         json::object{
             {"id", o.id}, {"numero", o.numero}, {"estado", "delivered"}, {"delivered_at", timestamp(at)}}}};
    const int id = o.id;
    open_orders.erase(id);
    return out;
  }

  DemoEvent step(TimePoint at) {
    DemoEvent e{"evt_" + base62(22), {}, tenant_id, at, {}};
    switch (choose()) {
      case Action::customer_created:
        e.type = "customer.created", e.data = customer_created(at);
        break;
      case Action::customer_updated:
        e.type = "customer.updated", e.data = customer_updated();
        break;
      case Action::booking_created:
        e.type = "booking.created", e.data = booking_created(at);
        break;
      case Action::booking_updated:
        e.type = "booking.updated", e.data = booking_updated(at);
        break;
      case Action::payment_completed:
        e.type = "payment.completed", e.data = payment_completed();
        break;
      case Action::payment_failed:
        e.type = "payment.failed", e.data = payment_failed();
        break;
      case Action::booking_cancelled:
        e.type = "booking.cancelled", e.data = booking_cancelled(at);
        break;
      case Action::payment_refunded:
        e.type = "payment.refunded", e.data = payment_refunded();
        break;
      case Action::booking_no_show:
        e.type = "booking.no_show", e.data = booking_no_show(at);
        break;
      case Action::booking_completed:
        e.type = "booking.completed", e.data = booking_completed(at);
        break;
      case Action::order_created:
        e.type = "order.created", e.data = order_created(at);
        break;
      case Action::order_shipped:
        e.type = "order.shipped", e.data = order_shipped(at);
        break;
      case Action::order_delivered:
        e.type = "order.delivered", e.data = order_delivered(at);
        break;
    }
    return e;
  }
};

SalonSimulator::SalonSimulator(std::string tenant_id, std::uint64_t seed)
    : state_(std::make_unique<State>(std::move(tenant_id), seed)) {}
SalonSimulator::~SalonSimulator() = default;
SalonSimulator::SalonSimulator(SalonSimulator&&) noexcept = default;
SalonSimulator& SalonSimulator::operator=(SalonSimulator&&) noexcept = default;

DemoEvent SalonSimulator::next(TimePoint at) {
  return state_->step(at);
}

}  // namespace hookd::cli
