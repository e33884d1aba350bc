// One check of an open policy (the same front end as `mmi check`, reading unsaved buffers), and
// the index the editor features query: every name in every expression with its symbol, and every
// declaration.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rules/checked_policy.hpp"
#include "rules/diagnostics.hpp"
#include "rules/policy_ast.hpp"

namespace mmi::lsp {

// A place in a file: 0-based line, byte columns [begin, end) on that line.
struct Span {
  std::string path;  // canonical
  std::shared_ptr<const SourceFile> file;
  std::uint32_t line = 0;
  std::uint32_t begin = 0, end = 0;
};

// A name as written, and what it names. Symbols are keyed "kind:name" so that the same
// declaration seen from two policies' checks is one symbol: fact:injury.date,
// field:opinions.served, parameter:x, let:x, rule:x, builtin:median, as_of:as_of.
struct Occurrence {
  Span at;
  std::string symbol;
  std::uint32_t type_id = 0;  // of the expression there (lets, facts, fields)
  bool declaration = false;
};

struct Analysis {
  std::string path;  // canonical path of the checked document
  int version = 0;   // of the document when checked
  DiagnosticList diagnostics;
  std::optional<MergedPolicy> merged;
  std::optional<CheckedPolicy> checked;  // kept even with errors (CheckOptions::keep_on_errors)
  std::set<std::string> sources;         // canonical paths of every file merged
  std::vector<Occurrence> occurrences;
  std::map<std::string, Span> declarations;
  double seconds = 0;
};

std::string canonical_path(const std::string& path);

// Checks `path` as `mmi check` does, reading any file `reader` knows from it. Never throws.
std::shared_ptr<Analysis> analyse(const std::string& path, int version, const SourceReader& reader);

// The comment lines above a declaration and its trailing comment, without the `#`.
std::string declaration_comment(const SourceFile& file, std::uint32_t line_0based);

// A declaration's facts in the merged tree: "injury.date" or "opinions.served" (list items).
const FactDecl* find_fact_decl(const MergedPolicy& merged, const std::string& dotted);

}  // namespace mmi::lsp
