// Why did a rule fire, not fire, or stay unknown? An explanation is the tree of a rule's
// expressions with the value of each sub-expression that decided it: both operands of a strict
// operator, only the deciding operand of a short-circuited `and`/`or`, only the branch an `if`
// took, and each let unfolded once.
#include "engine/eval_state.hpp"

namespace mmi {

Explanation EvalState::explain(std::uint32_t i, int depth) {
  Explanation e;
  const Node& n = g.nodes[i];
  e.text = g.node_text(i);
  e.value = value_to_string(eval(i), g);
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
      e.parts.push_back(std::move(def));
      return e;
    }
    case Op::where:
      // The condition is per item: its value for "the" item means nothing here.
      child(g.operand(n, 0));
      return e;
    case Op::if_: {
      child(g.operand(n, 0));
      Value cond = operand(n, 0);
      if (cond.kind == Kind::boolean) child(g.operand(n, cond.b ? 1 : 2));
      return e;
    }
    case Op::and_:
    case Op::or_: {
      // Only the operands that decided the result.
      Value x = operand(n, 0);
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
  s_->explained_lets.assign(g.let_roots.size(), false);
  Explanation e;
  e.text = "rule " + g.policy.rules[r].id;
  e.value = to_string(s_->out.rules[r]);
  Explanation when = s_->explain(roots.when, 0);
  when.text = "when " + when.text;
  e.parts.push_back(std::move(when));
  if (roots.unless != kNone) {
    Explanation unless = s_->explain(roots.unless, 0);
    unless.text = "unless " + unless.text;
    e.parts.push_back(std::move(unless));
  }
  if (s_->out.rules[r] == RuleState::fired || s_->eval(roots.when).is_true()) {
    Explanation date = s_->explain(roots.date, 0);
    date.text = "mmi_date " + date.text;
    e.parts.push_back(std::move(date));
  }
  return e;
}

Explanation Evaluator::explain_decision() {
  const Graph& g = s_->g;
  s_->explained_lets.assign(g.let_roots.size(), false);
  Explanation e;
  e.text = "decision";
  e.value = to_string(s_->out.status);
  if (g.cutoff_root != kNone) {
    Explanation c = s_->explain(g.cutoff_root, 0);
    c.text = "coverage_cutoff " + c.text;
    e.parts.push_back(std::move(c));
  }
  return e;
}

}  // namespace mmi
