// The interpreter: evaluates graph nodes with Kleene logic over `missing`, exact decimals and
// calendar arithmetic; runs the rules in order and decides. Errors (division by zero, dates out of
// range) are values that propagate to the result; nothing here throws. Built-ins are in
// builtins.cpp, missing-fact tracing in missing.cpp, explanations in explain.cpp.
#include "engine/evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "engine/eval_state.hpp"
#include "rules/builtins.hpp"

namespace mmi {

const char* to_string(RuleState s) {
  switch (s) {
    case RuleState::fired:
      return "fired";
    case RuleState::not_fired:
      return "not_fired";
    case RuleState::unknown:
      return "unknown";
  }
  return "unknown";
}

const char* to_string(Status s) {
  switch (s) {
    case Status::reached:
      return "reached";
    case Status::not_reached:
      return "not_reached";
    case Status::undetermined:
      return "undetermined";
    case Status::error:
      return "error";
  }
  return "error";
}

int compare_values(const Value& a, const Value& b) {
  if (a.kind == Kind::number) return compare(a.as_number(), b.as_number());
  if (a.kind == Kind::text) return a.as_text().compare(b.as_text());
  if (a.kind == Kind::boolean) return static_cast<int>(a.b) - static_cast<int>(b.b);
  return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
}

// Builds an EvalState's program from its graph (see Instr in eval_state.hpp).
class ProgramBuilder {
 public:
  explicit ProgramBuilder(EvalState& s) : s_(s), g_(s.g) {}

  void build() {
    const std::size_t n = g_.nodes.size();
    need_.assign(n, 0);
    for (std::uint32_t i = 0; i < n; ++i) need_[i] = item_need(i);
    s_.regs.resize(std::max<std::size_t>(n, 1));  // never empty: steps name register 0
    s_.node_reg.assign(n, kNone);
    constant_.assign(n, false);
    // Facts read only through an instruction's a, b or c are read in place (see reg_slot);
    // calls, lists and `and` chains (kAllOf) read operands by register number.
    in_place_.assign(n, true);
    for (std::uint32_t i = 0; i < n; ++i) {
      const Op op = g_.nodes[i].op;
      if (op != Op::call && op != Op::list && op != Op::and_) continue;
      for_each_input(i, [&](std::uint32_t o, std::uint32_t) {
        while (g_.nodes[o].op == Op::let) o = g_.let_roots[g_.nodes[o].index];
        in_place_[o] = false;
      });
    }
    if (g_.covered_from_root != kNone) in_place_[g_.covered_from_root] = false;
    s_.reg_slot.assign(s_.regs.size(), kNone);
    s_.reg_ptr.assign(s_.regs.size(), nullptr);
    Instr end;
    end.code = kEnd;
    s_.code.push_back(end);  // block 0: the empty block of a condition computed outside
    plan_regions();
    block_ = &s_.main;
    // Lets are computed where they are first read (a let nothing reads, never).
    for (const GraphStep& step : g_.policy.order) {
      if (step.kind == GraphStep::Kind::let) continue;
      const RuleRoots& roots = g_.rule_roots[step.index];
      Instr in;
      in.code = kRuleStep;
      in.index = step.index;
      in.a = global(roots.when);
      // The rule step reads unless only when `when` is neither an error nor false, and mmi_date
      // only when the rule fires.
      if (roots.unless != kNone) {
        Instr skip;
        skip.code = kSkipIfFalse;
        skip.a = in.a;
        in.b = guarded(roots.unless, rule_edge(step.index, 0), skip);
      }
      Instr skip;
      skip.code = kSkipUnlessFired;
      skip.a = in.a;
      skip.b = in.b;
      in.c = guarded(roots.date, rule_edge(step.index, 1), skip);
      s_.main.push_back(in);
    }
    Instr decide;
    decide.code = kDecideStep;
    s_.main.push_back(decide);
    if (g_.cutoff_root != kNone) {
      Instr in;
      in.code = kCutoffStep;
      in.a = global(g_.cutoff_root);
      s_.main.push_back(in);
    }
    for (std::uint32_t k = 0; k < g_.output_roots.size(); ++k) {
      Instr in;
      in.code = kOutputStep;
      in.index = k;
      in.a = global(g_.output_roots[k]);
      s_.main.push_back(in);
    }
    s_.main.push_back(end);
    std::vector<std::uint32_t> steps(g_.rule_roots.size(), 0);
    for (const Instr& in : s_.main) {
      if (in.code >= kSkipIfFalse && in.code <= kSkipUnlessFired) s_.has_skips_ = true;
      if (in.code == kRuleStep) ++steps[in.index];
    }
    s_.rule_steps_write_ = std::all_of(steps.begin(), steps.end(), [](auto k) { return k == 1; });
    block_ = &s_.covered;
    edge_region_.clear();  // covered_from runs after complete(): no short-circuits
    if (g_.covered_from_root != kNone) s_.covered_reg = global(g_.covered_from_root);
    s_.covered.push_back(end);
    for (std::vector<Instr>* block : {&s_.main, &s_.code, &s_.covered})
      for (Instr& in : *block) in = scaled(in);
    for (Preload& f : s_.preloads) f = {byte_offset(f.offset), byte_offset(f.reg)};
    // Folding ran instructions: leave nothing of it behind.
    s_.errors.clear();
    s_.arena.reset();
  }

 private:
  EvalState& s_;
  const Graph& g_;
  std::vector<std::uint32_t> need_;  // `where` levels whose items a node reads
  std::vector<bool> constant_;       // per global register
  std::vector<bool> in_place_;       // per node: a fact, if it is one, may be read in place
  std::vector<Instr>* block_ = nullptr;

  // ---- short-circuits ----
  // An operand read only on some values of another (`and`'s right side, `??`'s, an `if`'s
  // branches, a rule's unless and mmi_date) is computed in a region of the program that a skip
  // instruction jumps over when its value would not be read. A node shared by several readers
  // lives in the innermost region common to all of them (regions form a tree, the main program
  // its root), so a skip never leaves a register another reader needs stale.
  struct Region {
    std::uint32_t parent = kNone, depth = 0;
    std::uint32_t weight = 0;  // instructions in it and in the regions inside it
  };
  std::vector<Region> regions_;        // 0: the main program
  std::vector<std::uint32_t> region_;  // per node: its region (kNone: nothing reads it)
  std::unordered_map<std::uint64_t, std::uint32_t> edge_region_;  // a guarded operand's region
  std::unordered_set<std::uint64_t> too_small_;  // guarded operands left unguarded (not worth a
                                                 // skip instruction)
  std::vector<std::uint32_t> hoist_seen_;
  std::uint32_t hoist_stamp_ = 0;

