#include "serve/policy_set.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/mmi.hpp"

namespace mmi::serve {

namespace {

bool has_top_level_key(const std::string& text, std::string_view key) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (line.substr(0, key.size()) == key && line.size() > key.size() && line[key.size()] == ':')
      return true;
    pos = end + 1;
  }
  return false;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Policy files (not modules, tests or case files), sorted for a stable order.
std::vector<std::string> find_policy_files(const std::string& dir, std::string& error) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) {
    error = "cannot read policy directory `" + dir + "`: " + ec.message();
    return files;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      error = "cannot read policy directory `" + dir + "`: " + ec.message();
      return {};
    }
    if (!it->is_regular_file(ec)) continue;
    std::string path = it->path().string();
    if (!(ends_with(path, ".yaml") || ends_with(path, ".yml")) || ends_with(path, ".test.yaml") ||
        ends_with(path, ".test.yml"))
      continue;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    if (has_top_level_key(s, "policy") && has_top_level_key(s, "decision")) files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

LoadResult load_policy_set(const std::string& dir, const PolicySet* previous) {
  LoadResult result;
  std::string error;
  auto files = find_policy_files(dir, error);
  if (!error.empty()) {
    result.errors.push_back(error);
    result.conflict = true;
    return result;
  }
  auto set = std::make_shared<PolicySet>();
  set->generation = previous ? previous->generation + 1 : 1;
  bool failed = false;
  for (const auto& file : files) {
    CompileOptions options;
    options.warnings = false;
    CompiledPolicy compiled = compile_policy(file, options);
    if (!compiled) {
      compiled.diagnostics.sort();
      std::string text = render_text(compiled.diagnostics, false);
      result.errors.push_back(text);
      // Which policy it was: the previous set's entry for this file, if any.
      const PolicyEntry* old = nullptr;
      if (previous)
        for (const auto& [id, entry] : previous->policies)
          if (entry.file == file) old = &entry;
      if (!old) {
        failed = true;
        continue;
      }
      PolicyEntry kept = *old;
      kept.reload_errors = text;
      auto [it, inserted] = set->policies.emplace(kept.id, kept);
      if (!inserted) failed = true;
      continue;
    }
    const std::string& id = compiled.graph->policy.policy_id;
    auto [it, inserted] = set->policies.emplace(id, PolicyEntry{id, file, compiled.graph, {}});
    if (!inserted) {
      result.errors.push_back("policy `" + id + "` is defined twice: in `" + it->second.file +
                              "` and in `" + file + "`");
      result.conflict = true;
    }
  }
  if (result.conflict || (failed && !previous)) return result;
  set->errors = result.errors;
  result.set = std::move(set);
  return result;
}

}  // namespace mmi::serve
