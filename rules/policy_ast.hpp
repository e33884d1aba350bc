// The policy as written: what the YAML loader produces for one file and what merging produces
// for a policy and its includes. Expressions are still text (ExprSource) here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/calendar.hpp"
#include "rules/diagnostics.hpp"
#include "rules/expr_source.hpp"

namespace mmi {

enum class ScalarType : std::uint8_t { boolean, number, text, date, duration, period, enumeration };

const char* scalar_type_name(ScalarType t);

// A node of the `facts:` tree: a scalar, a record (mapping) or a list of records.
struct FactDecl {
  enum class Shape : std::uint8_t { scalar, record, list };
  std::string name;
  Shape shape = Shape::scalar;
  ScalarType type = ScalarType::text;
  std::vector<std::string> enum_values;
  bool required = false;
  std::vector<FactDecl> fields;  // record and list item fields
  SourceLocation at;
  std::string type_text;  // as written, for messages
};

struct ParameterDecl {
  std::string name;
  // A single value, or a dated series (`from` ascending) when `series` is non-empty.
  std::optional<ExprSource> value;
  struct Step {
    DayNumber from;
    ExprSource value;
  };
  std::vector<Step> series;
  std::string description;
  bool override_ = false;
  bool from_top = false;  // set by merge: defined by the top policy itself
  SourceLocation at;
};

struct LetDecl {
  std::string name;
  ExprSource expr;
  std::string description;
  bool override_ = false;
  SourceLocation at;
};

struct RuleDecl {
  std::string id;
  std::string description;
  std::string cites;
  std::optional<ExprSource> when;
  std::optional<ExprSource> mmi_date;
  std::optional<ExprSource> unless;
  bool override_ = false;
  SourceLocation at;
};

// A promise the policy makes for every case its facts allow (`mmi verify`, docs/verify.md).
struct PropertyDecl {
  std::string id;
  std::string description;
  std::string cites;
  std::optional<ExprSource> holds;
  // Set when the policy is known to break the promise: verify then expects a counterexample.
  std::optional<std::string> known_violation;
  bool override_ = false;
  SourceLocation at;
};

struct OutputDecl {
  std::string name;
  ExprSource expr;
  SourceLocation at;
};

enum class HitPolicy : std::uint8_t { earliest, first };

struct DecisionDecl {
  HitPolicy hit = HitPolicy::earliest;
  std::vector<std::pair<std::string, SourceLocation>> order;
  std::optional<ExprSource> coverage_cutoff;
  std::optional<ExprSource> covered_from;  // first covered day, for what-if's covered days
  SourceLocation at;
};

// One file as loaded.
struct PolicyFile {
  std::string path;  // as given / resolved
  std::shared_ptr<const SourceFile> source;
  std::string policy_id;
  std::string title, insurer, jurisdiction, line, version, definition;
  SourceLocation policy_id_at, version_at, definition_at;
  std::optional<DayNumber> effective, expires;
  std::vector<std::pair<std::string, SourceLocation>> includes;
  std::vector<FactDecl> facts;  // top-level fact declarations
  std::vector<ParameterDecl> parameters;
  std::vector<LetDecl> lets;
  std::vector<RuleDecl> rules;
  std::optional<DecisionDecl> decision;
  std::vector<OutputDecl> outputs;
  std::vector<PropertyDecl> properties;
  std::vector<ExprSource> assumptions;  // `assume:`: what every well-formed case satisfies
  SourceLocation root_at;               // the first key of the document
};

// A top policy with its includes merged (language.md §1).
struct MergedPolicy {
  std::string path;
  std::string policy_id, title, insurer, jurisdiction, line, version, definition;
  std::optional<DayNumber> effective, expires;
  std::vector<FactDecl> facts;
  std::vector<ParameterDecl> parameters;
  std::vector<LetDecl> lets;
  std::vector<RuleDecl> rules;
  std::optional<DecisionDecl> decision;
  std::vector<OutputDecl> outputs;
  std::vector<PropertyDecl> properties;                    // merged by id like rules
  std::vector<ExprSource> assumptions;                     // every file's, in include order
  std::vector<std::shared_ptr<const SourceFile>> sources;  // every file, in load order
  std::string digest;                                      // "sha256:…" of the sources
  SourceLocation at;                                       // the top file
  bool is_module = false;  // no `decision:`: checkable, not evaluable
  // An include was not found or did not load: names it would have declared are not reported
  // as unknown (E200), which would only repeat the one real error.
  bool include_failed = false;
};

// Loads one YAML policy file (no includes followed). Never throws.
std::optional<PolicyFile> load_policy_file(const std::string& path, DiagnosticList& diags);
std::optional<PolicyFile> load_policy_text(const std::string& path, std::string text,
                                           DiagnosticList& diags);

// Loads `path` and its includes, merges them. Returns nullopt when a file cannot be loaded;
// other errors are reported and merging goes on so that one run reports as much as it can.
std::optional<MergedPolicy> load_and_merge(const std::string& path, DiagnosticList& diags);

// Where an editor keeps unsaved text: the contents of `path` (as load_and_merge builds it), or
// nullopt to read the file from disk.
using SourceReader = std::function<std::optional<std::string>(const std::string& path)>;
std::optional<MergedPolicy> load_and_merge(const std::string& path, DiagnosticList& diags,
                                           const SourceReader& reader);

}  // namespace mmi