  std::uint64_t node_edge(std::uint32_t node, std::uint32_t k) const {
    return static_cast<std::uint64_t>(node) << 2 | k;
  }
  std::uint64_t rule_edge(std::uint32_t rule, std::uint32_t k) const {  // 0: unless, 1: date
    return static_cast<std::uint64_t>(g_.nodes.size() + rule) << 2 | k;
  }
  // Whether operand k of node i is read only on some values of its other operands.
  bool guardable(std::uint32_t i, std::uint32_t k) const {
    const Node& n = g_.nodes[i];
    if (need_[i] != 0) return false;  // per-item blocks run every instruction
    switch (n.op) {
      case Op::and_:
      case Op::or_:
      case Op::coalesce:
        return k == 1;
      case Op::if_:
        return k >= 1;
      default:
        return false;
    }
  }
  std::uint32_t lcp(std::uint32_t a, std::uint32_t b) const {
    while (regions_[a].depth > regions_[b].depth) a = regions_[a].parent;
    while (regions_[b].depth > regions_[a].depth) b = regions_[b].parent;
    while (a != b) a = regions_[a].parent, b = regions_[b].parent;
    return a;
  }
  bool within(std::uint32_t r, std::uint32_t outer) const {
    while (regions_[r].depth > regions_[outer].depth) r = regions_[r].parent;
    return r == outer;
  }
  void use(std::uint32_t node, std::uint32_t region) {
    region_[node] = region_[node] == kNone ? region : lcp(region_[node], region);
  }
  std::uint32_t edge_into(std::uint64_t edge, std::uint32_t parent) {
    if (too_small_.count(edge)) return parent;
    auto [it, added] = edge_region_.emplace(edge, static_cast<std::uint32_t>(regions_.size()));
    if (added) regions_.push_back({parent, regions_[parent].depth + 1, 0});
    return it->second;
  }
  // Each node's operands, as the program reads them: a let reads its root.
  template <typename F>
  void for_each_input(std::uint32_t i, F&& f) const {
    const Node& n = g_.nodes[i];
    if (n.op == Op::let) return f(g_.let_roots[n.index], 0u);
    for (std::uint32_t k = 0; k < n.operand_count; ++k) f(g_.operand(n, k), k);
  }
  static std::uint32_t cost(Op op) {
    switch (op) {
      case Op::constant:
      case Op::let:
        return 0;
      case Op::where:
      case Op::call:
      case Op::project:
      case Op::list:
      case Op::benefit_periods:
        return 4;
      default:
        return 1;
    }
  }

  // Regions of every node read by the rules, the cutoff and the outputs; guarded operands whose
  // region holds less than two instructions' worth stay unguarded.
  void plan_regions() {
    const std::uint32_t n = static_cast<std::uint32_t>(g_.nodes.size());
    // Readers before what they read: a reverse post-order from the roots.
    std::vector<std::uint32_t> order;
    std::vector<std::uint8_t> state(n, 0);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;  // node, next input
    auto visit = [&](std::uint32_t root) {
      if (root == kNone || state[root]) return;
      stack.push_back({root, 0});
      state[root] = 1;
      while (!stack.empty()) {
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
        const std::uint32_t i = stack.back().first;
        std::uint32_t& next = stack.back().second;
        std::uint32_t child = kNone, k = 0;
        for_each_input(i, [&](std::uint32_t o, std::uint32_t) {
          if (child == kNone && k++ >= next && !state[o]) child = o;
        });
        if (child == kNone) {
          order.push_back(i);
          stack.pop_back();
          continue;
        }
        next = k;
        state[child] = 1;
        stack.push_back({child, 0});
      }
    };
    for (const RuleRoots& r : g_.rule_roots)
      for (std::uint32_t root : {r.when, r.unless, r.date}) visit(root);
    visit(g_.cutoff_root);
    for (std::uint32_t root : g_.output_roots) visit(root);
    for (int round = 0; round < 8; ++round) {
      regions_.assign(1, Region{});
      region_.assign(n, kNone);
      edge_region_.clear();
      for (std::uint32_t r = 0; r < g_.rule_roots.size(); ++r) {
        const RuleRoots& roots = g_.rule_roots[r];
        use(roots.when, 0);
        if (roots.unless != kNone) use(roots.unless, edge_into(rule_edge(r, 0), 0));
        use(roots.date, edge_into(rule_edge(r, 1), 0));
      }
      if (g_.cutoff_root != kNone) use(g_.cutoff_root, 0);
      for (std::uint32_t root : g_.output_roots) use(root, 0);
      for (auto it = order.rbegin(); it != order.rend(); ++it) {
        std::uint32_t i = *it;
        std::uint32_t region = region_[i];
        for_each_input(i, [&](std::uint32_t o, std::uint32_t k) {
          use(o, guardable(i, k) ? edge_into(node_edge(i, k), region) : region);
        });
      }
      for (std::uint32_t i : order) regions_[region_[i]].weight += cost(g_.nodes[i].op);
      for (std::uint32_t r = static_cast<std::uint32_t>(regions_.size()) - 1; r > 0; --r)
        regions_[regions_[r].parent].weight += regions_[r].weight;
      bool changed = false;
      for (const auto& [edge, r] : edge_region_)
        if (regions_[r].weight < 2) changed |= too_small_.insert(edge).second;
      if (!changed) break;
    }
    hoist_seen_.assign(n, 0);
  }

  // Computes, in the current region, every node read by `i`'s subtree that lives outside
  // `region` (they are read elsewhere too, so they cannot be skipped with it).
  void hoist(std::uint32_t i, std::uint32_t region) {
    if (s_.node_reg[i] != kNone || hoist_seen_[i] == hoist_stamp_) return;
    hoist_seen_[i] = hoist_stamp_;
    // Per-item nodes are computed in their where's block, never here.
    if (need_[i] == 0 && region_[i] != kNone && !within(region_[i], region)) {
      global(i);
      return;
    }
    for_each_input(i, [&](std::uint32_t o, std::uint32_t) { hoist(o, region); });
  }

  // Operand `i` read through a guarded edge: its region's instructions after `skip`, which jumps
  // over them.
  std::uint32_t guarded(std::uint32_t i, std::uint64_t edge, Instr skip) {
    auto it = edge_region_.find(edge);
    if (it == edge_region_.end() || s_.node_reg[i] != kNone || region_[i] != it->second)
      return global(i);
    ++hoist_stamp_;
    hoist(i, it->second);
    const std::size_t at = block_->size();
    block_->push_back(skip);
    std::uint32_t reg = global(i);
    if (block_->size() == at + 1) {
      block_->pop_back();  // nothing to skip
    } else {
      (*block_)[at].index = static_cast<std::uint32_t>(block_->size() - at);
    }
    return reg;
  }
  // A `where` condition's block: its per-item nodes and their registers.
  struct Block {
    std::unordered_map<std::uint32_t, std::uint32_t> regs;
    std::vector<Instr> code;
  };

  // Operands come before their users in the graph, so needs are known bottom-up.
  std::uint32_t item_need(std::uint32_t i) const {
    const Node& n = g_.nodes[i];
    if (n.op == Op::item_field) return n.scope + 1u;
    if (n.op == Op::where) {
      std::uint32_t cond = need_[g_.operand(n, 1)];
      return std::max(need_[g_.operand(n, 0)], cond > 0 ? cond - 1 : 0);
    }
    std::uint32_t need = 0;
    g_.for_each_operand(n, [&](std::uint32_t k) { need = std::max(need, need_[k]); });
    return need;
  }

  static bool pure(Op op) {
    switch (op) {
      case Op::neg:
      case Op::not_:
      case Op::and_:
      case Op::or_:
      case Op::coalesce:
      case Op::if_:
      case Op::eq:
      case Op::ne:
      case Op::lt:
      case Op::le:
      case Op::gt:
      case Op::ge:
      case Op::add:
      case Op::sub:
      case Op::mul:
      case Op::div:
      case Op::in:
      case Op::not_in:
      case Op::between:
      case Op::is_missing:
      case Op::is_present:
      case Op::list:
      case Op::call:
        return true;
      default:
        return false;
    }
  }

  Instr make(std::uint32_t i, const std::vector<std::uint32_t>& operands) {
    const Node& n = g_.nodes[i];
    Instr in;
    in.code = op_code(n.op);
    in.scope = n.scope;
    in.count = static_cast<std::uint16_t>(operands.size());
    if (operands.size() > 0) in.a = operands[0];
    if (operands.size() > 1) in.b = operands[1];
    if (operands.size() > 2) in.c = operands[2];
    in.index = n.index;
    in.layout = n.layout;
    in.node = i;
    in.ops = static_cast<std::uint32_t>(s_.operand_regs.size());
    s_.operand_regs.insert(s_.operand_regs.end(), operands.begin(), operands.end());
    if (n.op == Op::call && operands.size() == 1) {
      if (n.index == static_cast<std::uint32_t>(Builtin::first)) in.code = kFirstItem;
      if (n.index == static_cast<std::uint32_t>(Builtin::last)) in.code = kLastItem;
    }
    return in;
  }

