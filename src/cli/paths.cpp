#include <filesystem>

#include "cli/commands.hpp"

namespace hookd::cli {
namespace {
// The first of <binary dir>/../<rel>, <binary dir>/<rel>, ./<rel> that exists.
std::string find_near_binary(const std::string& rel) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / rel);
    candidates.push_back(exe.parent_path() / rel);
  }
  candidates.push_back(fs::current_path() / rel);
  for (const auto& c : candidates)
    if (fs::exists(c, ec)) return c.string();
  return candidates.back().string();
}
}  // namespace

std::string default_catalogs_dir() {
  return find_near_binary("catalogs");
}
std::string default_portal_dir() {
  return find_near_binary("web/dist");
}

}  // namespace hookd::cli
