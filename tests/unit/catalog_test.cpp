// The built-in catalogs (catalogs/*.json): exact event names per catalog, every example valid against its
// stored schema, and mutated examples rejected with the failing path named.
#include "catalog/catalog.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

namespace {

namespace json = boost::json;
using hookd::EventType;
using hookd::catalog::Catalog;

const std::string kCatalogsDir = HOOKD_SOURCE_DIR "/catalogs";

Catalog load(std::string_view name) {
  auto cat = hookd::catalog::load_catalog(name, kCatalogsDir);
  EXPECT_TRUE(cat.has_value()) << (cat ? "" : cat.error().detail);
  return cat ? std::move(*cat) : Catalog{};
}

std::vector<std::string> names(const Catalog& cat) {
  std::vector<std::string> out;
  for (const auto& et : cat.event_types) out.push_back(et.name);
  return out;
}

const EventType& find(const Catalog& cat, std::string_view name) {
  for (const auto& et : cat.event_types) {
    if (et.name == name) return et;
  }
  throw std::runtime_error("no event type " + std::string(name));
}

hookd::catalog::Schema schema_of(const EventType& et) {
  auto s = hookd::catalog::compile_event_schema(et);
  if (!s || !s->has_value()) throw std::runtime_error("no schema for " + et.name);
  return std::move(**s);
}

json::value example_of(const EventType& et) {
  return json::parse(et.examples_json).as_array().at(0);
}

// Paths of the errors the mutated example of `event` produces.
template <class Mutate>
std::vector<std::string> failing_paths(const Catalog& cat, std::string_view event, Mutate mutate) {
  const auto& et = find(cat, event);
  json::value payload = example_of(et);
  mutate(payload);
  std::vector<std::string> out;
  for (const auto& e : schema_of(et).validate(payload)) out.push_back(e.path);
  return out;
}

using Paths = std::vector<std::string>;

TEST(Catalog, BuiltinNames) {
  EXPECT_EQ(hookd::catalog::builtin_catalog_names(kCatalogsDir), (Paths{"booking-platform", "buq", "wink"}));
  EXPECT_TRUE(hookd::catalog::builtin_catalog_names("/nonexistent/dir").empty());
}

TEST(Catalog, BookingPlatformHasTheThirteenEventsOfTheDocument) {
  const auto cat = load("booking-platform");
  EXPECT_EQ(cat.name, "booking-platform");
  EXPECT_EQ(cat.body_format, "json");
  EXPECT_EQ(names(cat), (Paths{"booking.created", "booking.updated", "booking.cancelled", "booking.completed",
                               "booking.no_show", "payment.completed", "payment.failed", "payment.refunded",
                               "customer.created", "customer.updated", "order.created", "order.shipped",
                               "order.delivered"}));
  std::map<std::string, int> groups;
  for (const auto& et : cat.event_types) {
    ++groups[et.group_name];
    EXPECT_EQ(et.name.substr(0, et.name.find('.')), et.group_name);
    EXPECT_EQ(et.body_format, "json");
    EXPECT_TRUE(et.form_type.empty());
    EXPECT_FALSE(et.description.empty());
  }
  EXPECT_EQ(groups,
            (std::map<std::string, int>{{"booking", 5}, {"payment", 3}, {"customer", 2}, {"order", 3}}));
}

TEST(Catalog, BuqHasItsFourFormEvents) {
  const auto cat = load("buq");
  EXPECT_EQ(cat.body_format, "form");
  EXPECT_EQ(names(cat), (Paths{"permission", "adduser", "updateuser", "addpurchase"}));
  for (const auto& et : cat.event_types) {
    EXPECT_EQ(et.form_type, et.name);
    EXPECT_EQ(et.body_format, "form");
    // The form post carries the type field itself.
    EXPECT_EQ(example_of(et).at("type").as_string(), et.name);
  }
}

// The keys as the tables of document 003 list them (67), not the 64 its summary table claims.
const Paths kWinkKeys = {"account.create",
                         "account.under_review",
                         "account.updated",
                         "account.status.updated",
                         "account.address.updated",
                         "account.details.updated",
                         "account.information.update",
                         "account.managers.update",
                         "account.profile_picture.updated",
                         "account.agent.updated",
                         "account.url-name.update",
                         "account.unique-id.update",
                         "account.task.create",
                         "account.task.update",
                         "account.task.remove",
                         "account.task.complete",
                         "account.task.tax_id.complete",
                         "account.acquirer.created",
                         "account.acquirer.updated",
                         "account.acquirer.removed",
                         "payee.create",
                         "payee.create.failure",
                         "payee.update",
                         "payee.update.failure",
                         "booking.contract.initialize.request",
                         "booking.contract.initialize.complete",
                         "booking.contract.created",
                         "booking.contract.processing",
                         "booking.contract.failed",
                         "booking.contract.cancelled",
                         "booking.contract.refund.partial",
                         "booking.contract.refund.full",
                         "booking.contract.refund.request",
                         "booking.contract.refund.error",
                         "booking.contract.payout.create",
                         "booking.contract.payout.complete",
                         "internal.payment.succeeded",
                         "internal.payment.processing",
                         "internal.payment.failed",
                         "booking.create",
                         "booking.cancelled",
                         "channel-manager.update.rate",
                         "channel-manager.update.availability",
                         "channel-manager.update",
                         "ledger.entry.create",
                         "managing_entity.subscription.provisioned",
                         "managing_entity.subscription.changed",
                         "managing_entity.subscription.invoice.changed",
                         "managing_entity.status.updated",
                         "managing_entity.deleted",
                         "managing_entity.agent.updated",
                         "managing_entity.agent.email.notification",
                         "managing_entity.manager.email.notification",
                         "managing_entity.manager.added",
                         "managing_entity.manager.invited",
                         "managing_entity.manager.removed",
                         "managing_entity.manager.accepted",
                         "managing_entity.manager.rejected",
                         "managing_entity.manager.owner.set",
                         "managing_entity.information.updated",
                         "managing_entity.city.updated",
                         "managing_entity.account_representative.updated",
                         "managing_entity.profile_picture.updated",
                         "managing_entity.logo.updated",
                         "managing_entity.url_name.updated",
                         "managing_entity.unique_id.updated",
                         "managing_entity.name.updated"};

TEST(Catalog, WinkHasEveryKeyItsTablesList) {
  const auto cat = load("wink");
  ASSERT_EQ(kWinkKeys.size(), 67u);
  EXPECT_EQ(names(cat), kWinkKeys);
  std::map<std::string, int> groups;
  for (const auto& et : cat.event_types) {
    ++groups[et.group_name];
    // Groups are key prefixes, except managing_entity.profile, our name for the table of profile fields.
    const std::string prefix =
        et.group_name == "managing_entity.profile" ? "managing_entity." : et.group_name + ".";
    EXPECT_TRUE(et.name.starts_with(prefix) || et.name == "channel-manager.update")
        << et.name << " in " << et.group_name;
  }
  EXPECT_EQ(groups, (std::map<std::string, int>{{"account", 12},
                                                {"account.task", 5},
                                                {"account.acquirer", 3},
                                                {"payee", 4},
                                                {"booking.contract", 12},
                                                {"internal.payment", 3},
                                                {"booking", 2},
                                                {"channel-manager", 3},
                                                {"ledger", 1},
                                                {"managing_entity.subscription", 3},
                                                {"managing_entity", 5},
                                                {"managing_entity.manager", 6},
                                                {"managing_entity.profile", 8}}));
  // The summary table's per-category counts, except managing entities (tables: 22, summary: 19).
  const int account = groups["account"] + groups["account.task"] + groups["account.acquirer"];
  const int managing = groups["managing_entity"] + groups["managing_entity.subscription"] +
                       groups["managing_entity.manager"] + groups["managing_entity.profile"];
  EXPECT_EQ(account, 20);
  EXPECT_EQ(managing, 22);
}

TEST(Catalog, EveryExampleValidatesAgainstItsStoredSchema) {
  int checked = 0;
  for (const auto& name : hookd::catalog::builtin_catalog_names(kCatalogsDir)) {
    for (const auto& et : load(name).event_types) {
      // Stored schemas must stand alone: compile from schemas_json, not from the catalog file.
      const auto schema = schema_of(et);
      const auto examples = json::parse(et.examples_json).as_array();
      ASSERT_FALSE(examples.empty()) << et.name;
      for (const auto& ex : examples) {
        const auto errors = schema.validate(ex);
        EXPECT_TRUE(errors.empty()) << name << " " << et.name << ": " << errors[0].path << " "
                                    << errors[0].message;
        ++checked;
      }
      if (json::parse(et.examples_json).as_array()[0].is_object() && et.body_format == "json") {
        EXPECT_EQ(examples[0].at("type").as_string(), et.name);
      }
    }
  }
  EXPECT_EQ(checked, 13 + 4 + 67);
}

TEST(Catalog, BookingSchemasRejectMutatedExamplesNamingThePath) {
  const auto cat = load("booking-platform");
  auto booking = [](json::value& p) -> json::object& { return p.at("data").at("booking").as_object(); };

  EXPECT_EQ(failing_paths(cat, "booking.created", [&](json::value& p) { booking(p).erase("fecha"); }),
            (Paths{"/data/booking/fecha"}));
  EXPECT_EQ(failing_paths(cat, "booking.created", [&](json::value& p) { booking(p)["total"] = "25.00"; }),
            (Paths{"/data/booking/total"}));
  EXPECT_EQ(
      failing_paths(cat, "booking.created", [&](json::value& p) { booking(p)["fecha"] = "2024-02-30"; }),
      (Paths{"/data/booking/fecha"}));
  EXPECT_EQ(
      failing_paths(cat, "booking.created", [&](json::value& p) { booking(p)["hora_inicio"] = "10:30:00"; }),
      (Paths{"/data/booking/hora_inicio"}));
  EXPECT_EQ(
      failing_paths(cat, "booking.created",
                    [&](json::value& p) { booking(p)["cliente"].as_object()["email"] = "juan(at)email"; }),
      (Paths{"/data/booking/cliente/email"}));
  EXPECT_EQ(failing_paths(
                cat, "booking.created",
                [&](json::value& p) { booking(p)["servicios"].as_array()[0].as_object()["precio"] = -1; }),
            (Paths{"/data/booking/servicios/0/precio"}));
  EXPECT_EQ(failing_paths(cat, "booking.created",
                          [&](json::value& p) { p.as_object()["type"] = "booking.updated"; }),
            (Paths{"/type"}));
  EXPECT_EQ(
      failing_paths(cat, "booking.created", [&](json::value& p) { p.as_object()["created"] = "yesterday"; }),
      (Paths{"/created"}));
  EXPECT_EQ(
      failing_paths(cat, "booking.created", [&](json::value& p) { booking(p)["estado"] = "pendiente"; }),
      (Paths{"/data/booking/estado", "/data/booking/estado"}));  // not in the enum, and not the const
  // Several faults at once: each is reported.
  EXPECT_EQ(failing_paths(cat, "booking.created",
                          [&](json::value& p) {
                            p.as_object().erase("tenant_id");
                            booking(p).erase("codigo");
                            booking(p)["profesional"].as_object()["id"] = "5";
                          }),
            (Paths{"/tenant_id", "/data/booking/codigo", "/data/booking/profesional/id"}));
}

TEST(Catalog, BookingEventSpecificRules) {
  const auto cat = load("booking-platform");
  EXPECT_EQ(failing_paths(cat, "booking.updated",
                          [](json::value& p) { p.at("data").as_object()["changes"] = json::object(); }),
            (Paths{"/data/changes"}));
  EXPECT_EQ(
      failing_paths(cat, "booking.updated",
                    [](json::value& p) { p.at("data").at("changes").at("fecha").as_object().erase("old"); }),
      (Paths{"/data/changes/fecha/old"}));
  // A refund that applies needs its amount; one that does not, does not.
  EXPECT_EQ(failing_paths(cat, "booking.cancelled",
                          [](json::value& p) { p.at("data").at("refund").as_object().erase("amount"); }),
            (Paths{"/data/refund"}));
  EXPECT_TRUE(failing_paths(cat, "booking.cancelled", [](json::value& p) {
                p.at("data").as_object()["refund"] = json::object{{"applicable", false}};
              }).empty());
  EXPECT_EQ(
      failing_paths(cat, "payment.completed",
                    [](json::value& p) { p.at("data").at("payment").as_object()["status"] = "failed"; }),
      (Paths{"/data/payment/status"}));
  EXPECT_EQ(
      failing_paths(cat, "payment.completed",
                    [](json::value& p) { p.at("data").at("payment").as_object()["currency"] = "euro"; }),
      (Paths{"/data/payment/currency"}));
  EXPECT_EQ(failing_paths(cat, "booking.completed",
                          [](json::value& p) { p.at("data").as_object()["points_earned"] = 2.5; }),
            (Paths{"/data/points_earned"}));
  EXPECT_EQ(failing_paths(
                cat, "order.shipped",
                [](json::value& p) { p.at("data").at("order").as_object()["tracking_url"] = "not a url"; }),
            (Paths{"/data/order/tracking_url"}));
  EXPECT_EQ(failing_paths(cat, "order.created",
                          [](json::value& p) { p.at("data").at("order").at("items").as_array().clear(); }),
            (Paths{"/data/order/items"}));
  EXPECT_EQ(failing_paths(cat, "customer.created",
                          [](json::value& p) { p.at("data").at("customer").as_object()["nickname"] = "J"; }),
            (Paths{"/data/customer/nickname"}));
}

TEST(Catalog, BuqSchemasCheckFormFields) {
  const auto cat = load("buq");
  EXPECT_EQ(failing_paths(cat, "addpurchase", [](json::value& p) { p.as_object()["itemsId"] = "5,,7"; }),
            (Paths{"/itemsId"}));
  EXPECT_EQ(failing_paths(cat, "addpurchase",
                          [](json::value& p) { p.as_object()["iteminventory"] = "yes,maybe,no"; }),
            (Paths{"/iteminventory"}));
  EXPECT_EQ(failing_paths(cat, "addpurchase", [](json::value& p) { p.as_object()["total"] = 345; }),
            (Paths{"/total"}));
  EXPECT_EQ(failing_paths(cat, "addpurchase",
                          [](json::value& p) { p.as_object()["Created_at"] = "2024-03-14T18:22:05Z"; }),
            (Paths{"/Created_at"}));
  EXPECT_EQ(failing_paths(cat, "adduser", [](json::value& p) { p.as_object().erase("auth_secret"); }),
            (Paths{"/auth_secret"}));
  EXPECT_EQ(failing_paths(cat, "adduser", [](json::value& p) { p.as_object()["type"] = "updateuser"; }),
            (Paths{"/type"}));
  EXPECT_EQ(failing_paths(cat, "permission", [](json::value& p) { p.as_object()["email"] = "a@b.c"; }),
            (Paths{"/email"}));
  // Optional fields PHP leaves out when empty.
  EXPECT_TRUE(
      failing_paths(cat, "adduser", [](json::value& p) { p.as_object().erase("internal_number"); }).empty());
}

TEST(Catalog, WinkEnvelopeIsChecked) {
  const auto cat = load("wink");
  EXPECT_EQ(failing_paths(cat, "account.url-name.update",
                          [](json::value& p) { p.as_object()["type"] = "account.url_name.update"; }),
            (Paths{"/type"}));
  EXPECT_EQ(failing_paths(cat, "ledger.entry.create",
                          [](json::value& p) { p.as_object()["data"] = json::array(); }),
            (Paths{"/data"}));
}

TEST(Catalog, StoredSchemasAreSelfContained) {
  const auto cat = load("booking-platform");
  const auto schemas = json::parse(find(cat, "order.delivered").schemas_json);
  const auto& defs = schemas.at("1").at("$defs").as_object();
  // Only the definitions the event uses are copied in, including those reached through other definitions.
  EXPECT_TRUE(defs.contains("timestamp"));
  EXPECT_FALSE(defs.contains("servicio"));
  const auto created = json::parse(find(cat, "order.created").schemas_json).at("1").at("$defs").as_object();
  EXPECT_TRUE(created.contains("order_item"));
  EXPECT_TRUE(created.contains("phone"));  // reached only through cliente
}

TEST(Catalog, ParseRejectsInconsistentCatalogs) {
  using hookd::catalog::parse_catalog;
  auto error_of = [](std::string_view text) {
    auto r = parse_catalog(text);
    return r ? std::string("(accepted)") : r.error().field + ": " + r.error().detail;
  };
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"name": "Bad Name", "eventTypes": []})").find("name:"), std::string::npos);
  EXPECT_NE(error_of(R"({"name": "x", "eventTypes": []})").find("eventTypes:"), std::string::npos);
  const std::string bad_example = error_of(R"({"name": "x", "eventTypes": [{"name": "a.b", "groupName": "a",
      "description": "", "schema": {"required": ["id"]}, "examples": [{"ID": 1}]}]})");
  EXPECT_NE(bad_example.find("eventTypes[0].examples[0]"), std::string::npos) << bad_example;
  EXPECT_NE(bad_example.find("/id is required"), std::string::npos) << bad_example;
  EXPECT_NE(
      error_of(R"({"name": "x", "eventTypes": [{"name": "a", "schema": {}}, {"name": "a", "schema": {}}]})")
          .find("listed twice"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"name": "x", "bodyFormat": "form", "eventTypes": [{"name": "a", "schema": {}}]})")
                .find("formType"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name": "x", "eventTypes": [{"name": "a", "schema": {"$ref": "#/$defs/nope"}}]})")
                .find("does not resolve"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name": "x", "bodyFormat": "xml", "eventTypes": [{"name": "a", "schema": {}}]})")
                .find("bodyFormat"),
            std::string::npos);
  const auto ok = parse_catalog(R"({"name": "x", "$defs": {"s": {"type": "string"}},
      "eventTypes": [{"name": "a", "schema": {"$ref": "#/$defs/s"}, "examples": ["hi"]}]})");
  ASSERT_TRUE(ok.has_value()) << ok.error().detail;
  EXPECT_EQ(ok->event_types[0].schemas_json, R"({"1":{"$ref":"#/$defs/s","$defs":{"s":{"type":"string"}}}})");
  EXPECT_EQ(ok->event_types[0].examples_json, R"(["hi"])");
}

TEST(Catalog, LoadByPathAndUnknownName) {
  EXPECT_TRUE(hookd::catalog::load_catalog(kCatalogsDir + "/buq.json", "/nonexistent").has_value());
  const auto missing = hookd::catalog::load_catalog("nope", kCatalogsDir);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, hookd::ErrorKind::not_found);
}

}  // namespace
