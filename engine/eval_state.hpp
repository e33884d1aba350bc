// Internal to the evaluator: the per-evaluation state one Evaluator owns, shared by the files that
// make up evaluation — evaluator.cpp (nodes, rules, the decision), builtins.cpp (built-in
// functions), case_model.cpp (the standard case model's periods), missing.cpp (why a rule is
// unknown) and explain.cpp (why a rule decided). Not part of the engine's API.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/evaluator.hpp"

namespace mmi {

// Chunked bump allocator for lists built while evaluating; reset per case, memory kept.
class Arena {
 public:
  Value* alloc(std::size_t n) {
    if (n == 0) n = 1;
    while (true) {
      if (block_ < blocks_.size()) {
        if (used_ + n <= sizes_[block_]) {
          Value* p = blocks_[block_].get() + used_;
          used_ += n;
          return p;
        }
        ++block_;
        used_ = 0;
        continue;
      }
      std::size_t size = std::max<std::size_t>(4096, n);
      blocks_.emplace_back(new Value[size]);
      sizes_.push_back(size);
    }
  }
  void reset() {
    block_ = 0;
    used_ = 0;
  }

 private:
  std::vector<std::unique_ptr<Value[]>> blocks_;
  std::vector<std::size_t> sizes_;
  std::size_t block_ = 0, used_ = 0;
};

// Orders two present values of one kind.
int compare_values(const Value& a, const Value& b);

struct EvalState {
  std::shared_ptr<const Graph> graph;
  const Graph& g;
  const CaseData* c = nullptr;
  DayNumber as_of = 0;
  std::vector<Value> lets;
  std::vector<Value> memo;
  std::vector<std::uint32_t> memo_gen;
  std::uint32_t gen = 0;
  std::vector<Value> items;  // enclosing `where` items, innermost last
  Arena arena;
  // Scratch space for built-ins that sort (kept across evaluations: no allocation once warm).
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  std::vector<Decimal> numbers;
  std::vector<EvalError> errors;
  Outcome out;
  Value status_v, date_v, basis_v;

  explicit EvalState(std::shared_ptr<const Graph> gr);

  Value fail(std::uint32_t node, Code code, std::string message) {
    errors.push_back({code, std::move(message), g.node_location(node).to_string()});
    return Value::error(static_cast<std::uint32_t>(errors.size() - 1));
  }

  __attribute__((always_inline)) inline Value operand(const Node& n, std::uint32_t k) {
    return eval(g.operand(n, k));
  }

  __attribute__((always_inline)) inline Value eval(std::uint32_t i) {
    const Node& n = g.nodes[i];
    // Leaves are half the nodes: answer them here, without a call into compute().
    switch (n.op) {
      case Op::constant:
        return n.constant;
      case Op::fact:
        return c->slots[n.index];
      case Op::let:
        return lets[n.index];
      default:
        break;
    }
    if (n.memo >= 0) {
      auto m = static_cast<std::size_t>(n.memo);
      if (memo_gen[m] == gen) return memo[m];
      Value v = compute(n, i);
      memo[m] = v;
      memo_gen[m] = gen;
      return v;
    }
    return compute(n, i);
  }

  // Propagation shared by strict operators: the first error, else missing if any is missing.
  static bool absent(const Value& x, const Value& y, Value& result) {
    if (x.kind == Kind::error) return result = x, true;
    if (y.kind == Kind::error) return result = y, true;
    if (x.kind == Kind::missing || y.kind == Kind::missing) return result = Value::missing(), true;
    return false;
  }

  Value compute(const Node& n, std::uint32_t i);               // evaluator.cpp
  Value call(const Node& n, std::uint32_t i);                  // builtins.cpp
  Value benefit_periods(const Node& n);                        // case_model.cpp
  Value param_value(std::uint32_t p, std::int64_t day) const;  // evaluator.cpp
  Value checked_date(std::int64_t day, std::uint32_t node);    // evaluator.cpp
  const Outcome& run(const CaseData& data, const EvalOptions& options);

  // ---- why is a rule unknown? (missing.cpp) ----
  std::set<std::string> found;
  std::vector<bool> traced_rules, traced_lets;
  std::unordered_map<std::uint32_t, std::string> slot_paths;
  std::vector<std::uint32_t> pending;  // a work list: chains of lets can be as long as a policy
  std::vector<std::string> missing_facts();
  void queue_rule(std::uint32_t r);
  void trace(std::uint32_t start);
  void trace_one(std::uint32_t i);
  std::string item_path(const Value& record, std::uint32_t offset);

  // ---- explanations (explain.cpp) ----
  std::vector<bool> explained_lets;  // a let is unfolded once per explanation
  Explanation explain(std::uint32_t i, int depth);

 private:
  Value arithmetic(Op op, const Value& x, const Value& y, std::uint32_t node);
  Value checked_span(Kind kind, std::int64_t x, std::int64_t y, bool subtract, std::uint32_t node);
  Value add_period(std::int64_t day, std::int64_t months, std::uint32_t node);
  Value scale(const Value& span, const Decimal& factor, std::uint32_t node);
  void reset_for(const CaseData& data, const EvalOptions& options);
  void set_error(const Value& v);
  void eval_rule(std::uint32_t r);
  void decide();
};

}  // namespace mmi