  // A condition `field == x` or `field in x` on the item's own field, x the same for every item:
  // the where runs as one instruction (kWhereEq, kWhereIn) with `field`'s offset in `index`.
  bool field_test(std::uint32_t cond, std::uint8_t& code, std::uint32_t& field, std::uint32_t& x) {
    const Node& c = g_.nodes[cond];
    if ((c.op != Op::eq && c.op != Op::in) || c.operand_count != 2) return false;
    const Node& f = g_.nodes[g_.operand(c, 0)];
    if (f.op != Op::item_field || f.scope != 0 || f.layout != kNone) return false;
    if (need_[g_.operand(c, 1)] != 0) return false;
    code = c.op == Op::eq ? kWhereEq : kWhereIn;
    field = f.index;
    x = g_.operand(c, 1);
    return true;
  }

  // `where` as one fused instruction when field_test() allows; `list` is the list's register.
  bool fused_where(std::uint32_t i, std::uint32_t list, Instr& in) {
    const Node& n = g_.nodes[i];
    std::uint8_t code;
    std::uint32_t field, x;
    if (!field_test(g_.operand(n, 1), code, field, x)) return false;
    std::vector<std::uint32_t> operands{list, global(x)};
    in = make(i, operands);
    in.code = code;
    in.index = field;
    return true;
  }

  // The block of a `where` condition that reads the items, into `body` (its preloads and
  // whether it reads `items` into `in`); a condition the same for every item is computed once,
  // outside, and `body` stays empty.
  std::uint32_t condition(std::uint32_t cond, Instr& in, std::vector<Instr>& body) {
    if (need_[cond] == 0) return global(cond);
    Block b;
    std::uint32_t reg = conjunction(cond, b);
    // The item's own plain fields are copied by the loop itself, not dispatched one by one. The
    // where pushes its item for item_field instructions (an outer scope, a record field) and
    // nested loops (their blocks may read this item); preloaded fields need no push. Nested
    // loops' own instructions (depth > 0) are theirs.
    in.pre_begin = static_cast<std::uint32_t>(s_.preloads.size());
    bool reads_items = false;
    int depth = 0;
    for (const Instr& k : b.code) {
      if (depth == 0 && k.code == op_code(Op::item_field) && k.scope == 0 && k.layout == kNone) {
        s_.preloads.push_back({k.index, k.dst});
        continue;
      }
      body.push_back(k);
      reads_items |=
          k.code == op_code(Op::item_field) || k.code == op_code(Op::where) || k.code == kWhereLoop;
      depth += k.code == kWhereLoop ? 1 : k.code == kWhereNext ? -1 : 0;
    }
    in.pre_end = static_cast<std::uint32_t>(s_.preloads.size());
    in.scope = reads_items ? 1 : 0;
    // This block's rejects jump to its kWhereNext (nested ones have theirs already).
    for (std::size_t k = 0; k < body.size(); ++k)
      if ((body[k].code == kRejectIfFalse || body[k].code == kInReject ||
           body[k].code == kPresentReject) &&
          body[k].index == 0)
        body[k].index = static_cast<std::uint32_t>(body.size() - k);
    return reg;
  }

  // `where` `in` as a loop over its block: kWhereLoop, the block, kWhereNext.
  static void emit_loop(Instr in, const Instr& sub, const std::vector<Instr>& body,
                        std::vector<Instr>& out) {
    in.pre_begin = sub.pre_begin;
    in.pre_end = sub.pre_end;
    in.scope = sub.scope;
    Instr loop = in;
    loop.code = kWhereLoop;
    loop.index = static_cast<std::uint32_t>(body.size() + 2);
    Instr next = in;
    next.code = kWhereNext;
    next.index = static_cast<std::uint32_t>(body.size());
    out.push_back(loop);
    out.insert(out.end(), body.begin(), body.end());
    out.push_back(next);
  }

  // A per-item condition `c1 and … and cn` as its conjuncts with a reject after each but the last
  // (an item is dropped at its first false conjunct, the rest not computed); any other condition
  // as itself. The chain's `and` nodes get no register: a node in the block that reads one
  // computes it from the conjuncts' registers.
  std::uint32_t conjunction(std::uint32_t cond, Block& b) {
    std::vector<std::uint32_t> conjuncts;
    std::uint32_t x = cond;
    while (g_.nodes[x].op == Op::and_ && need_[x] != 0) {
      conjuncts.push_back(g_.operand(g_.nodes[x], 1));
      x = g_.operand(g_.nodes[x], 0);
    }
    if (conjuncts.empty()) return local(cond, b);
    conjuncts.push_back(x);
    std::reverse(conjuncts.begin(), conjuncts.end());
    const auto dst = static_cast<std::uint32_t>(s_.regs.size());
    s_.regs.emplace_back();
    std::vector<std::uint32_t> regs;
    for (std::size_t k = 0; k < conjuncts.size(); ++k) {
      regs.push_back(local(conjuncts[k], b));
      if (k + 1 == conjuncts.size()) break;
      if (!b.code.empty() && b.code.back().dst == regs.back()) {
        // The conjunct's own instruction, just emitted: `in` and `is present` take the reject.
        Instr& last = b.code.back();
        const bool in = last.code == op_code(Op::in) && last.count == 2;
        if (in || last.code == op_code(Op::is_present)) {
          last.code = in ? kInReject : kPresentReject;
          last.c = dst;
          last.index = 0;  // set with the other rejects' jumps (condition())
          continue;
        }
      }
      Instr reject;
      reject.code = kRejectIfFalse;
      reject.a = regs.back();
      reject.dst = dst;
      b.code.push_back(reject);
    }
    Instr all = make(cond, regs);
    all.code = kAllOf;
    all.dst = dst;
    b.code.push_back(all);
    return dst;
  }

  // A node read outside any item, computed once per evaluation into register i.
  std::uint32_t global(std::uint32_t i) {
    if (s_.node_reg[i] != kNone) return s_.node_reg[i];
    const Node& n = g_.nodes[i];
    if (n.op == Op::constant) {
      s_.regs[i] = n.constant;
      constant_[i] = true;
      return s_.node_reg[i] = i;
    }
    if (n.op == Op::let) return s_.node_reg[i] = global(g_.let_roots[n.index]);
    if (n.op == Op::fact && in_place_[i]) {
      s_.reg_slot[i] = n.index;
      return s_.node_reg[i] = i;
    }
    if (const Value* place = fixed_place(n); place && in_place_[i]) {
      s_.reg_ptr[i] = place;
      return s_.node_reg[i] = i;
    }
    std::vector<std::uint32_t> operands;
    Instr sub;
    if (n.op == Op::where) {
      operands.push_back(global(g_.operand(n, 0)));
      if (Instr fused; fused_where(i, operands[0], fused)) {
        fused.dst = i;
        s_.node_reg[i] = i;
        block_->push_back(fused);
        return i;
      }
      std::vector<Instr> body;
      operands.push_back(condition(g_.operand(n, 1), sub, body));
      if (!body.empty()) {
        Instr in = make(i, operands);
        in.dst = i;
        s_.node_reg[i] = i;
        emit_loop(in, sub, body, *block_);
        return i;
      }
    } else {
      for (std::uint32_t k = 0; k < n.operand_count; ++k) {
        std::uint32_t o = g_.operand(n, k);
        if (!guardable(i, k)) {
          operands.push_back(global(o));
          continue;
        }
        Instr skip;
        skip.code = n.op == Op::and_       ? kSkipIfFalse
                    : n.op == Op::or_      ? kSkipIfTrue
                    : n.op == Op::coalesce ? kSkipIfPresent
                    : k == 1               ? kSkipUnlessTrue
                                           : kSkipUnlessFalse;
        skip.a = operands[0];
        operands.push_back(guarded(o, node_edge(i, k), skip));
      }
    }
    Instr in = make(i, operands);
    in.dst = i;
    in.sub_begin = sub.sub_begin;
    in.pre_begin = sub.pre_begin;
    in.pre_end = sub.pre_end;
    if (n.op == Op::where) in.scope = sub.scope;
    s_.node_reg[i] = i;
    if (fold(in, operands)) return i;
    block_->push_back(in);
    return i;
  }

