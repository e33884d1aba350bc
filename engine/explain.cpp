// Why did a rule fire, not fire, or stay unknown? An explanation is the tree of a rule's
// expressions with the value of each sub-expression that decided it: both operands of a strict
// operator, only the deciding operand of a short-circuited `and`/`or`, only the branch an `if`
// took, and each let unfolded once.
#include "engine/eval_state.hpp"

#include <algorithm>
#include <set>

#include "engine/value_json.hpp"

namespace mmi {

namespace {

std::string file_line(const SourceLocation& at) {
  if (at.path.empty()) return "";
  return at.line ? at.path + ":" + std::to_string(at.line) : at.path;
}

// Sub-expressions are written where their root is (the graph shares equal nodes between
// expressions, so a node's own origin may be another expression's): each node without a place
// of its own takes its parent's.
void inherit_place(Explanation& e) {
  for (auto& part : e.parts) {
    if (part.at.empty()) part.at = e.at;
    inherit_place(part);
  }
}

// Parameters read on as_of (a plain reference, not the left side of `at`) in an expression.
void plain_parameter_refs(const Expr& e, std::set<std::uint32_t>& out) {
  if (e.kind == ExprKind::name && e.ref == Ref::parameter) out.insert(e.index);
  for (std::size_t k = 0; k < e.args.size(); ++k) {
    if (e.kind == ExprKind::at && k == 0) continue;  // read on the `at` date: see the graph
    plain_parameter_refs(e.args[k], out);
  }
}

}  // namespace

Explanation EvalState::explain(std::uint32_t i, int depth) {
  Explanation e;
  const Node& n = g.nodes[i];
  e.text = g.node_text(i);
  Value v = value_of(i);
  e.value = value_to_string(v, g);
  append_json_value(e.json_value, v, g);
  if (depth >= 8) return e;
  auto child = [&](std::uint32_t c) {
    if (g.nodes[c].op == Op::constant) return;
    e.parts.push_back(explain(c, depth + 1));
  };
  switch (n.op) {
    case Op::let: {
      if (explained_lets[n.index]) return e;
      explained_lets[n.index] = true;
      Explanation def = explain(g.let_roots[n.index], depth + 1);
      def.text = g.policy.lets[n.index].name + " = " + def.text;
      def.at = file_line(g.policy.lets[n.index].expr.source.location());
      e.parts.push_back(std::move(def));
      return e;
    }
    case Op::where:
      // The condition is per item: its value for "the" item means nothing here.
      child(g.operand(n, 0));
      return e;
    case Op::if_: {
      child(g.operand(n, 0));
      Value cond = operand_value(n, 0);
      if (cond.kind == Kind::boolean) child(g.operand(n, cond.b ? 1 : 2));
      return e;
    }
    case Op::and_:
    case Op::or_: {
      // Only the operands that decided the result.
      Value x = operand_value(n, 0);
      bool short_circuit = n.op == Op::and_ ? x.is_false() : x.is_true();
      child(g.operand(n, 0));
      if (!short_circuit) child(g.operand(n, 1));
      return e;
    }
    default:
      g.for_each_operand(n, child);
      return e;
  }
}

Explanation Evaluator::explain_rule(std::uint32_t r) {
  const Graph& g = s_->g;
  const RuleRoots& roots = g.rule_roots[r];
  s_->complete();
  s_->explained_lets.assign(g.let_roots.size(), false);
  Explanation e;
  e.text = "rule " + g.policy.rules[r].id;
  e.value = to_string(s_->out.rules[r]);
  append_json_string(e.json_value, e.value);
  e.at = file_line(g.policy.rules[r].at);
  e.cites = g.policy.rules[r].cites;
  const CheckedRule& rule = g.policy.rules[r];
  Explanation when = s_->explain(roots.when, 0);
  when.text = "when " + when.text;
  when.at = file_line(rule.when.source.location());
  e.parts.push_back(std::move(when));
  if (roots.unless != kNone) {
    Explanation unless = s_->explain(roots.unless, 0);
    unless.text = "unless " + unless.text;
    if (rule.unless) unless.at = file_line(rule.unless->source.location());
    e.parts.push_back(std::move(unless));
  }
  if (s_->out.rules[r] == RuleState::fired || s_->value_of(roots.when).is_true()) {
    Explanation date = s_->explain(roots.date, 0);
    date.text = "mmi_date " + date.text;
    date.at = file_line(rule.mmi_date.source.location());
    e.parts.push_back(std::move(date));
  }
  inherit_place(e);
  return e;
}

Explanation Evaluator::explain_decision() {
  const Graph& g = s_->g;
  s_->complete();
  s_->explained_lets.assign(g.let_roots.size(), false);
  Explanation e;
  e.text = "decision";
  e.value = to_string(s_->out.status);
  append_json_string(e.json_value, e.value);
  if (g.cutoff_root != kNone) {
    Explanation c = s_->explain(g.cutoff_root, 0);
    c.text = "coverage_cutoff " + c.text;
    if (g.policy.coverage_cutoff) c.at = file_line(g.policy.coverage_cutoff->source.location());
    e.parts.push_back(std::move(c));
  }
  inherit_place(e);
  return e;
}

std::vector<ParameterUse> Evaluator::explain_parameters() {
  const Graph& g = s_->g;
  s_->complete();
  const CheckedPolicy& p = g.policy;
  std::set<std::pair<std::uint32_t, std::int64_t>> reads;  // (parameter, day; kPerItem)
  constexpr std::int64_t kPerItem = INT64_MIN;
  // Plain references are read on as_of; the graph folds them into constants, so they are found
  // in the checked expressions.
  std::set<std::uint32_t> plain;
  for (const auto& r : p.rules) {
    plain_parameter_refs(r.when.expr, plain);
    plain_parameter_refs(r.mmi_date.expr, plain);
    if (r.unless) plain_parameter_refs(r.unless->expr, plain);
  }
  for (const auto& l : p.lets) plain_parameter_refs(l.expr.expr, plain);
  if (p.coverage_cutoff) plain_parameter_refs(p.coverage_cutoff->expr, plain);
  for (const auto& o : p.outputs) plain_parameter_refs(o.expr.expr, plain);
  for (std::uint32_t index : plain) reads.insert({index, s_->as_of});
  // `cap at DATE` stays a graph node: its date is evaluated here, except inside a `where`
  // condition, where it is per item (and its value here would mean nothing).
  std::vector<std::pair<std::uint32_t, bool>> stack;
  for (const auto& roots : g.rule_roots)
    for (std::uint32_t root : {roots.when, roots.unless, roots.date})
      if (root != kNone) stack.push_back({root, false});
  for (std::uint32_t root : {g.cutoff_root, g.covered_from_root})
    if (root != kNone) stack.push_back({root, false});
  for (std::uint32_t root : g.output_roots)
    if (root != kNone) stack.push_back({root, false});
  for (std::uint32_t root : g.let_roots)
    if (root != kNone) stack.push_back({root, false});
  std::vector<std::uint8_t> seen(g.nodes.size(), 0);  // bit 1: seen outside, 2: per item
  while (!stack.empty()) {
    auto [i, inside] = stack.back();
    bool per_item = inside;  // a plain variable: clang 14 cannot capture structured bindings
    stack.pop_back();
    std::uint8_t bit = per_item ? 2 : 1;
    if (i >= g.nodes.size() || (seen[i] & bit)) continue;
    seen[i] |= bit;
    const Node& n = g.nodes[i];
    if (n.op == Op::parameter) reads.insert({n.index, s_->as_of});
    if (n.op == Op::parameter_at) {
      Value d = per_item ? Value::missing() : s_->value_of(g.operand(n, 0));
      reads.insert({n.index, d.kind == Kind::date ? d.i : kPerItem});
    }
    std::uint32_t k = 0;
    g.for_each_operand(n, [&](std::uint32_t c) {
      stack.push_back({c, per_item || (n.op == Op::where && k > 0)});
      ++k;
    });
  }
  std::vector<ParameterUse> uses;
  for (const auto& [index, day] : reads) {
    const CheckedParameter& param = p.parameters[index];
    ParameterUse u;
    u.name = param.name;
    u.description = param.description;
    u.at = file_line(param.at);
    Value v = day == kPerItem ? Value::missing() : s_->param_value(index, day);
    u.value = day == kPerItem ? "(per item)" : value_to_string(v, g);
    append_json_value(u.json_value, v, g);
    if (day != kPerItem) u.read_on = value_to_string(Value::date(static_cast<DayNumber>(day)), g);
    const auto& series = g.parameters[index].series;
    for (const auto& [from, value] : series)
      if (day != kPerItem && from <= day) u.in_force_from = value_to_string(Value::date(from), g);
    uses.push_back(std::move(u));
  }
  return uses;
}

}  // namespace mmi
