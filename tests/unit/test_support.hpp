// Helpers shared by the unit tests: temporary directories, small policies written to disk,
// compiling them through the embedding API and evaluating inline JSON cases.
#pragma once

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "engine/mmi.hpp"
#include "rules/checked_policy.hpp"
#include "rules/diagnostics.hpp"
#include "rules/policy_ast.hpp"

namespace mmi_test {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("mmi-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  // Writes `text` to `name` (relative to the directory) and returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    return p.string();
  }

 private:
  fs::path path_;
};

// The rendered text of every diagnostic with the temp directory stripped from paths, so that
// expectations can name files as `policy.yaml:3:7`.
inline std::string strip_dir(const std::string& text, const TempDir& dir) {
  const std::string prefix = dir.path().string() + "/";
  std::string out;
  out.reserve(text.size());
  std::size_t from = 0;
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, from)) {
    out.append(text, from, at - from);
    from = at + prefix.size();
  }
  out.append(text, from, std::string::npos);
  return out;
}

inline std::string render(const mmi::DiagnosticList& diags, const TempDir& dir) {
  return strip_dir(mmi::render_text(diags), dir);
}

// "CODE file:line:col message" lines of every diagnostic, directory stripped; one per line.
inline std::string summary(const mmi::DiagnosticList& diags, const TempDir& dir) {
  std::string out;
  for (const auto& d : diags.items()) {
    out += std::string(mmi::code_name(d.code)) + " " + d.at.to_string() + " " + d.message + "\n";
    for (const auto& n : d.notes) out += "  note " + n.at.to_string() + " " + n.message + "\n";
  }
  return strip_dir(out, dir);
}

// Loads, merges and checks a policy file; returns the diagnostics (warnings included).
inline mmi::DiagnosticList check_file(const std::string& path, bool warnings = true) {
  mmi::DiagnosticList diags;
  auto merged = mmi::load_and_merge(path, diags);
  mmi::CheckOptions options;
  options.warnings = warnings;
  if (merged) mmi::check_policy(*merged, options, diags);
  diags.sort();
  return diags;
}

inline bool has_code(const mmi::DiagnosticList& diags, mmi::Code code) {
  for (const auto& d : diags.items())
    if (d.code == code) return true;
  return false;
}

// Compiles the policy file at `path` (warnings off) and evaluates `case_json` with it: the first
// output as results show it (dates YYYY-MM-DD, durations P14D, `missing`), or the error as text —
// "CHECK ERROR: …" (diagnostics), "CASE ERROR: …" (the case's input), "ERROR E5xx: …" (evaluation).
inline std::string first_output(const std::string& path, const std::string& case_json,
                                const TempDir& dir, mmi::CompileOptions options = {}) {
  options.warnings = false;
  auto compiled = mmi::compile_policy(path, options);
  if (!compiled) return "CHECK ERROR: " + render(compiled.diagnostics, dir);
  mmi::Session session(compiled.graph);
  auto& c = session.load_json(case_json);
  if (c.error) return "CASE ERROR: " + c.error->message;
  const mmi::Outcome& o = session.evaluate();
  if (o.error)
    return "ERROR " + std::string(mmi::code_name(o.error->code)) + ": " + o.error->message;
  return mmi::value_to_string(o.outputs[0], *compiled.graph);
}

}  // namespace mmi_test