  // Where the value of a node that reads the evaluation's state lives for the whole evaluation
  // once written (before any reader: as_of by reset_for, a rule's date by its step, the decision
  // by the decide step), or null.
  const Value* fixed_place(const Node& n) const {
    switch (n.op) {
      case Op::as_of:
        return &s_.as_of_v;
      case Op::status:
        return &s_.status_v;
      case Op::decision_date:
        return &s_.date_v;
      case Op::basis:
        return &s_.basis_v;
      case Op::rule_date:
        return s_.out.rule_dates.data() + n.index;
      default:
        return nullptr;
    }
  }

  // A node read per item of the `where` whose condition block `b` is.
  std::uint32_t local(std::uint32_t i, Block& b) {
    if (need_[i] == 0) return global(i);
    if (auto it = b.regs.find(i); it != b.regs.end()) return it->second;
    const Node& n = g_.nodes[i];
    std::vector<std::uint32_t> operands;
    Instr sub;
    Instr in;
    if (n.op == Op::where) {
      operands.push_back(local(g_.operand(n, 0), b));
      if (fused_where(i, operands[0], in)) {
        in.dst = static_cast<std::uint32_t>(s_.regs.size());
        s_.regs.emplace_back();
        b.code.push_back(in);
        b.regs.emplace(i, in.dst);
        return in.dst;
      }
      std::vector<Instr> body;
      operands.push_back(condition(g_.operand(n, 1), sub, body));
      if (!body.empty()) {
        in = make(i, operands);
        in.dst = static_cast<std::uint32_t>(s_.regs.size());
        s_.regs.emplace_back();
        emit_loop(in, sub, body, b.code);
        b.regs.emplace(i, in.dst);
        return in.dst;
      }
    } else {
      g_.for_each_operand(n, [&](std::uint32_t k) { operands.push_back(local(k, b)); });
    }
    in = make(i, operands);
    in.dst = static_cast<std::uint32_t>(s_.regs.size());
    in.sub_begin = sub.sub_begin;
    in.pre_begin = sub.pre_begin;
    in.pre_end = sub.pre_end;
    if (n.op == Op::where) in.scope = sub.scope;
    s_.regs.emplace_back();
    b.code.push_back(in);
    b.regs.emplace(i, in.dst);
    return in.dst;
  }

  // The instruction as exec() reads it: registers by byte offset.
  static Instr scaled(Instr in) {
    in.dst = byte_offset(in.dst);
    in.a = byte_offset(in.a);
    in.b = byte_offset(in.b);
    in.c = byte_offset(in.c);
    return in;
  }

