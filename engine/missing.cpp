// Why is a rule unknown? After an evaluation, walks from each unknown rule (and a missing coverage
// cutoff) down to the absent facts that left it unknown (the result's `missing`). Only operands
// whose value is missing are followed, and only the branch an `if` took.
#include <fmt/format.h>

#include "engine/eval_state.hpp"
#include "rules/builtins.hpp"

namespace mmi {

std::string EvalState::item_path(const Value& record, std::uint32_t offset) {
  const CheckedPolicy& p = g.policy;
  std::string list;
  for (const auto& l : p.lists)
    if (l.item_record == record.aux) list = l.path;
  const RecordLayout& r = p.records[record.aux];
  std::string field = "?";
  for (std::size_t f = 0; f < r.offsets.size(); ++f)
    if (r.offsets[f] == offset && p.types[r.type_ids[f]].tag != TypeTag::record) field = r.names[f];
  return fmt::format("{}[{}].{}", list, record.exp, field);
}

void EvalState::queue_rule(std::uint32_t r) {
  if (traced_rules[r]) return;
  traced_rules[r] = true;
  const RuleRoots& roots = g.rule_roots[r];
  pending.push_back(roots.when);
  if (roots.unless != kNone) pending.push_back(roots.unless);
  if (value_of(roots.when).is_true()) pending.push_back(roots.date);
}

// Traces `start` (kNone: only what is already queued) until the work list is empty.
void EvalState::trace(std::uint32_t start) {
  if (start != kNone) pending.push_back(start);
  while (!pending.empty()) {
    std::uint32_t i = pending.back();
    pending.pop_back();
    trace_one(i);
  }
}

void EvalState::trace_one(std::uint32_t i) {
  Value v = value_of(i);
  if (v.kind != Kind::missing) return;
  const Node& n = g.nodes[i];
  switch (n.op) {
    case Op::fact: {
      auto it = slot_paths.find(n.index);
      if (it != slot_paths.end()) found.insert(it->second);
      return;
    }
    case Op::benefit_periods:
      // Neither periods nor the v1 facts they can be read from.
      found.insert(g.policy.lists[n.index].path);
      return;
    case Op::let:
      if (!traced_lets[n.index]) {
        traced_lets[n.index] = true;
        pending.push_back(g.let_roots[n.index]);
      }
      return;
    case Op::rule_fired:
    case Op::rule_date:
      if (out.rules[n.index] == RuleState::unknown) queue_rule(n.index);
      return;
    case Op::field: {
      Value base = operand_value(n, 0);
      if (base.kind == Kind::record && base.exp >= 0)
        found.insert(item_path(base, n.index));
      else
        pending.push_back(g.operand(n, 0));
      return;
    }
    case Op::if_: {
      Value cond = operand_value(n, 0);
      pending.push_back(g.operand(n, cond.kind == Kind::boolean ? (cond.b ? 1 : 2) : 0));
      return;
    }
    case Op::where:
    case Op::item_field:
      return;
    case Op::call: {
      const BuiltinSpec& spec = builtin_spec(static_cast<Builtin>(n.index));
      if (spec.shape != ArgumentShape::list_and_field) break;
      // No usable points: every item lacking the field (or its date) is a fact we could ask for.
      Value l = operand_value(n, 0);
      if (l.kind != Kind::list) break;
      for (std::uint32_t k = 0; k < l.aux; ++k) {
        const Value& item = l.items[k];
        if (item.kind != Kind::record || item.exp < 0) continue;
        if (item.items[n.field].is_missing()) found.insert(item_path(item, n.field));
        if (n.field2 != kNone && item.items[n.field2].is_missing())
          found.insert(item_path(item, n.field2));
      }
      return;
    }
    default:
      break;
  }
  g.for_each_operand(n, [&](std::uint32_t k) { pending.push_back(k); });
}

std::vector<std::string> EvalState::missing_facts() {
  found.clear();
  traced_rules.assign(g.rule_roots.size(), false);
  traced_lets.assign(g.let_roots.size(), false);
  if (slot_paths.empty())
    for (const auto& f : g.policy.facts)
      if (f.shape == FactDecl::Shape::scalar) slot_paths[f.slot] = f.path;
  if (out.status != Status::error) {
    // Tracing reads nodes' values: those the evaluation skipped are computed first.
    bool traces = g.cutoff_root != kNone && out.coverage_cutoff.is_missing();
    for (std::uint32_t r = 0; r < out.rules.size() && !traces; ++r)
      traces = out.rules[r] == RuleState::unknown ||
               (out.rules[r] == RuleState::fired && out.rule_dates[r].is_missing());
    if (traces) complete();
  }
  if (out.status != Status::error)
    for (std::uint32_t r = 0; r < out.rules.size(); ++r) {
      if (out.rules[r] == RuleState::unknown) {
        queue_rule(r);
        trace(kNone);  // drain
      }
      // A rule that fired without a date is waiting for whatever its date needs.
      if (out.rules[r] == RuleState::fired && out.rule_dates[r].is_missing())
        trace(g.rule_roots[r].date);
    }
  // A cutoff left missing (a cap built on absent facts) is waiting for those facts too.
  if (out.status != Status::error && g.cutoff_root != kNone && out.coverage_cutoff.is_missing())
    trace(g.cutoff_root);
  return {found.begin(), found.end()};
}

}  // namespace mmi
