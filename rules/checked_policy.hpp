// Stage 4 output: a policy whose every name is resolved and every expression typed. This is what
// the engine compiles into a rule graph (engine/graph.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rules/expr.hpp"
#include "rules/expr_source.hpp"
#include "rules/policy_ast.hpp"

namespace mmi {

enum class TypeTag : std::uint8_t {
  error,
  any,
  boolean,
  number,
  text,
  date,
  duration,
  period,
  enumeration,
  record
};

struct TypeDesc {
  TypeTag tag = TypeTag::error;
  bool list = false;
  std::int32_t record = -1;       // into CheckedPolicy::records
  std::int32_t enumeration = -1;  // into CheckedPolicy::enums
};

// Fixed ids of the basic types in every type table.
namespace type_id {
constexpr std::uint32_t error = 0, any = 1, boolean = 2, number = 3, text = 4, date = 5,
                        duration = 6, period = 7;
}

struct RecordLayout {
  std::string path;                     // "injury", "assessments[]"
  std::vector<std::string> names;       // field names
  std::vector<std::uint32_t> type_ids;  // field types
  std::vector<std::uint32_t> offsets;   // slot of each field relative to the record's base
  std::vector<std::int32_t> facts;      // the fact index of each field (top-level records), or -1
  std::uint32_t width = 0;              // slots the record occupies
  std::int32_t date_field = -1;         // a field `date` of type date (lists sort on it)
  std::vector<bool> required;
};

// A declared fact: a scalar in a slot, a record spanning slots, or a list.
struct FactInfo {
  std::string path;  // "injury.date", "assessments"
  FactDecl::Shape shape = FactDecl::Shape::scalar;
  std::uint32_t type_id = 0;
  std::uint32_t slot = 0;        // scalar: slot; record: base slot
  std::uint32_t list_index = 0;  // list: index into lists
  bool required = false;
  bool from_top = false;
  SourceLocation at;
};

struct ListInfo {
  std::string path;
  std::uint32_t item_record = 0;  // into records
  std::uint32_t fact = 0;         // into facts
};

struct CheckedExpr {
  Expr expr;
  ExprSource source;
  std::uint32_t type_id = 0;
};

struct CheckedParameter {
  std::string name;
  std::uint32_t type_id = 0;
  Literal value;  // when not a series
  struct Step {
    DayNumber from;
    Literal value;
  };
  std::vector<Step> series;
  std::string description;
  SourceLocation at;
  bool overridden = false;  // by --set
};

struct CheckedLet {
  std::string name;
  CheckedExpr expr;
  std::string description;
  SourceLocation at;
};

struct CheckedRule {
  std::string id;
  std::string description;
  std::string cites;
  CheckedExpr when;
  CheckedExpr mmi_date;
  std::optional<CheckedExpr> unless;
  SourceLocation at;
};

struct CheckedOutput {
  std::string name;
  CheckedExpr expr;
  SourceLocation at;
};

struct CheckedProperty {
  std::string id;
  std::string description;
  std::string cites;
  CheckedExpr holds;
  std::optional<std::string> known_violation;
  SourceLocation at;
};

// A let or a rule, in the order they must be evaluated.
struct GraphStep {
  enum class Kind : std::uint8_t { let, rule } kind;
  std::uint32_t index;
};

struct CheckedPolicy {
  std::string path, policy_id, title, insurer, jurisdiction, line, version, definition, digest;
  std::optional<DayNumber> effective, expires;
  SourceLocation at;  // the top file's first key

  std::vector<TypeDesc> types;
  std::vector<std::vector<std::string>> enums;
  std::vector<RecordLayout> records;
  std::vector<FactInfo> facts;
  std::vector<ListInfo> lists;
  std::uint32_t root_record = 0;  // the record of all top-level facts
  std::uint32_t slot_count = 0;   // scalar slots of a case

  std::vector<CheckedParameter> parameters;
  std::vector<CheckedLet> lets;
  std::vector<CheckedRule> rules;
  std::vector<GraphStep> order;  // topological order of lets and rules
  HitPolicy hit = HitPolicy::earliest;
  std::vector<std::uint32_t> precedence;  // rule indices: `order:` then the rest
  std::optional<CheckedExpr> coverage_cutoff;
  std::optional<CheckedExpr> covered_from;  // the first covered day (what-if's covered days)
  std::vector<CheckedOutput> outputs;
  std::vector<CheckedProperty> properties;  // checked by `mmi verify`, never evaluated
  std::vector<CheckedExpr> assumptions;     // `assume:`, each a bool
  std::uint32_t status_enum_type = 0;
  bool is_module = false;

  std::string type_name(std::uint32_t id) const;
};

// Parameter overrides from `--set NAME=VALUE` or a test's `set:`.
using ParameterOverrides = std::vector<std::pair<std::string, std::string>>;

struct CheckOptions {
  ParameterOverrides overrides;
  bool warnings = true;
  // Editors: return the policy even when it has errors, so that the names that did resolve can
  // be navigated (unresolved ones keep Ref::unresolved). Never compile such a policy.
  bool keep_on_errors = false;
};

// Stage 3+4: parses every expression of the merged policy and type-checks it.
std::optional<CheckedPolicy> check_policy(const MergedPolicy& merged, const CheckOptions& options,
                                          DiagnosticList& diags);

// Convenience: load, merge and check a policy file.
std::optional<CheckedPolicy> load_checked_policy(const std::string& path,
                                                 const CheckOptions& options,
                                                 DiagnosticList& diags);

// Canonical one-line text of an expression (explanations, identical-condition warnings).
std::string expr_to_string(const Expr& e);

}  // namespace mmi