  // A pure node of constants is computed now, once: its register keeps the value. Only scalars
  // and constant lists fold (lists built per evaluation live in the arena, reset per case).
  bool fold(const Instr& in, const std::vector<std::uint32_t>& operands) {
    const Node& n = g_.nodes[in.node];
    if (!pure(n.op) || operands.empty()) return false;
    for (std::uint32_t r : operands)
      if (r >= constant_.size() || !constant_[r]) return false;
    Instr once[2] = {scaled(in), Instr{}};
    once[1].code = kEnd;
    for (Instr& k : once) s_.link(k, s_.dispatch_);
    s_.exec(once);
    Value& v = s_.regs[in.dst];
    if (v.kind == Kind::error || v.kind == Kind::record) return false;
    if (v.kind == Kind::list) {
      if (n.op != Op::list) return false;
      auto items = std::make_unique<Value[]>(std::max<std::uint32_t>(1, v.aux));
      std::copy(v.items, v.items + v.aux, items.get());
      v = Value::list(items.get(), v.aux);
      s_.folded_lists.push_back(std::move(items));
    }
    constant_[in.dst] = true;
    return true;
  }
};

EvalState::EvalState(std::shared_ptr<const Graph> gr) : graph(std::move(gr)), g(*graph) {
  items.reserve(16);
  frames.reserve(16);
  out.outputs.resize(g.output_roots.size());
  out.rules.resize(g.rule_roots.size());
  out.rule_dates.resize(g.rule_roots.size());
  exec(nullptr);  // the handlers' addresses, for folding and linking
  ProgramBuilder(*this).build();
  for (std::vector<Instr>* program : {&main, &code, &covered}) link(*program, dispatch_);
  // Every operand that reads a fact in place (main_complete: a copy of main, same places).
  for (std::vector<Instr>* program : {&main, &code, &covered, &main_complete}) {
    const std::vector<Instr>& from = program == &main_complete ? main : *program;
    for (std::uint32_t k = 0; k < from.size(); ++k) {
      const std::uint32_t operands[3] = {from[k].a, from[k].b, from[k].c};
      for (std::uint32_t j = 0; j < 3; ++j) {
        if (operands[j] == kNone) continue;
        const std::uint32_t r = operands[j] / static_cast<std::uint32_t>(sizeof(Value));
        if (r < reg_slot.size() && reg_slot[r] != kNone)
          fact_reads.push_back({program, k, j, reg_slot[r]});
      }
    }
  }
}

Value EvalState::param_value(std::uint32_t p, std::int64_t day) const {
  const ParameterValues& pv = g.parameters[p];
  if (pv.series.empty()) return pv.value;
  const Value* found = nullptr;
  for (const auto& [from, v] : pv.series) {
    if (from > day) break;
    found = &v;
  }
  return found ? *found : Value::missing();
}

Value EvalState::checked_date(std::int64_t day, std::uint32_t node) {
  if (!day_in_range(day)) return fail(node, Code::E501, "date out of range (years 0001-9999)");
  return Value::date(day);
}

// The dispatch table of complete(): skips and steps replaced by `noop`.
static bool fill_complete_table(const void** out, const void* const* from, const void* noop) {
  for (std::uint32_t k = 0; k <= kEnd; ++k) out[k] = from[k];
  for (std::uint32_t k = kRuleStep; k <= kOutputStep; ++k) out[k] = noop;
  for (std::uint32_t k = kSkipIfFalse; k <= kSkipUnlessFired; ++k) out[k] = noop;
  return true;
}

// The interpreter: each instruction reads its operands' registers and writes its own. Threaded
// dispatch (one indirect jump per instruction, through a table in code order) up to kEnd.
void EvalState::exec(const Instr* p) {
  static const void* const kDispatch[] = {&&op_constant,
                                          &&op_fact,
                                          &&op_fact_list,
                                          &&op_benefit_periods,
                                          &&op_fact_record,
                                          &&op_item_field,
                                          &&op_parameter,
                                          &&op_parameter_at,
                                          &&op_let,
                                          &&op_rule_fired,
                                          &&op_rule_date,
                                          &&op_as_of,
                                          &&op_status,
                                          &&op_decision_date,
                                          &&op_basis,
                                          &&op_coverage_cutoff,
                                          &&op_field,
                                          &&op_project,
                                          &&op_neg,
                                          &&op_not_,
                                          &&op_and_,
                                          &&op_or_,
                                          &&op_coalesce,
                                          &&op_if_,
                                          &&op_eq,
                                          &&op_ne,
                                          &&op_lt,
                                          &&op_le,
                                          &&op_gt,
                                          &&op_ge,
                                          &&op_add,
                                          &&op_sub,
                                          &&op_mul,
                                          &&op_div,
                                          &&op_in,
                                          &&op_not_in,
                                          &&op_between,
                                          &&op_is_missing,
                                          &&op_is_present,
                                          &&op_where,
                                          &&op_list,
                                          &&op_call,
                                          &&step_rule,
                                          &&step_decide,
                                          &&step_cutoff,
                                          &&step_output,
                                          &&where_eq,
                                          &&where_in,
                                          &&skip_if_false,
                                          &&skip_if_true,
                                          &&skip_if_present,
                                          &&skip_unless_true,
                                          &&skip_unless_false,
                                          &&skip_unless_fired,
                                          &&reject_if_false,
                                          &&all_of,
                                          &&first_item,
                                          &&last_item,
                                          &&where_loop,
                                          &&where_next,
                                          &&in_reject,
                                          &&present_reject,
                                          &&end};
  static_assert(sizeof(kDispatch) / sizeof(kDispatch[0]) == kEnd + 1);
  // complete(): the same program with every skip and step a no-op.
  static const void* kComplete[kEnd + 1];
  if (p == nullptr) {
    [[maybe_unused]] static const bool kCompleteReady =
        fill_complete_table(kComplete, kDispatch, &&next);
    dispatch_ = kDispatch;
    complete_dispatch_ = kComplete;
    return;
  }
  // The table's order is the codes' order: an Op added or moved must be added here in its place.
  constexpr Op kOrder[] = {Op::constant,    Op::fact,
                           Op::fact_list,   Op::benefit_periods,
                           Op::fact_record, Op::item_field,
                           Op::parameter,   Op::parameter_at,
                           Op::let,         Op::rule_fired,
                           Op::rule_date,   Op::as_of,
                           Op::status,      Op::decision_date,
                           Op::basis,       Op::coverage_cutoff,
                           Op::field,       Op::project,
                           Op::neg,         Op::not_,
                           Op::and_,        Op::or_,
                           Op::coalesce,    Op::if_,
                           Op::eq,          Op::ne,
                           Op::lt,          Op::le,
                           Op::gt,          Op::ge,
                           Op::add,         Op::sub,
                           Op::mul,         Op::div,
                           Op::in,          Op::not_in,
                           Op::between,     Op::is_missing,
                           Op::is_present,  Op::where,
                           Op::list,        Op::call};
  static_assert(sizeof(kOrder) / sizeof(kOrder[0]) == kRuleStep);
  static_assert([&] {
    for (std::uint8_t k = 0; k < kRuleStep; ++k)
      if (op_code(kOrder[k]) != k) return false;
    return true;
  }());
  Value* R = regs.data();
  Value* dst;
#define MMI_NEXT()     \
  do {                 \
    ++p;               \
    dst = p->rdst;     \
    goto * p->handler; \
  } while (false)
#define MMI_JUMP(offset) \
  do {                   \
    p += (offset);       \
    dst = p->rdst;       \
    goto * p->handler;   \
  } while (false)
#define MMI_SKIP_IF(skip)        \
  do {                           \
    if (skip) p += p->index - 1; \
    MMI_NEXT();                  \
  } while (false)
  dst = p->rdst;
  goto * p->handler;
  {
  next:
    MMI_NEXT();
  op_constant:
    *dst = g.nodes[p->node].constant;
    MMI_NEXT();
  op_fact:
    *dst = c->slots[p->index];
    MMI_NEXT();
  op_fact_list : {
    const CaseList& l = c->lists[p->index];
    *dst = Value::list(l.items.data(), static_cast<std::uint32_t>(l.items.size()));
    MMI_NEXT();
  }
  op_benefit_periods:
    *dst = benefit_periods(g.nodes[p->node]);
    MMI_NEXT();
  op_fact_record:
    *dst = Value::record(c->slots.data() + p->index, p->layout, -1);
    MMI_NEXT();
  op_item_field : {
    const Value& item = items[items.size() - 1 - p->scope];
    if (p->layout != kNone)
      *dst = Value::record(item.items + p->index, p->layout, -1);
    else
      *dst = item.items[p->index];
    MMI_NEXT();
  }
  op_parameter:
    *dst = param_value(p->index, as_of);
    MMI_NEXT();
  op_parameter_at : {
    const Value& d = *p->ra;
    if (d.kind == Kind::date)
      *dst = param_value(p->index, d.i);
    else
      *dst = d.kind == Kind::error ? d : Value::missing();
    MMI_NEXT();
  }
  op_let:  // never an instruction: a let is its root's register
    MMI_NEXT();
  op_rule_fired : {
    RuleState s = out.rules[p->index];
    *dst = s == RuleState::unknown ? Value::missing() : Value::boolean(s == RuleState::fired);
    MMI_NEXT();
  }
  op_rule_date:
    *dst = out.rule_dates[p->index];
    MMI_NEXT();
  op_as_of:
    *dst = Value::date(as_of);
    MMI_NEXT();
  op_status:
    *dst = status_v;
    MMI_NEXT();
  op_decision_date:
    *dst = date_v;
    MMI_NEXT();
  op_basis:
    *dst = basis_v;
    MMI_NEXT();
  op_coverage_cutoff:
    *dst = out.coverage_cutoff;
    MMI_NEXT();
  op_field : {
    const Value& r = *p->ra;
    if (r.kind != Kind::record)
      *dst = r.kind == Kind::error ? r : Value::missing();
    else if (p->layout != kNone)
      *dst = Value::record(r.items + p->index, p->layout, -1);
    else
      *dst = r.items[p->index];
    MMI_NEXT();
  }
  op_project : {
    const Value l = *p->ra;
    if (l.kind != Kind::list) {
      *dst = l.kind == Kind::error ? l : Value::missing();
      MMI_NEXT();
    }
    Value* items_out = arena.alloc(l.aux);
    for (std::uint32_t k = 0; k < l.aux; ++k) {
      const Value& rec = l.items[k];
      if (rec.kind != Kind::record)
        items_out[k] = Value::missing();
      else if (p->layout != kNone)
        items_out[k] = Value::record(rec.items + p->index, p->layout, -1);
      else
        items_out[k] = rec.items[p->index];
    }
    *dst = Value::list(items_out, l.aux);
    MMI_NEXT();
  }
  op_neg : {
    const Value& v = *p->ra;
    if (v.kind == Kind::number)
      *dst = Value::number(-v.as_number());
    else if (v.kind == Kind::duration || v.kind == Kind::period)
      *dst = Value::integral(v.kind, -v.i);
    else
      *dst = v;
    MMI_NEXT();
  }
  op_not_ : {
    const Value& v = *p->ra;
    if (v.kind == Kind::boolean)
      *dst = Value::boolean(!v.b);
    else
      *dst = v;
    MMI_NEXT();
  }
  op_and_ : {
    const Value& x = *p->ra;
    const Value& y = *p->rb;
    if (x.kind == Kind::error || x.is_false())
      *dst = x;
    else if (y.kind == Kind::error || y.is_false())
      *dst = y;
    else if (x.is_true() && y.is_true())
      *dst = x;
    else
      *dst = Value::missing();
    MMI_NEXT();
  }
  op_or_ : {
    const Value& x = *p->ra;
    const Value& y = *p->rb;
    if (x.kind == Kind::error || x.is_true())
      *dst = x;
    else if (y.kind == Kind::error || y.is_true())
      *dst = y;
    else if (x.is_false() && y.is_false())
      *dst = x;
    else
      *dst = Value::missing();
    MMI_NEXT();
  }
  op_coalesce : {
    const Value& x = *p->ra;
    *dst = x.kind != Kind::missing ? x : *p->rb;
    MMI_NEXT();
  }
  op_if_ : {
    const Value& cond = *p->ra;
    *dst = cond.kind == Kind::boolean ? *(cond.b ? p->rb : p->rc) : cond;
    MMI_NEXT();
  }
  op_eq:
  op_ne : {
    const Value& x = *p->ra;
    const Value& y = *p->rb;
    if (either_absent(x, y)) {
      *dst = absent_value(x, y);
      MMI_NEXT();
    }
    bool eq = scalar_equal(x, y);
    *dst = Value::boolean(p->code == op_code(Op::eq) ? eq : !eq);
    MMI_NEXT();
  }
  op_lt:
  op_le:
  op_gt:
  op_ge : {
    const Value& x = *p->ra;
    const Value& y = *p->rb;
    if (either_absent(x, y)) {
      *dst = absent_value(x, y);
      MMI_NEXT();
    }
    // Dates, durations and periods (most comparisons) compare as integers, inline; so do numbers
    // of one exponent (as compare() does first).
    int c3;
    if (x.kind >= Kind::date && x.kind <= Kind::period)
      c3 = (x.i > y.i) - (x.i < y.i);
    else if (x.kind == Kind::number && x.exp == y.exp)
      c3 = (x.coef > y.coef) - (x.coef < y.coef);
    else
      c3 = compare_values(x, y);
    bool b = p->code == op_code(Op::lt)   ? c3 < 0
             : p->code == op_code(Op::le) ? c3 <= 0
             : p->code == op_code(Op::gt) ? c3 > 0
                                          : c3 >= 0;
    *dst = Value::boolean(b);
    MMI_NEXT();
  }
  op_add:
  op_sub:
  op_mul:
  op_div : {
    const Value& x = *p->ra;
    const Value& y = *p->rb;
    if (either_absent(x, y)) {
      *dst = absent_value(x, y);
    } else if (x.kind == Kind::date && y.kind == Kind::duration && p->code != op_code(Op::mul) &&
               p->code != op_code(Op::div)) {
      // date ± days, the commonest arithmetic, without the call
      std::int64_t day = p->code == op_code(Op::add) ? x.i + y.i : x.i - y.i;
      *dst = day_in_range(day) ? Value::date(day) : checked_date(day, p->node);
    } else if (p->code == op_code(Op::mul) && x.kind == Kind::number && y.kind == Kind::number &&
               x.coef >= INT32_MIN && x.coef <= INT32_MAX && y.coef >= INT32_MIN &&
               y.coef <= INT32_MAX) {
      // Small coefficients: the product fits 64 bits (operator* without its 128-bit overflow
      // check; make() normalises it the same way). Without a trailing zero it is normalised.
      const std::int64_t product =
          static_cast<std::int64_t>(x.coef) * static_cast<std::int64_t>(y.coef);
      *dst = Value::number(product % 10 != 0 ? Decimal::raw(product, x.exp + y.exp)
                                             : Decimal::make(product, x.exp + y.exp));
    } else if (p->code == op_code(Op::mul) && x.kind == Kind::number &&
               (y.kind == Kind::duration || y.kind == Kind::period)) {
      // `3 * 1 week`, without arithmetic()'s switch; a whole factor in range inline, as scale().
      std::int64_t v = 0;
      if (x.exp == 0 && x.coef >= -1'000'000 && x.coef <= 1'000'000 &&
          (v = static_cast<std::int64_t>(x.coef) * y.i) >= -4'000'000 && v <= 4'000'000)
        *dst = Value::integral(y.kind, v);
      else
        *dst = scale(y, x.as_number(), p->node);
    } else {
      *dst = arithmetic(static_cast<Op>(p->code), x, y, p->node);
    }
    MMI_NEXT();
  }
  op_in:
  op_not_in : {
    const Value& x = *p->ra;
    const Value& l = *p->rb;
    if (either_absent(x, l)) {
      *dst = absent_value(x, l);
      MMI_NEXT();
    }
    bool found = false;
    for (std::uint32_t k = 0; k < l.aux && !found; ++k)
      found = l.items[k].kind == x.kind && scalar_equal(l.items[k], x);
    *dst = Value::boolean(p->code == op_code(Op::in) ? found : !found);
    MMI_NEXT();
  }
  op_between : {
    // A comparison: any missing operand makes it missing (language.md §4).
    const Value& x = *p->ra;
    const Value& lo = *p->rb;
    const Value& hi = *p->rc;
    if (std::min({x.kind, lo.kind, hi.kind}) > Kind::error && x.kind >= Kind::date &&
        x.kind <= Kind::period && lo.kind == x.kind)  // as compare_values(), inline
      *dst = Value::boolean(lo.i <= x.i && x.i <= hi.i);
    else if (x.kind == Kind::error)
      *dst = x;
    else if (lo.kind == Kind::error)
      *dst = lo;
    else if (hi.kind == Kind::error)
      *dst = hi;
    else if (x.is_missing() || lo.is_missing() || hi.is_missing())
      *dst = Value::missing();
    else
      *dst = Value::boolean(compare_values(lo, x) <= 0 && compare_values(x, hi) <= 0);
    MMI_NEXT();
  }
  op_is_missing:
  op_is_present : {
    const Value& v = *p->ra;
    if (v.kind == Kind::error)
      *dst = v;
    else
      *dst = Value::boolean((v.kind == Kind::missing) == (p->code == op_code(Op::is_missing)));
    MMI_NEXT();
  }
  op_where:
    *dst = where(*p);
    MMI_NEXT();
  where_eq:
    where_field<false>(*p, *dst);
    MMI_NEXT();
  where_in:
    where_field<true>(*p, *dst);
    MMI_NEXT();
  op_list:
    *dst = list(*p);
    MMI_NEXT();
  op_call:
    args_ = operand_regs.data() + p->ops;
    *dst = call(g.nodes[p->node], p->node);
    MMI_NEXT();
  skip_if_false : {
    const Value& x = *p->ra;
    MMI_SKIP_IF(x.kind == Kind::error || x.is_false());
  }
  skip_if_true : {
    const Value& x = *p->ra;
    MMI_SKIP_IF(x.kind == Kind::error || x.is_true());
  }
  skip_if_present:
    MMI_SKIP_IF(p->ra->kind != Kind::missing);
  skip_unless_true:
    MMI_SKIP_IF(!p->ra->is_true());
  skip_unless_false:
    MMI_SKIP_IF(!p->ra->is_false());
  skip_unless_fired:
    MMI_SKIP_IF(!p->ra->is_true() || (p->b != kNone && !p->rb->is_false()));
  reject_if_false : {
    const Value& x = *p->ra;
    if (x.kind == Kind::error || x.is_false()) {
      *dst = x;
      MMI_JUMP(p->index);  // to the loop's kWhereNext: the item is decided
    }
    MMI_NEXT();
  }
  in_reject : {
    const Value& x = *p->ra;
    const Value& l = *p->rb;
    if (either_absent(x, l)) {
      *dst = absent_value(x, l);
      if (dst->kind == Kind::error) {
        *p->rc = *dst;
        MMI_JUMP(p->index);
      }
      MMI_NEXT();
    }
    bool found = false;
    for (std::uint32_t k = 0; k < l.aux && !found; ++k)
      found = l.items[k].kind == x.kind && scalar_equal(l.items[k], x);
    *dst = Value::boolean(found);
    if (!found) {
      *p->rc = *dst;
      MMI_JUMP(p->index);
    }
    MMI_NEXT();
  }
  present_reject : {
    const Value& v = *p->ra;
    if (v.kind > Kind::error) {
      *dst = Value::boolean(true);
      MMI_NEXT();
    }
    *dst = v.kind == Kind::error ? v : Value::boolean(false);
    *p->rc = *dst;
    MMI_JUMP(p->index);
  }
  all_of : {
    // As the chain of `and`s: no conjunct before the last is false or an error (see reject).
    // The first three conjuncts are a, b and c; up to four, no operand list is read.
    const std::uint32_t* ops = operand_regs.data() + p->ops;
    const Value& last = p->count == 2 ? *p->rb : p->count == 3 ? *p->rc : R[ops[p->count - 1]];
    if (last.kind == Kind::error || last.is_false()) {
      *dst = last;
      MMI_NEXT();
    }
    // The conjuncts before the last are true or missing here: all true is all boolean.
    bool all = last.is_true() && p->ra->kind == Kind::boolean;
    if (p->count >= 3) all &= p->rb->kind == Kind::boolean;
    if (p->count >= 4) all &= p->rc->kind == Kind::boolean;
    for (std::uint32_t k = 3; k + 1 < p->count; ++k) all &= R[ops[k]].kind == Kind::boolean;
    *dst = all ? Value::boolean(true) : Value::missing();
    MMI_NEXT();
  }
  first_item:
  last_item : {
    // As builtins.cpp's first/last: an error passes, anything else not a list is missing.
    const Value& l = *p->ra;
    if (l.kind != Kind::list)
      *dst = l.kind == Kind::error ? l : Value::missing();
    else if (l.aux == 0)
      *dst = Value::missing();
    else
      *dst = l.items[p->code == kFirstItem ? 0 : l.aux - 1];
    MMI_NEXT();
  }
  where_loop : {
    const Value& l = *p->ra;
    if (l.kind != Kind::list) {
      *dst = l.kind == Kind::error ? l : Value::missing();
      MMI_JUMP(p->index);
    }
    Value* kept = arena.alloc(l.aux);
    if (l.aux == 0) {
      *dst = Value::list(kept, 0);
      MMI_JUMP(p->index);
    }
    frames.push_back({l.items, l.aux, 0, kept, 0});
    if (p->scope) items.push_back(l.items[0]);
    preload(*p, l.items[0]);
    MMI_NEXT();
  }
  where_next : {
    WhereFrame& f = frames.back();
    const Value& keep = *p->rb;
    if (keep.kind == Kind::error) {
      *dst = keep;
    } else {
      if (keep.is_true()) f.kept[f.kept_count++] = f.items[f.next];
      if (++f.next < f.size) {
        if (p->scope) items.back() = f.items[f.next];
        preload(*p, f.items[f.next]);
        MMI_JUMP(-static_cast<std::int64_t>(p->index));  // the block again, for the next item
      }
      *dst = Value::list(f.kept, f.kept_count);
    }
    if (p->scope) items.pop_back();
    frames.pop_back();
    MMI_NEXT();
  }
  step_rule : {
    // A rule from its when, unless and mmi_date. An error read stops the case (the rule stays
    // unknown); unless is read only when `when` is neither false nor an error, the date only when
    // the rule fires (the same reads the program's skips assume).
    // Every path writes the rule's state and date (dst: out.rule_dates[index]): reset_for()
    // leaves them to this step.
    static const Value kNoUnless = Value::boolean(false);
    const Value& when = *p->ra;
    *dst = Value();
    if (when.kind == Kind::error) {
      out.rules[p->index] = RuleState::unknown;
      set_error(when);
      MMI_NEXT();
    }
    RuleState state = RuleState::not_fired;
    if (!when.is_false()) {
      const Value& unless = p->b == kNone ? kNoUnless : *p->rb;
      if (unless.kind == Kind::error) {
        out.rules[p->index] = RuleState::unknown;
        set_error(unless);
        MMI_NEXT();
      }
      if (unless.is_true()) {
        state = RuleState::not_fired;
      } else if (when.is_true() && unless.is_false()) {
        // A rule that fires without a date stays fired but cannot decide (see decide()).
        const Value& date = *p->rc;
        if (date.kind == Kind::error) {
          out.rules[p->index] = RuleState::unknown;
          set_error(date);
          MMI_NEXT();
        }
        if (date.kind == Kind::date) *dst = date;
        state = RuleState::fired;
      } else {
        state = RuleState::unknown;
      }
    }
    out.rules[p->index] = state;
    MMI_NEXT();
  }
  step_decide:
    if (!out.error)
      decide();
    else  // what decide() would have set (reset_for() leaves them to this step)
      status_v = date_v = basis_v = Value::missing();
    MMI_NEXT();
  step_cutoff:
    if (!out.error) {
      out.coverage_cutoff = *p->ra;
      set_error(out.coverage_cutoff);
    }
    MMI_NEXT();
  step_output:  // dst: out.outputs[index], written on every path (reset_for() leaves it)
    if (!out.error) {
      *dst = *p->ra;
      if (dst->kind == Kind::error) set_error(*dst);
    } else {
      *dst = Value();
    }
    MMI_NEXT();
  }
end:
  return;
#undef MMI_NEXT
#undef MMI_SKIP_IF
#undef MMI_JUMP
}

// A where whose condition is the same for every item (computed outside): all items or none.
// (Conditions that read the items run as kWhereLoop loops.)
Value EvalState::where(const Instr& in) {
  const Value l = *in.ra;
  if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
  Value* kept_items = arena.alloc(l.aux);
  const Value& keep = *in.rb;
  if (l.aux > 0 && keep.kind == Kind::error) return keep;
  std::uint32_t kept = keep.is_true() ? l.aux : 0;
  std::copy(l.items, l.items + kept, kept_items);
  return Value::list(kept_items, kept);
}

// kWhereEq / kWhereIn: as where() with the condition `field == x` / `field in x`, inline.
// Inline in exec(), writing the where's register (`out`, never an operand's) once at the end.
template <bool kIn>
[[gnu::always_inline]] inline void EvalState::where_field(const Instr& in, Value& out) {
  const Value& l = *in.ra;
  if (l.kind != Kind::list) {
    out = l.kind == Kind::error ? l : Value::missing();
    return;
  }
  const Value* const items = l.items;  // read once: the stores below could alias l
  const std::uint32_t size = l.aux;
  const Value& x = *in.rb;
  Value* kept_items = arena.alloc(size);
  std::uint32_t kept = 0;
  for (std::uint32_t k = 0; k < size; ++k) {
    const Value& field = items[k].items[in.index];
    if (either_absent(field, x)) {
      const Value& keep = absent_value(field, x);
      if (keep.kind == Kind::error) {
        out = keep;
        return;
      }
      continue;
    }
    bool found = false;
    if constexpr (kIn) {
      for (std::uint32_t j = 0; j < x.aux && !found; ++j)
        found = x.items[j].kind == field.kind && scalar_equal(x.items[j], field);
    } else {
      found = scalar_equal(field, x);
    }
    if (found) kept_items[kept++] = items[k];
  }
  out = Value::list(kept_items, kept);
}

Value EvalState::list(const Instr& in) {
  Value* out_items = arena.alloc(in.count);
  const std::uint32_t* ops = operand_regs.data() + in.ops;
  for (std::uint32_t k = 0; k < in.count; ++k) {
    out_items[k] = regs[ops[k]];
    if (out_items[k].kind == Kind::error) return out_items[k];
  }
  return Value::list(out_items, in.count);
}

Value EvalState::arithmetic(Op op, const Value& x, const Value& y, std::uint32_t node) {
  Kind a = x.kind, b = y.kind;
  switch (op) {
    case Op::add:
      if (a == Kind::number) return Value::number(x.as_number() + y.as_number());
      if (a == Kind::date && b == Kind::duration) return checked_date(x.i + y.i, node);
      if (a == Kind::duration && b == Kind::date) return checked_date(x.i + y.i, node);
      if (a == Kind::date && b == Kind::period) return add_period(x.i, y.i, node);
      if (a == Kind::period && b == Kind::date) return add_period(y.i, x.i, node);
      if (a == b) return checked_span(a, x.i, y.i, false, node);
      break;
    case Op::sub:
      if (a == Kind::number) return Value::number(x.as_number() - y.as_number());
      if (a == Kind::date && b == Kind::date) return Value::duration(x.i - y.i);
      if (a == Kind::date && b == Kind::duration) return checked_date(x.i - y.i, node);
      if (a == Kind::date && b == Kind::period) return add_period(x.i, -y.i, node);
      if (a == b) return checked_span(a, x.i, y.i, true, node);
      break;
    case Op::mul:
      if (a == Kind::number && b == Kind::number)
        return Value::number(x.as_number() * y.as_number());
      if (b == Kind::number) return scale(x, y.as_number(), node);
      if (a == Kind::number) return scale(y, x.as_number(), node);
      break;
    case Op::div:
      if (b == Kind::number) {
        if (y.coef == 0) return fail(node, Code::E500, "division by zero");
        if (a == Kind::number) return Value::number(Decimal::divide(x.as_number(), y.as_number()));
        Decimal q = Decimal::divide(Decimal::from_int(x.i), y.as_number()).floor();
        auto whole = q.to_int64_floor();
        if (!whole) return fail(node, Code::E501, "duration out of range");
        return Value::integral(a, *whole);
      }
      if (y.i == 0) return fail(node, Code::E500, "division by zero");
      return Value::number(Decimal::divide(Decimal::from_int(x.i), Decimal::from_int(y.i)));
    default:
      break;
  }
  return fail(node, Code::E201, "operator applied to values of the wrong kinds");
}

// Durations and periods added or subtracted: hostile policies could otherwise overflow.
Value EvalState::checked_span(Kind kind, std::int64_t x, std::int64_t y, bool subtract,
                              std::uint32_t node) {
  std::int64_t r;
  bool overflow = subtract ? __builtin_sub_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r);
  if (overflow || r > 1'000'000'000'000 || r < -1'000'000'000'000)
    return fail(node, Code::E501,
                kind == Kind::period ? "period out of range" : "duration out of range");
  return Value::integral(kind, r);
}

