// The compiled rule graph: an immutable DAG of expression nodes (identical sub-expressions shared),
// with every name resolved to a slot and a fixed evaluation order. Built once per policy by
// compile_graph() and shared read-only by any number of threads.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/value.hpp"
#include "rules/checked_policy.hpp"

namespace mmi {

// Every child of a node is in its operand span (Graph::operands); everything else a node needs is
// a named payload field. for_each_operand() is the one way to walk children.
enum class Op : std::uint8_t {
  constant,         // payload: constant
  fact,             // index = slot
  fact_list,        // index = list
  benefit_periods,  // the case's `periods`, or the one ttd period read from v1 facts (case_model)
  fact_record,      // index = base slot, layout
  item_field,       // scope = enclosing `where` level (0 innermost), index = offset in the item,
                    // layout if the field is a record
  parameter,        // index = parameter (value on as_of)
  parameter_at,     // index = parameter; operands: date
  let,              // index = let
  rule_fired,       // index = rule
  rule_date,        // index = rule
  as_of,
  status,
  decision_date,
  basis,
  coverage_cutoff,  // the decision's cutoff, for outputs
  field,            // operands: record; index = field offset, layout if the field is a record
  project,          // operands: list of records; index = field offset, layout if record
  neg,
  not_,
  and_,
  or_,
  coalesce,
  if_,  // operands: condition, then, else
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  add,
  sub,
  mul,
  div,
  in,
  not_in,
  between,  // operands: value, low, high
  is_missing,
  is_present,
  where,  // operands: list, condition (evaluated per item, in item scope)
  list,   // operands: items
  call,   // index = Builtin; operands: the arguments that are expressions; field / field2:
          // offsets in the list's items (list_and_field: the field, and `date` for trend;
          // intervals: `from` and `to`)
};

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

struct Node {
  Op op = Op::constant;
  std::uint8_t scope = 0;
  std::uint16_t operand_count = 0;
  std::uint32_t first_operand = 0;  // into Graph::operands
  std::uint32_t index = 0;
  std::uint32_t layout = kNone;
  std::uint32_t field = kNone;
  std::uint32_t field2 = kNone;
  std::int32_t memo = -1;  // memo slot for shared sub-expressions
  Value constant;
};

// Where a node came from, for error locations and explanations.
struct NodeOrigin {
  std::uint32_t source = kNone;  // into Graph::sources
  std::uint32_t begin = 0, end = 0;
};

struct RuleRoots {
  std::uint32_t when = kNone, unless = kNone, date = kNone;
};

struct ParameterValues {
  Value value;                                      // no series
  std::vector<std::pair<DayNumber, Value>> series;  // ascending dates
};

struct Graph {
  CheckedPolicy policy;  // names, layouts, metadata (expressions kept for explanations)
  std::vector<Node> nodes;
  std::vector<std::uint32_t> operands;
  std::vector<NodeOrigin> origins;
  std::vector<ExprSource> sources;
  std::vector<std::uint32_t> let_roots;
  std::vector<RuleRoots> rule_roots;
  std::uint32_t cutoff_root = kNone;
  std::uint32_t covered_from_root = kNone;
  std::vector<std::uint32_t> output_roots;
  std::vector<ParameterValues> parameters;
  std::uint32_t memo_count = 0;
  // Per CheckedPolicy::lists: whether a node reads the list (Op::fact_list, Op::benefit_periods).
  // The case loaders validate every list but keep the items only of these: nothing else could
  // read them (CaseOptions::keep_unread_lists keeps them all).
  std::vector<bool> lists_read;
  // How Op::benefit_periods reads the standard case model (engine/case_model.cpp).
  struct PeriodModel {
    std::uint32_t list = kNone;  // index into CheckedPolicy::lists
    std::uint32_t layout = kNone, kind = kNone, from = kNone, to = kNone;  // item layout, offsets
    std::uint32_t disability_start = kNone, days_paid = kNone;             // v1 fact slots
    Value ttd;                                                             // the enum value `ttd`
  } periods;
  // Interned strings that values point to: constants, enum values, rule ids, statuses.
  std::deque<std::string> strings;
  std::unordered_set<std::string_view> string_index;       // into `strings`
  std::vector<std::vector<std::string_view>> enum_values;  // per CheckedPolicy::enums
  std::vector<std::string_view> rule_ids;
  std::string_view status_names[4];

  std::size_t shared_nodes = 0;  // nodes reused by hash-consing (for `mmi graph` stats)

  // Pieces of every result object that depend only on the policy, rendered once:
  // `,"policy":…,"version":…,"policy_digest":…`, `"name":` per output (`,"name":` after the
  // first), and per rule its escaped id and, per RuleState, `"id":{"state":"fired","mmi_date":`
  // (comma-led after the first) alone and completed with a null date and the tail.
  std::string json_policy_fields;
  std::vector<std::string> json_output_keys;
  std::vector<std::string> json_rule_ids;
  std::vector<std::string> json_rule_heads;  // rule × 3 + RuleState
  std::vector<std::string> json_rule_nulls;  // head + `null` + tail, rule × 3 + RuleState
  std::vector<std::string> json_rule_tails;  // `,"cites":…}` or `}`
  // The most bytes of all the pieces above one result can hold (its values and texts aside).
  std::size_t json_pieces_bound = 0;

  std::string_view intern(std::string_view s);
  std::uint32_t operand(const Node& n, std::uint32_t k) const {
    return operands[n.first_operand + k];
  }
  template <typename F>
  void for_each_operand(const Node& n, F&& f) const {
    for (std::uint32_t k = 0; k < n.operand_count; ++k) f(operands[n.first_operand + k]);
  }
  std::string node_text(std::uint32_t node) const;  // source text of a node
  SourceLocation node_location(std::uint32_t node) const;
};

std::shared_ptr<const Graph> compile_graph(CheckedPolicy policy);

}  // namespace mmi
