// `hookd verify`: checks a Standard Webhooks signature, as a receiver would.
#include <fmt/format.h>

#include <iostream>
#include <iterator>

#include "cli/commands.hpp"
#include "delivery/signing.hpp"

namespace hookd::cli {

Run add_verify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Verify a webhook signature (body read from stdin or --body)");
  struct Options {
    std::string secret, id, signature, body;
    std::int64_t timestamp = 0;
    bool body_given = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--secret", o->secret, "Endpoint secret (whsec_… or whsk_…)")->required();
  cmd->add_option("--id", o->id, "webhook-id header")->required();
  cmd->add_option("--timestamp", o->timestamp, "webhook-timestamp header")->required();
  cmd->add_option("--signature", o->signature, "webhook-signature header")->required();
  cmd->add_option("--body", o->body, "Request body (default: stdin)");
  return [o]() -> int {
    std::string body = o->body;
    if (body.empty()) body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (delivery::verify(o->secret, o->id, o->timestamp, body, o->signature)) {
      fmt::print("valid\n");
      return 0;
    }
    fmt::print("invalid\n");
    return 1;
  };
}

}  // namespace hookd::cli
