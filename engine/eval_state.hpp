// Internal to the evaluator: the per-evaluation state one Evaluator owns, shared by the files that
// make up evaluation — evaluator.cpp (nodes, rules, the decision), builtins.cpp (built-in
// functions), case_model.cpp (the standard case model's periods), missing.cpp (why a rule is
// unknown) and explain.cpp (why a rule decided). Not part of the engine's API.
#pragma once

#include <algorithm>
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
  // Inline everywhere (GCC would call it out of line): the fast path is a compare and an add.
  [[gnu::always_inline]] Value* alloc(std::size_t n) {
    if (n == 0) n = 1;
    if (static_cast<std::size_t>(end_ - next_) >= n) {  // the common case, inline
      Value* p = next_;
      next_ += n;
      return p;
    }
    return grow(n);
  }
  void reset() {
    block_ = 0;
    next_ = end_ = nullptr;
    if (!blocks_.empty()) start_block();
  }

 private:
  std::vector<std::unique_ptr<Value[]>> blocks_;
  std::vector<std::size_t> sizes_;
  std::size_t block_ = 0;                   // the block next_ points into
  Value *next_ = nullptr, *end_ = nullptr;  // free space in it

  void start_block() {
    next_ = blocks_[block_].get();
    end_ = next_ + sizes_[block_];
  }
  // The next block with room for n (kept blocks first, then a new one).
  [[gnu::noinline]] Value* grow(std::size_t n) {
    while (!blocks_.empty() && block_ + 1 < blocks_.size()) {
      ++block_;
      start_block();
      if (static_cast<std::size_t>(end_ - next_) >= n) return alloc(n);
    }
    std::size_t size = std::max<std::size_t>(4096, n);
    blocks_.emplace_back(new Value[size]);
    sizes_.push_back(size);
    block_ = blocks_.size() - 1;
    start_block();
    return alloc(n);
  }
};

// Orders two present values of one kind.
int compare_values(const Value& a, const Value& b);

// One step of the evaluation program (engine/evaluator.cpp): a graph node computed into a
// register from the registers of its operands, or one of the steps of the decision below. The
// program is the graph in evaluation order with no recursion: operands are computed before their
// users, each node once per evaluation (nodes read per `where` item once per item, in the where's
// own block), constant sub-expressions folded when the program is built.
struct Instr {
  std::uint8_t code = 0;    // an Op, or a step (kRuleStep…)
  std::uint8_t scope = 0;   // item_field: as Node::scope; where: 1 if its block reads `items`
  std::uint16_t count = 0;  // operands
  std::uint32_t dst = 0;    // the register written
  std::uint32_t a = kNone, b = kNone, c = kNone;  // the first three operands' registers
  std::uint32_t index = 0, layout = kNone;        // the node's payload (a step's rule or output)
  std::uint32_t node = 0;                         // the graph node (payload, error locations)
  std::uint32_t ops = 0;        // every operand's register: EvalState::operand_regs
  std::uint32_t sub_begin = 0;  // where: the condition's per-item block in `code` (to its kEnd;
                                // 0: the empty block, the condition read no item)
  std::uint32_t pre_begin = 0, pre_end = 0;  // where: item fields copied per item, in `preloads`
  const void* handler = nullptr;  // exec()'s code for `code` (direct threading; see link())
  // dst, a, b, c as pointers into the registers (linked: regs never moves after the build; a
  // register not named points nowhere).
  Value *rdst = nullptr, *ra = nullptr, *rb = nullptr, *rc = nullptr;
};

// A field of the `where` item copied into a register before the condition's block runs.
struct Preload {
  std::uint32_t offset, reg;  // byte offsets in the item's fields and in the registers
};

// Instructions name registers (dst, a, b, c) and preloads their fields by byte offset once the
// program is built (index × sizeof(Value): no scaling per read); kNone stays kNone.
constexpr std::uint32_t byte_offset(std::uint32_t index) {
  return index == kNone ? kNone : index * static_cast<std::uint32_t>(sizeof(Value));
}
inline Value& at_offset(Value* base, std::uint32_t offset) {
  return *reinterpret_cast<Value*>(reinterpret_cast<char*>(base) + offset);
}
inline const Value& at_offset(const Value* base, std::uint32_t offset) {
  return *reinterpret_cast<const Value*>(reinterpret_cast<const char*>(base) + offset);
}

