// Internal to rules/: the type checker as one class whose stages live in their own files —
// checker.cpp (the entry point and the order of stages), check_facts.cpp (types, records and
// facts), check_parameters.cpp (parameters, overrides, name clashes), check_order.cpp (parsing
// bodies, dependency order and cycles), check_expressions.cpp (typing every expression, the
// decision and built-in calls) and check_lints.cpp (warnings). Not part of any API.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "rules/builtins.hpp"
#include "rules/checked_policy.hpp"
#include "rules/yaml_util.hpp"

namespace mmi::check {

struct Scope {
  std::vector<std::uint32_t> items;  // record index of each enclosing `where` item, outermost first
  bool decision = false;
  bool property = false;  // a property's `holds`: also coverage_cutoff and the outputs
  bool output = false;    // outputs also see the decision's coverage_cutoff
};

class Checker {
 public:
  Checker(const MergedPolicy& merged, const CheckOptions& options, DiagnosticList& diags)
      : m_(merged), options_(options), diags_(diags) {}

  std::optional<CheckedPolicy> run();

 private:
  const MergedPolicy& m_;
  const CheckOptions& options_;
  DiagnosticList& diags_;
  CheckedPolicy p_;
  std::unordered_map<std::string, std::uint32_t> fact_by_path_, top_fact_, param_, let_, rule_;
  std::vector<bool> fact_used_, param_used_, let_used_;
  std::vector<bool> let_ok_;  // parsed and not in a cycle
  std::vector<bool> let_typed_;
  // Texts of expressions that failed to parse: the names in them count as used (no "never used"
  // warning on top of the syntax error).
  std::vector<std::string> unparsed_;
  void mark_names_in_unparsed();

  std::uint32_t intern(TypeDesc t);
  std::uint32_t enum_type(const std::vector<std::string>& values);
  const TypeDesc& T(std::uint32_t id) const { return p_.types[id]; }
  std::uint32_t list_of(std::uint32_t id);
  std::uint32_t element_of(std::uint32_t id);
  bool is(std::uint32_t id, TypeTag tag) const { return !T(id).list && T(id).tag == tag; }
  bool is_any(std::uint32_t id) const { return T(id).tag == TypeTag::any; }
  bool is_error(std::uint32_t id) const { return T(id).tag == TypeTag::error; }
  bool is_list(std::uint32_t id) const { return T(id).list; }
  bool is_textual(std::uint32_t id) const;
  std::string name(std::uint32_t id) const { return p_.type_name(id); }

  // The common type of two operands, or error.
  std::uint32_t unify(std::uint32_t a, std::uint32_t b);

  static std::uint32_t scalar_type(const FactDecl& f);
  std::uint32_t fact_scalar_type(const FactDecl& f);

  std::uint32_t build_record(const std::vector<FactDecl>& fields, const std::string& path,
                             std::uint32_t& next_slot, bool top_level, const std::string& prefix);

  void build_facts();

  static std::uint32_t literal_type(const Literal& l);

  // A parameter value: a literal expression, or YAML-quoted text.
  std::optional<Literal> parameter_literal(const ExprSource& src, const std::string& what);

  void build_parameters();

  void apply_overrides();

  void check_name_clashes();

  std::optional<CheckedExpr> parse(const ExprSource& src);

  std::vector<std::optional<CheckedExpr>> let_bodies_;
  struct RuleBodies {
    std::optional<CheckedExpr> when, date, unless;
  };
  std::vector<RuleBodies> rule_bodies_;

  void parse_bodies();

  // Names of lets and rules an expression mentions (syntactically), for the evaluation order.
  void collect_deps(const Expr& e, std::vector<std::uint32_t>& out) const;

  std::string node_name(std::uint32_t n) const;
  SourceLocation node_at(std::uint32_t n) const;

  void order_graph();

  // Type of a let, checking it on first use (order_graph put dependencies first).
  std::uint32_t let_type(std::uint32_t i);

  void check_bodies();

  void check_rule(std::uint32_t i);

  void expect_type(const CheckedExpr& ce, std::uint32_t want, const std::string& what);

  void check_decision();

  // `properties:` and `assume:` (after the decision: properties read its outputs).
  void check_properties();

  void error(const CheckedExpr& ce, const Expr& e, Code code, const std::string& msg,
             const std::string& help = {});

  // Only the fact itself is marked here; warn() spreads use to records and their fields.
  void mark_fact_used(std::uint32_t f) { fact_used_[f] = true; }

  void spread_fact_use();

  std::vector<std::string> names_in_scope(const Scope& scope) const;

  std::uint32_t check_name(Expr& e, const CheckedExpr& ce, const Scope& scope);

  std::uint32_t check_field(Expr& e, const CheckedExpr& ce, Scope& scope);

  bool orderable(std::uint32_t t) const;
  bool scalar(std::uint32_t t) const;

  // Enum comparisons against text literals must name one of the enum's values.
  void check_enum_literal(const CheckedExpr& ce, std::uint32_t enum_t, const Expr& other);

  std::uint32_t binary_error(const CheckedExpr& ce, const Expr& e, std::uint32_t a,
                             std::uint32_t b);

  std::uint32_t arithmetic(const CheckedExpr& ce, const Expr& e, std::uint32_t a, std::uint32_t b);

  std::uint32_t check(Expr& e, const CheckedExpr& ce, Scope& scope);

  std::uint32_t check_inner(Expr& e, const CheckedExpr& ce, Scope& scope);

  std::uint32_t check_call(Expr& e, const CheckedExpr& ce, Scope& scope);

  // What a built-in's typing rule sees of a call (rules/builtins.hpp).
  class BuiltinCall;

  static std::optional<bool> constant_bool(const Expr& e);

  void warn();
};

}  // namespace mmi::check