Value EvalState::add_period(std::int64_t day, std::int64_t months, std::uint32_t node) {
  if (months > 120000 || months < -120000) return fail(node, Code::E501, "date out of range");
  auto d = add_months(static_cast<DayNumber>(day), months);
  if (!d) return fail(node, Code::E501, "date out of range (years 0001-9999)");
  return Value::date(*d);
}

// duration × number and period × number, rounded down to whole days / months.
Value EvalState::scale(const Value& span, const Decimal& factor, std::uint32_t node) {
  std::int64_t whole_factor;
  if (factor.exponent() == 0 && factor.coefficient() >= -1'000'000 &&
      factor.coefficient() <= 1'000'000) {
    // Whole factors (the common `3 * 1 week`) need no decimal arithmetic.
    whole_factor = static_cast<std::int64_t>(factor.coefficient());
    std::int64_t v = span.i * whole_factor;
    if (v > 4'000'000 || v < -4'000'000) return fail(node, Code::E501, "duration out of range");
    return Value::integral(span.kind, v);
  }
  Decimal product = (Decimal::from_int(span.i) * factor).floor();
  auto whole = product.to_int64_floor();
  if (!whole || *whole > 4'000'000 || *whole < -4'000'000)
    return fail(node, Code::E501, "duration out of range");
  return Value::integral(span.kind, *whole);
}

