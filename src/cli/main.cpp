// `hookd`: the webhook delivery server and its command-line clients.
#include <CLI/CLI.hpp>
#include <map>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"hookd: a webhook delivery server (Svix-compatible API, Standard Webhooks signatures)"};
  app.require_subcommand(1);
  std::map<std::string, hookd::cli::Run> runs;
  runs["serve"] = hookd::cli::add_serve_command(app);
  runs["catalog"] = hookd::cli::add_catalog_command(app);
  runs["verify"] = hookd::cli::add_verify_command(app);
  runs["demo"] = hookd::cli::add_demo_command(app);
  runs["secrets"] = hookd::cli::add_secrets_command(app);
  CLI11_PARSE(app, argc, argv);
  for (auto* sub : app.get_subcommands()) return runs.at(sub->get_name())();
  return 1;
}
