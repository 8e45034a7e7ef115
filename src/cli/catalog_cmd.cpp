// `hookd catalog list | show NAME | export NAME`: the built-in event catalogs.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <iostream>

#include "catalog/catalog.hpp"
#include "cli/commands.hpp"

namespace hookd::cli {

Run add_catalog_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("catalog", "List, show or export the event catalogs");
  auto dir = std::make_shared<std::string>(default_catalogs_dir());
  auto action = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  cmd->add_option("--catalogs-dir", *dir, "Directory of catalog files");
  cmd->add_option("action", *action, "list | show NAME | export NAME")
      ->required()
      ->check(CLI::IsMember({"list", "show", "export"}));
  cmd->add_option("name", *name, "Catalog name or path");
  return [dir, action, name]() -> int {
    if (*action == "list") {
      for (const auto& n : catalog::builtin_catalog_names(*dir)) {
        auto c = catalog::load_catalog(n, *dir);
        if (c)
          fmt::print("{:<20} {:>3} event types  {}\n", n, c->event_types.size(), c->description);
        else
          fmt::print("{:<20} invalid: {}\n", n, c.error().detail);
      }
      return 0;
    }
    if (name->empty()) {
      fmt::print(stderr, "hookd catalog {}: a catalog name is required\n", *action);
      return 2;
    }
    auto c = catalog::load_catalog(*name, *dir);
    if (!c) {
      fmt::print(stderr, "hookd catalog: {}\n", c.error().detail);
      return 1;
    }
    if (*action == "show") {
      std::string group;
      for (const auto& t : c->event_types) {
        if (t.group_name != group) fmt::print("\n[{}]\n", group = t.group_name);
        fmt::print("  {:<45} {}\n", t.name, t.description);
      }
      return 0;
    }
    // export: event types in the API's import format.
    boost::json::array types;
    for (const auto& t : c->event_types) {
      types.push_back(boost::json::object{{"name", t.name},
                                          {"description", t.description},
                                          {"groupName", t.group_name},
                                          {"schemas", boost::json::parse(t.schemas_json)},
                                          {"examples", boost::json::parse(t.examples_json)}});
    }
    std::cout << boost::json::serialize(boost::json::object{{"name", c->name}, {"eventTypes", types}})
              << "\n";
    return 0;
  };
}

}  // namespace hookd::cli
