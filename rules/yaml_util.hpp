// Shared helpers for reading YAML with yaml-cpp: file reading with limits, positions as
// SourceLocations, ordered mapping entries with duplicate/unknown key checks, and a node budget
// that stops alias bombs. Used by the policy, case and test-suite loaders.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/calendar.hpp"
#include "rules/diagnostics.hpp"
#include "rules/expr_source.hpp"

namespace mmi {

constexpr std::size_t kMaxYamlFileBytes = 16u << 20;

std::string trim(const std::string& s);
// Reads a whole file; E001 if unreadable, E004 if larger than max_bytes.
std::optional<std::string> read_text_file(const std::string& path, DiagnosticList& diags,
                                          const SourceLocation& requested_at,
                                          std::size_t max_bytes = kMaxYamlFileBytes);
// Offset of the first byte that is not valid UTF-8 (or is NUL), or npos.
std::size_t find_invalid_utf8(std::string_view text);

// Case documents (YAML) are read within a node budget comparable in memory to a 4 MiB JSON line:
// yaml-cpp spends about 500 bytes a node.
constexpr std::size_t kMaxCaseYamlNodes = 100'000;

struct YamlWalkLimit {
  std::size_t nodes_left;
  std::size_t max_depth = 256;  // also stops a walk round an alias to itself: `a: &a [*a]`
  bool exceeded = false;
};

struct DuplicateKey {
  std::string key;
  std::string path;  // of the repeated key, e.g. "opinions[0].mmi"
  YAML::Mark first, second;
};

// The first key that appears twice in one mapping anywhere under `node`. Walks at most
// limit.nodes_left nodes, an alias counted each time it is reached, at most limit.max_depth
// deep; past either it stops with limit.exceeded set.
std::optional<DuplicateKey> find_duplicate_key(const YAML::Node& node, YamlWalkLimit& limit);

struct YamlProblem {
  std::string message;
  YAML::Mark mark;      // where (0-based, as yaml-cpp counts)
  bool budget = false;  // too many nodes, or nested too deeply (E004 rather than E002)
};

// Parses the text of one case document: not valid UTF-8, a syntax error, more than `max_nodes`
// nodes (counted before any tree is built) or content after the document (a second document
// without `---`) make it nullopt with `problem` set. An empty document is a null node.
std::optional<YAML::Node> parse_case_yaml(const std::string& text, YamlProblem& problem,
                                          std::size_t max_nodes = kMaxCaseYamlNodes);

struct YamlEntry {
  std::string key;
  YAML::Node value;
  SourceLocation at;  // of the key
};

class YamlContext {
 public:
  YamlContext(std::shared_ptr<const SourceFile> source, DiagnosticList& diags)
      : source_(std::move(source)), diags(diags) {}

  // Parses the whole file as one document (E002 on syntax errors, bad UTF-8, empty input).
  std::optional<YAML::Node> parse();
  // parse() for a case file: parse_case_yaml's rules (one document, a node budget), as E002/E004.
  std::optional<YAML::Node> parse_case();
  // Parses every document of a stream; a syntax error ends the stream with a diagnostic.
  std::vector<YAML::Node> parse_all();

  SourceLocation location(const YAML::Node& node) const;
  SourceLocation location_at(const YAML::Mark& mark, std::uint32_t length = 1) const;
  std::vector<YamlEntry> entries(const YAML::Node& map, const std::vector<std::string>& allowed,
                                 const char* what);
  static bool has_key(const YAML::Node& map, const std::string& key);
  std::string scalar(const YAML::Node& node, const char* what);
  bool boolean(const YAML::Node& node, const char* what);
  std::optional<DayNumber> date(const YAML::Node& node, const std::string& what);
  ExprSource expr(const YAML::Node& node);
  void wrong_kind(const YAML::Node& node, const std::string& message);
  // False (with E002) for a quoted scalar whose closing quote never comes.
  bool quote_closed(const YAML::Node& node);
  // Counts nodes walked; past the limit reports E004 once and returns false.
  bool budget(const YAML::Node& node);
  const std::shared_ptr<const SourceFile>& source() const { return source_; }
  bool over_budget() const { return over_budget_; }

 private:
  void report_load_failure();
  std::shared_ptr<const SourceFile> source_;
  std::size_t walked_ = 0;
  bool over_budget_ = false;

 public:
  DiagnosticList& diags;
};

}  // namespace mmi