void EvalState::reset_for(const CaseData& data, const EvalOptions& options) {
  c = &data;
  ++evaluation;
  as_of = options.as_of ? *options.as_of : data.as_of;
  arena.reset();
  errors.clear();
  items.clear();
  frames.clear();
  // status, mmi_date and basis: written by decide(), or by run() when it does not decide.
  out.as_of = as_of;
  as_of_v = Value::date(as_of);
  out.coverage_cutoff = Value::missing();
  out.error.reset();
}

// The rules' states and dates and the outputs as before any step: the program's steps write
// every one of them (so run() calls this only for a case it does not run, or a program whose
// rules do not each have one step).
void EvalState::clear_results() {
  std::fill(out.rules.begin(), out.rules.end(), RuleState::unknown);
  // Value is trivially copyable and all-zero bytes are `missing` (no memset of an empty vector's
  // null data).
  for (std::vector<Value>* values : {&out.rule_dates, &out.outputs})
    if (!values->empty())
      std::memset(static_cast<void*>(values->data()), 0, values->size() * sizeof(Value));
}

void EvalState::set_error(const Value& v) {
  if (out.error || v.kind != Kind::error) return;
  out.error = errors[v.aux];
}

void EvalState::decide() {
  const CheckedPolicy& p = g.policy;
  const RuleState* const rules = out.rules.data();
  const Value* const dates = out.rule_dates.data();
  std::int32_t winner = -1;
  bool all_not_fired = true;
  bool blocked = false;
  if (p.hit == HitPolicy::first) {
    for (std::uint32_t r : p.precedence) {
      RuleState s = rules[r];
      if (s != RuleState::not_fired) all_not_fired = false;
      // An unknown rule, or a fired one without a date, ahead of the winner leaves it open.
      if (s == RuleState::unknown || (s == RuleState::fired && dates[r].kind != Kind::date)) {
        blocked = true;
        break;
      }
      if (s == RuleState::fired) {
        winner = static_cast<std::int32_t>(r);
        break;
      }
    }
  } else {
    std::int64_t earliest = 0;
    for (std::uint32_t r : p.precedence) {
      RuleState s = rules[r];
      all_not_fired &= s == RuleState::not_fired;
      if (s == RuleState::fired && dates[r].kind == Kind::date &&
          (winner < 0 || dates[r].i < earliest)) {
        winner = static_cast<std::int32_t>(r);
        earliest = dates[r].i;
      }
    }
  }
  // Every field of the decision written here (reset_for() leaves them).
  if (!blocked && winner >= 0) {
    out.status = Status::reached;
    out.basis = winner;
    out.mmi_date = date_v = dates[winner];
    basis_v = Value::string(g.rule_ids[static_cast<std::size_t>(winner)]);
  } else {
    out.status = !blocked && all_not_fired ? Status::not_reached : Status::undetermined;
    out.basis = -1;
    out.mmi_date = date_v = basis_v = Value::missing();
  }
  status_v = Value::string(g.status_names[static_cast<int>(out.status)]);
}

