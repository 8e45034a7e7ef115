// Reading catalog files from disk: by built-in name from the catalogs directory, or by path.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog/catalog.hpp"

namespace hookd::catalog {

namespace fs = std::filesystem;

Result<Catalog> load_catalog(std::string_view name_or_path, std::string_view catalogs_dir) {
  const bool is_path = name_or_path.find('/') != std::string_view::npos || name_or_path.ends_with(".json");
  const fs::path file =
      is_path ? fs::path(name_or_path) : fs::path(catalogs_dir) / (std::string(name_or_path) + ".json");
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return not_found(is_path ? fmt::format("catalog file {} not found", file.string())
                             : fmt::format("no built-in catalog named \"{}\" (looked for {})", name_or_path,
                                           file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return internal_error(fmt::format("cannot read {}", file.string()));
  auto cat = parse_catalog(text.str());
  if (!cat) {
    auto error = cat.error();
    error.detail = fmt::format("{}: {}", file.string(), error.detail);
    return std::unexpected(std::move(error));
  }
  return cat;
}

std::vector<std::string> builtin_catalog_names(std::string_view catalogs_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(catalogs_dir), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json" && it->is_regular_file(ec))
      names.push_back(it->path().stem().string());
  }
  std::ranges::sort(names);
  return names;
}

}  // namespace hookd::catalog