constexpr std::uint8_t op_code(Op op) {
  return static_cast<std::uint8_t>(op);
}
// Steps of the decision, in the program after the nodes they read; codes follow Op's.
constexpr std::uint8_t kRuleStep = op_code(Op::call) + 1;  // index = rule; a, b, c = when, unless,
                                                           // mmi_date
constexpr std::uint8_t kDecideStep = kRuleStep + 1;
constexpr std::uint8_t kCutoffStep = kRuleStep + 2;  // a = the cutoff
constexpr std::uint8_t kOutputStep = kRuleStep + 3;  // index = output; a = its value
// `list where field == x` and `list where field in x` (x the same for every item), the commonest
// conditions, run without a block: a = the list, b = x, index = the field's offset.
constexpr std::uint8_t kWhereEq = kRuleStep + 4;
constexpr std::uint8_t kWhereIn = kRuleStep + 5;
// Short-circuits: the operand a node reads only on some values of another is computed in a
// region that follows one of these; it jumps over the region (index = instructions to skip,
// counted from itself) when the value in `a` (and `b`) means the region's value is not read.
constexpr std::uint8_t kSkipIfFalse = kRuleStep + 6;       // `and`'s right side, a rule's unless:
                                                           // a is an error or false
constexpr std::uint8_t kSkipIfTrue = kRuleStep + 7;        // `or`'s right side: error or true
constexpr std::uint8_t kSkipIfPresent = kRuleStep + 8;     // `??`'s right side: a not missing
constexpr std::uint8_t kSkipUnlessTrue = kRuleStep + 9;    // `if`'s then: a not true
constexpr std::uint8_t kSkipUnlessFalse = kRuleStep + 10;  // `if`'s else: a not false
constexpr std::uint8_t kSkipUnlessFired = kRuleStep + 11;  // a rule's mmi_date: not (when a
                                                           // true and unless b absent or false)
// A `where` condition that is a chain `c1 and c2 and … and cn` runs as its conjuncts: after
// each but the last, kRejectIfFalse ends the item's block (jumps `index` ahead, to its
// kWhereNext) when the conjunct in `a` is false or an error (the condition's value, into dst);
// kAllOf (operands c1…cn) gives the chain's value when
// none was.
constexpr std::uint8_t kRejectIfFalse = kRuleStep + 12;
constexpr std::uint8_t kAllOf = kRuleStep + 13;
// first(list) and last(list), the commonest calls, inline: a = the list.
constexpr std::uint8_t kFirstItem = kRuleStep + 14;
constexpr std::uint8_t kLastItem = kRuleStep + 15;
// A `where` whose condition reads the items runs its condition's block inline, as a loop:
// kWhereLoop (a = the list, b = the condition; index: instructions to skip when there is no
// item), the block, then kWhereNext (index: the block's length, jumped back for the next item).
// Both name the where's register (dst), its preloads and in `scope` whether it pushes its item.
constexpr std::uint8_t kWhereLoop = kRuleStep + 16;
constexpr std::uint8_t kWhereNext = kRuleStep + 17;
// A conjunct `x in list` or `x is present` followed by its kRejectIfFalse, as one instruction:
// the conjunct into dst, then the reject (rc: the reject's dst; index: its jump).
constexpr std::uint8_t kInReject = kRuleStep + 18;
constexpr std::uint8_t kPresentReject = kRuleStep + 19;
constexpr std::uint8_t kEnd = kRuleStep + 20;  // every block ends with one

struct EvalState {
  std::shared_ptr<const Graph> graph;
  const Graph& g;
  const CaseData* c = nullptr;
  DayNumber as_of = 0;
  std::vector<Value> items;  // enclosing `where` items, innermost last
  Arena arena;
  // Scratch space for built-ins that sort (kept across evaluations: no allocation once warm).
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  // What `spans` holds: the list (items, size), its from/to offsets, and the evaluation (a list
  // of this evaluation is never changed; the next one may reuse its arena address).
  struct SpansOf {
    const Value* items = nullptr;
    std::uint32_t size = 0, from = kNone, to = kNone;
    std::uint64_t evaluation = 0;
  } spans_of;
  std::uint64_t evaluation = 0;  // counts run()s
  std::vector<Decimal> numbers;
  std::vector<EvalError> errors;
  Outcome out;
  Value status_v, date_v, basis_v;

