#pragma once
// Sub-commands of `hookd`. Each registers its options on the CLI11 app and returns the function to run.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace hookd::cli {

using Run = std::function<int()>;

Run add_serve_command(CLI::App& app);
Run add_catalog_command(CLI::App& app);
Run add_verify_command(CLI::App& app);
Run add_demo_command(CLI::App& app);
Run add_secrets_command(CLI::App& app);

// Where the repository's data lives relative to the binary (build/hookd -> ./catalogs, ./web/dist).
std::string default_catalogs_dir();
std::string default_portal_dir();

}  // namespace hookd::cli
