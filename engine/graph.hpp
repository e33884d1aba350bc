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

enum class Op : std::uint8_t {
  constant,
  fact,          // scalar fact: aux = slot
  fact_list,     // aux = list index
  fact_record,   // aux = base slot, c = record layout
  item_field,    // scope = enclosing `where` level (0 innermost), aux = field offset, c = layout if
                 // record
  parameter,     // aux = parameter index (value on as_of)
  parameter_at,  // aux = parameter index, a = date
  let,           // aux = let index
  rule_fired,    // aux = rule index
  rule_date,     // aux = rule index
  as_of,
  status,
  decision_date,
  basis,
  field,    // a = record; aux = field offset; c = layout if the field is a record, else kNone
  project,  // a = list of records; aux = field offset; c = layout if record
  neg,
  not_,
  and_,
  or_,
  coalesce,
  if_,
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
  between,
  is_missing,
  is_present,
  where,  // a = list, b = condition (item scope)
  list,   // args
  call,   // aux = builtin, args (change/trend: c = field offset)
};

constexpr std::uint32_t kNone = 0xFFFFFFFFu;

struct Node {
  Op op = Op::constant;
  std::uint8_t scope = 0;
  std::uint32_t a = kNone, b = kNone, c = kNone;
  std::uint32_t aux = 0;
  std::uint32_t args_begin = 0, args_count = 0;  // into Graph::args
  std::int32_t memo = -1;                        // memo slot for shared sub-expressions
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
  std::vector<std::uint32_t> args;
  std::vector<NodeOrigin> origins;
  std::vector<ExprSource> sources;
  std::vector<std::uint32_t> let_roots;
  std::vector<RuleRoots> rule_roots;
  std::uint32_t cutoff_root = kNone;
  std::vector<std::uint32_t> output_roots;
  std::vector<ParameterValues> parameters;
  std::uint32_t memo_count = 0;
  std::uint32_t max_list_scratch = 0;
  // Interned strings that values point to: constants, enum values, rule ids, statuses.
  std::deque<std::string> strings;
  std::unordered_set<std::string_view> string_index;       // into `strings`
  std::vector<std::vector<std::string_view>> enum_values;  // per CheckedPolicy::enums
  std::vector<std::string_view> rule_ids;
  std::string_view status_names[4];

  std::size_t shared_nodes = 0;  // nodes reused by hash-consing (for `mmi graph` stats)

  // Pieces of every result object that depend only on the policy, rendered once:
  // `,"policy":…,"version":…,"policy_digest":…`, `"name":` per output, `"id":{"state":` per rule.
  std::string json_policy_fields;
  std::vector<std::string> json_output_keys;
  std::vector<std::string> json_rule_keys;
  std::vector<std::string> json_rule_tails;  // `,"cites":…}` or `}`

  std::string_view intern(std::string_view s);
  std::string node_text(std::uint32_t node) const;  // source text of a node
  SourceLocation node_location(std::uint32_t node) const;
};

std::shared_ptr<const Graph> compile_graph(CheckedPolicy policy);

}  // namespace mmi