  // ---- the program (built once per evaluator from the graph) ----
  std::vector<Value> regs;                  // registers: node i's is i; per-item nodes' follow
  std::vector<std::uint32_t> node_reg;      // a node's register after run() (kNone: per item)
  std::vector<std::uint32_t> operand_regs;  // Instr::ops
  std::vector<Instr> code;                  // the `where` blocks
  std::vector<Preload> preloads;            // Instr::pre_begin…pre_end
  std::vector<Instr> main;                  // lets, rules, decision, cutoff, outputs
  std::vector<Instr> main_complete;         // main as complete() runs it (made on first use)
  // Facts read in place: no instruction copies them; the operands that read them point into the
  // case's slots (relinked when a case's slots are elsewhere). Per register: its slot, or kNone.
  std::vector<std::uint32_t> reg_slot;
  struct FactRead {
    std::vector<Instr>* program;
    std::uint32_t instr, operand, slot;  // operand: 0, 1, 2 for a, b, c
  };
  std::vector<FactRead> fact_reads;
  // Nodes whose value has a fixed place (as_of, status, decision_date, basis, rule_date) are read
  // there the same way: per register, that place (null: none).
  std::vector<const Value*> reg_ptr;
  Value as_of_v;
  const Value* linked_slots_ = nullptr;  // the slots fact_reads point into
  void link_facts(const Value* slots) {
    for (const FactRead& f : fact_reads) {
      if (f.program->empty()) continue;  // main_complete before its first use
      Instr& in = (*f.program)[f.instr];
      const Value* v = slots + f.slot;
      (f.operand == 0 ? in.ra : f.operand == 1 ? in.rb : in.rc) = const_cast<Value*>(v);
    }
    linked_slots_ = slots;
  }
  const void* const* dispatch_ = nullptr;           // exec()'s handlers by code
  const void* const* complete_dispatch_ = nullptr;  // the same, skips and steps no-ops
  // The running kWhereLoop loops, innermost last.
  struct WhereFrame {
    const Value* items;
    std::uint32_t size, next;  // items, and the one the block runs for
    Value* kept;
    std::uint32_t kept_count;
  };
  std::vector<WhereFrame> frames;
  std::vector<Instr> covered;  // covered_from, run on demand
  std::uint32_t covered_reg = kNone;
  std::vector<std::unique_ptr<Value[]>> folded_lists;  // constant lists' items
  const std::uint32_t* args_ = nullptr;  // the running instruction's operand registers
  bool has_skips_ = false;               // the main program short-circuits somewhere
  bool complete_ = true;                 // every register of main computed (see complete())
  bool rule_steps_write_ = false;        // each rule has one step (see clear_results())

  explicit EvalState(std::shared_ptr<const Graph> gr);

  Value fail(std::uint32_t node, Code code, std::string message) {
    errors.push_back({code, std::move(message), g.node_location(node).to_string()});
    return Value::error(static_cast<std::uint32_t>(errors.size() - 1));
  }

  // While an instruction runs: its k-th operand (built-ins read their arguments this way).
  const Value& arg(std::uint32_t k) const { return regs[args_[k]]; }
  // After run(): the value node i had (nodes read per `where` item have none: missing).
  Value value_of(std::uint32_t i) const {
    std::uint32_t r = node_reg[i];
    return r == kNone ? Value::missing() : reg_value(r);
  }
  // Register r's value after run(): a fact read in place is the case's slot.
  Value reg_value(std::uint32_t r) const {
    if (r < reg_ptr.size() && reg_ptr[r]) return *reg_ptr[r];
    return r < reg_slot.size() && reg_slot[r] != kNone ? c->slots[reg_slot[r]] : regs[r];
  }
  Value operand_value(const Node& n, std::uint32_t k) const { return value_of(g.operand(n, k)); }