const Outcome& EvalState::run(const CaseData& data, const EvalOptions& options) {
  reset_for(data, options);
  if (data.slots.data() != linked_slots_ && !fact_reads.empty()) link_facts(data.slots.data());
  complete_ = true;  // until the program runs: nothing of this case to complete
  if (data.error || !rule_steps_write_) clear_results();
  if (data.error) status_v = date_v = basis_v = Value::missing();
  if (data.error) {
    out.status = Status::error;
    out.mmi_date = Value::missing();
    out.basis = -1;
    out.error = EvalError{data.error->code, data.error->message, data.error->at};
    return out;
  }
  exec(main.data());
  complete_ = !has_skips_;
  if (out.error) {
    out.status = Status::error;
    out.mmi_date = out.coverage_cutoff = Value::missing();
    out.basis = -1;
  }
  return out;
}

Evaluator::Evaluator(std::shared_ptr<const Graph> graph)
    : s_(std::make_unique<EvalState>(std::move(graph))) {}
Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;

const Outcome& Evaluator::evaluate(const CaseData& c, const EvalOptions& options) {
  return s_->run(c, options);
}
const Outcome& Evaluator::outcome() const {
  return s_->out;
}
Value EvalState::covered_from() {
  if (covered_reg == kNone || out.status == Status::error) return Value::missing();
  complete();
  exec(covered.data());
  return reg_value(covered_reg);
}

Value Evaluator::covered_from() {
  return s_->covered_from();
}
const Graph& Evaluator::graph() const {
  return s_->g;
}
std::vector<std::string> Evaluator::missing_facts() {
  return s_->missing_facts();
}

}  // namespace mmi
