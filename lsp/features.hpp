// The editor features over one document: diagnostics, completion, hover, definition, references,
// symbols, code actions and code lenses. Each takes a snapshot and returns the LSP result as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "lsp/analysis.hpp"
#include "lsp/text.hpp"
#include "rules/calendar.hpp"

namespace mmi::lsp {

using json = nlohmann::json;

struct DocumentView {
  std::string uri, path, text;
  int version = 0;
  std::shared_ptr<const Analysis> analysis;  // the latest check of this document, may be stale
  // The latest check that produced a typed policy: completion still knows the names while the
  // text is broken mid-edit (YAML that does not load has no policy at all).
  std::shared_ptr<const Analysis> typed;
};

struct Workspace {
  // The URI an editor knows a file by (an open document's own URI, else a file:// URI).
  std::function<std::string(const std::string& path)> uri_for;
  std::vector<std::shared_ptr<const Analysis>> analyses;  // of every open policy
  DayNumber reference_date = 0;                           // for parameters' values in force
};

bool is_suite_text(const std::string& path, const std::string& text);
bool is_policy_text(const std::string& text);

// publishDiagnostics params for `doc` from its analysis.
json diagnostics_params(const DocumentView& doc, const Analysis& a, const Workspace& ws);
json completion(const DocumentView& doc, Position at);
json hover(const DocumentView& doc, Position at, const Workspace& ws);
json definition(const DocumentView& doc, Position at, const Workspace& ws);
json references(const DocumentView& doc, Position at, bool include_declaration,
                const Workspace& ws);
json document_symbols(const DocumentView& doc);
json code_actions(const DocumentView& doc, const json& params);
// lsp/lens.cpp
// The problems of a suite: its keys, its policy (checked from the buffers), cases that cannot run.
// `sources` receives the policy's files, so that a change to them re-checks the suite.
DiagnosticList check_suite(const std::string& path, const std::string& text,
                           const SourceReader& reader, std::set<std::string>& sources);
json code_lenses(const DocumentView& doc, const SourceReader& reader);
// workspace/executeCommand: mmi.runSuite [suite], mmi.runCase [policy, case file]. Returns the
// result, or null with `message` saying why; `message` is also the line to show the user.
json execute_command(const std::string& command, const json& arguments, const SourceReader& reader,
                     std::string& message);

}  // namespace mmi::lsp