  // As absent(), for the interpreter: one compare when both are present (missing and error are
  // the two lowest kinds), then the value to propagate.
  static bool either_absent(const Value& x, const Value& y) {
    static_assert(Kind::missing < Kind::error && Kind::error < Kind::boolean);
    return std::min(static_cast<std::uint8_t>(x.kind), static_cast<std::uint8_t>(y.kind)) <=
           static_cast<std::uint8_t>(Kind::error);
  }
  static const Value& absent_value(const Value& x, const Value& y) {
    static const Value kMissing;
    return x.kind == Kind::error ? x : y.kind == Kind::error ? y : kMissing;
  }
  // Propagation shared by strict operators: the first error, else missing if any is missing.
  static bool absent(const Value& x, const Value& y, Value& result) {
    if (x.kind == Kind::error) return result = x, true;
    if (y.kind == Kind::error) return result = y, true;
    if (x.kind == Kind::missing || y.kind == Kind::missing) return result = Value::missing(), true;
    return false;
  }

  // Runs instructions up to kEnd (evaluator.cpp); exec(nullptr) only fills dispatch_ and
  // complete_dispatch_.
  void exec(const Instr* p);
  // Each instruction's handler from its code: `table` is dispatch_, or complete_dispatch_ for
  // main_complete.
  void link(std::vector<Instr>& program, const void* const* table) {
    for (Instr& in : program) link(in, table);
  }
  void link(Instr& in, const void* const* table) {
    in.handler = table[in.code];
    Value* const base = regs.data();
    auto reg = [&](std::uint32_t offset) -> Value* {
      if (offset == kNone) return nullptr;
      const std::uint32_t r = offset / static_cast<std::uint32_t>(sizeof(Value));
      if (r < reg_ptr.size() && reg_ptr[r]) return const_cast<Value*>(reg_ptr[r]);
      return &at_offset(base, offset);
    };
    in.rdst = reg(in.dst);
    // The rule and output steps write their results in place (out's vectors never move).
    if (in.code == kRuleStep) in.rdst = out.rule_dates.data() + in.index;
    if (in.code == kOutputStep) in.rdst = out.outputs.data() + in.index;
    in.ra = reg(in.a);
    in.rb = reg(in.b);
    in.rc = reg(in.c);
  }
  // After run(): computes what short-circuits skipped, for what reads nodes' registers after an
  // evaluation (explanations, missing facts, covered_from): main again with every skip and step
  // a no-op. Values are pure: the skipped nodes get exactly the values an eager evaluation gives
  // them.
  void complete() {
    if (complete_) return;
    complete_ = true;
    if (main_complete.empty()) {  // made on first use: most evaluators never need it
      main_complete = main;
      link(main_complete, complete_dispatch_);
      if (!fact_reads.empty()) link_facts(linked_slots_);  // link() pointed them at registers
    }
    exec(main_complete.data());
  }
  Value call(const Node& n, std::uint32_t i);                  // builtins.cpp
  Value benefit_periods(const Node& n);                        // case_model.cpp
  Value param_value(std::uint32_t p, std::int64_t day) const;  // evaluator.cpp
  Value checked_date(std::int64_t day, std::uint32_t node);    // evaluator.cpp
  const Outcome& run(const CaseData& data, const EvalOptions& options);
  Value covered_from();

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
  friend class ProgramBuilder;
  Value arithmetic(Op op, const Value& x, const Value& y, std::uint32_t node);
  Value where(const Instr& in);
  // (Pointers read once: the stores could alias the vectors' own.)
  void preload(const Instr& in, const Value& item) {
    Value* const R = regs.data();
    const Value* const fields = item.items;
    const Preload* const end = preloads.data() + in.pre_end;
    for (const Preload* f = preloads.data() + in.pre_begin; f != end; ++f)
      at_offset(R, f->reg) = at_offset(fields, f->offset);
  }
  template <bool kIn>
  void where_field(const Instr& in, Value& out);
  Value list(const Instr& in);
  Value checked_span(Kind kind, std::int64_t x, std::int64_t y, bool subtract, std::uint32_t node);
  Value add_period(std::int64_t day, std::int64_t months, std::uint32_t node);
  Value scale(const Value& span, const Decimal& factor, std::uint32_t node);
  void reset_for(const CaseData& data, const EvalOptions& options);
  void clear_results();
  void set_error(const Value& v);
  void decide();
};

}  // namespace mmi
