// The policies a server answers for: every policy file under a directory, compiled, and
// recompiled off to the side on reload. A PolicySet is immutable once built; the server swaps
// whole sets, so a request keeps the graph it started with.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph.hpp"

namespace mmi::serve {

struct PolicyEntry {
  std::string id, file;
  std::shared_ptr<const Graph> graph;  // the serving version (null only if it never compiled)
  // Diagnostics (text) of the last reload that failed for this policy; the previous graph
  // stays in service meanwhile. Empty when the serving version is the file's current text.
  std::string reload_errors;
};

struct PolicySet {
  std::uint64_t generation = 0;
  std::map<std::string, PolicyEntry> policies;  // by id
  std::vector<std::string> errors;              // diagnostics of the load that built this set
  const PolicyEntry* find(const std::string& id) const {
    auto it = policies.find(id);
    return it == policies.end() ? nullptr : &it->second;
  }
};

struct LoadResult {
  std::shared_ptr<const PolicySet> set;  // null when the directory cannot be served at all
  std::vector<std::string> errors;       // one text block per failing policy or conflict
  bool conflict = false;                 // two files with one id (or an unreadable directory)
};

// Finds the policy files under `dir` (recursively; `*.test.yaml`, modules without `decision:`
// and YAML files without `policy:` are skipped) and compiles them. With `previous`, a policy
// that fails keeps its previous graph and carries its diagnostics in reload_errors; without it
// (start-up) any failure leaves `set` null.
LoadResult load_policy_set(const std::string& dir, const PolicySet* previous);

}  // namespace mmi::serve
