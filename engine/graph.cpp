// Stage 5: CheckedPolicy → Graph. Expressions become flat nodes; identical sub-expressions are
// hash-consed into one node, and those with several users and no dependence on a `where` item get
// a memo slot so each is computed once per evaluation.
#include "engine/graph.hpp"

#include "engine/mmi.hpp"
#include "engine/value_json.hpp"
#include "rules/builtins.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace mmi {

std::string_view Graph::intern(std::string_view s) {
  if (auto it = string_index.find(s); it != string_index.end()) return *it;
  strings.emplace_back(s);  // a deque never moves its elements, so the views stay valid
  return *string_index.insert(strings.back()).first;
}

std::string Graph::node_text(std::uint32_t node) const {
  const NodeOrigin& o = origins[node];
  if (o.source == kNone) return {};
  const std::string& text = sources[o.source].text();
  if (o.begin >= text.size()) return {};
  // A node's range can end after the whitespace the parser skipped.
  std::uint32_t end = std::min<std::uint32_t>(o.end, static_cast<std::uint32_t>(text.size()));
  while (end > o.begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n'))
    --end;
  return text.substr(o.begin, end - o.begin);
}

SourceLocation Graph::node_location(std::uint32_t node) const {
  const NodeOrigin& o = origins[node];
  if (o.source == kNone) return SourceLocation{nullptr, policy.path};
  return sources[o.source].location_of(o.begin, std::max<std::uint32_t>(1, o.end - o.begin));
}

namespace {

Value literal_value(const Literal& l, Graph& g) {
  switch (l.kind) {
    case LiteralKind::number:
      return Value::number(l.number);
    case LiteralKind::text:
      return Value::string(g.intern(l.text));
    case LiteralKind::boolean:
      return Value::boolean(l.integer != 0);
    case LiteralKind::date:
      return Value::date(l.integer);
    case LiteralKind::duration:
      return Value::duration(l.integer);
    case LiteralKind::period:
      return Value::period(l.integer);
    case LiteralKind::missing:
      return Value::missing();
  }
  return Value::missing();
}

class Compiler {
 public:
  explicit Compiler(Graph& g) : g_(g) {}

  std::uint32_t root(const CheckedExpr& ce) {
    std::uint32_t src = static_cast<std::uint32_t>(g_.sources.size());
    g_.sources.push_back(ce.source);
    source_ = src;
    scopes_.clear();
    return compile(ce.expr);
  }

  void finish() {
    // Memo slots: nodes with several users that do not depend on a `where` item.
    std::vector<std::uint32_t> users(g_.nodes.size(), 0);
    for (const auto& n : g_.nodes) g_.for_each_operand(n, [&](std::uint32_t k) { ++users[k]; });
    for (std::uint32_t i = 0; i < g_.nodes.size(); ++i) {
      Node& n = g_.nodes[i];
      bool trivial = n.op == Op::constant || n.op == Op::fact || n.op == Op::parameter ||
                     n.op == Op::let || n.op == Op::as_of || n.op == Op::fact_list ||
                     n.op == Op::rule_fired || n.op == Op::rule_date;
      if (users[i] > 1 && !trivial && item_need_[i] == 0)
        n.memo = static_cast<std::int32_t>(g_.memo_count++);
    }
  }

 private:
  Graph& g_;
  std::uint32_t source_ = kNone;
  std::unordered_map<std::string, std::uint32_t> interned_;
  std::vector<std::uint32_t> item_need_;  // `where` levels a node reaches out to
  std::vector<std::uint32_t> scopes_;     // record layout of each enclosing `where` item

  std::uint32_t need(std::uint32_t n) const { return item_need_[n]; }

  // Adds a node with the given operands (hash-consed: an identical node is reused).
  std::uint32_t add(Node n, const Expr& e, const std::vector<std::uint32_t>& operands,
                    std::uint32_t item_need) {
    std::string key(reinterpret_cast<const char*>(&n.op), 1);
    key += fmt::format("|{}|{}|{}|{}|{}|", n.scope, n.index, n.layout, n.field, n.field2);
    for (auto k : operands) key += fmt::format("{},", k);
    if (n.op == Op::constant) {
      const Value& v = n.constant;
      key += fmt::format("{}:{}:{}:{}:", static_cast<int>(v.kind), v.exp, v.aux,
                         static_cast<long long>(v.i));
      key += fmt::format("{}", static_cast<long long>(v.coef >> 64));
      if (v.kind == Kind::text) key += std::string(v.as_text());
    }
    auto it = interned_.find(key);
    if (it != interned_.end()) {
      ++g_.shared_nodes;
      return it->second;
    }
    n.first_operand = static_cast<std::uint32_t>(g_.operands.size());
    n.operand_count = static_cast<std::uint16_t>(operands.size());
    g_.operands.insert(g_.operands.end(), operands.begin(), operands.end());
    std::uint32_t index = static_cast<std::uint32_t>(g_.nodes.size());
    g_.nodes.push_back(n);
    g_.origins.push_back({source_, e.begin, e.end});
    item_need_.push_back(item_need);
    interned_.emplace(std::move(key), index);
    return index;
  }

  // Compiles each expression; `reach` becomes the furthest `where` level they read.
  std::vector<std::uint32_t> compile_all(const std::vector<Expr>& exprs, std::uint32_t& reach) {
    std::vector<std::uint32_t> out;
    for (const auto& a : exprs) {
      out.push_back(compile(a));
      reach = std::max(reach, need(out.back()));
    }
    return out;
  }

  const CheckedPolicy& P() const { return g_.policy; }

  // The layout index if `type_id` is a (non-list) record, else kNone.
  std::uint32_t record_layout(std::uint32_t type_id) const {
    const TypeDesc& t = P().types[type_id];
    return (t.tag == TypeTag::record && !t.list) ? static_cast<std::uint32_t>(t.record) : kNone;
  }
  // The item layout of a list-of-records type.
  const RecordLayout& item_layout(std::uint32_t list_type) const {
    return P().records[static_cast<std::size_t>(P().types[list_type].record)];
  }
  static std::uint32_t offset_of(const RecordLayout& r, std::string_view field) {
    for (std::size_t f = 0; f < r.names.size(); ++f)
      if (r.names[f] == field) return r.offsets[f];
    return kNone;
  }

  std::uint32_t compile(const Expr& e) {
    Node n;
    std::uint32_t reach = 0;
    switch (e.kind) {
      case ExprKind::literal:
        n.op = Op::constant;
        n.constant = literal_value(e.literal, g_);
        return add(n, e, {}, 0);
      case ExprKind::name:
        return compile_name(e);
      case ExprKind::field: {
        std::uint32_t base = compile(e.args[0]);
        const TypeDesc& bt = P().types[e.args[0].type_id];
        if (bt.tag == TypeTag::any) {
          n.op = Op::constant;
          return add(n, e, {}, 0);
        }
        const RecordLayout& r = P().records[static_cast<std::size_t>(bt.record)];
        n.op = bt.list ? Op::project : Op::field;
        n.index = r.offsets[e.index];
        n.layout = record_layout(r.type_ids[e.index]);
        return add(n, e, {base}, need(base));
      }
      case ExprKind::call:
        return compile_call(e);
      case ExprKind::list: {
        n.op = Op::list;
        auto items = compile_all(e.args, reach);
        return add(n, e, items, reach);
      }
      case ExprKind::where: {
        std::uint32_t list = compile(e.args[0]);
        scopes_.push_back(static_cast<std::uint32_t>(P().types[e.args[0].type_id].record));
        std::uint32_t cond = compile(e.args[1]);
        scopes_.pop_back();
        n.op = Op::where;
        std::uint32_t inner = need(cond);
        return add(n, e, {list, cond}, std::max(need(list), inner > 0 ? inner - 1 : 0));
      }
      case ExprKind::at: {
        std::uint32_t when = compile(e.args[1]);
        n.op = Op::parameter_at;
        n.index = e.args[0].index;
        return add(n, e, {when}, need(when));
      }
      default:
        break;
    }
    static const std::pair<ExprKind, Op> kOps[] = {{ExprKind::neg, Op::neg},
                                                   {ExprKind::not_, Op::not_},
                                                   {ExprKind::and_, Op::and_},
                                                   {ExprKind::or_, Op::or_},
                                                   {ExprKind::coalesce, Op::coalesce},
                                                   {ExprKind::if_, Op::if_},
                                                   {ExprKind::eq, Op::eq},
                                                   {ExprKind::ne, Op::ne},
                                                   {ExprKind::lt, Op::lt},
                                                   {ExprKind::le, Op::le},
                                                   {ExprKind::gt, Op::gt},
                                                   {ExprKind::ge, Op::ge},
                                                   {ExprKind::add, Op::add},
                                                   {ExprKind::sub, Op::sub},
                                                   {ExprKind::mul, Op::mul},
                                                   {ExprKind::div, Op::div},
                                                   {ExprKind::in, Op::in},
                                                   {ExprKind::not_in, Op::not_in},
                                                   {ExprKind::between, Op::between},
                                                   {ExprKind::is_missing, Op::is_missing},
                                                   {ExprKind::is_present, Op::is_present}};
    for (const auto& [k, op] : kOps)
      if (k == e.kind) n.op = op;
    auto operands = compile_all(e.args, reach);
    return add(n, e, operands, reach);
  }

  std::uint32_t compile_name(const Expr& e) {
    Node n;
    std::uint32_t reach = 0;
    switch (e.ref) {
      case Ref::fact: {
        const FactInfo& f = P().facts[e.index];
        if (f.shape == FactDecl::Shape::scalar) {
          n.op = Op::fact;
          n.index = f.slot;
        } else if (f.shape == FactDecl::Shape::list) {
          n.op = f.list_index == g_.periods.list ? Op::benefit_periods : Op::fact_list;
          n.index = f.list_index;
        } else {
          n.op = Op::fact_record;
          n.index = f.slot;
          n.layout = record_layout(f.type_id);
        }
        break;
      }
      case Ref::item_field: {
        // The checker gives the field's index in the item's record; nodes read slot offsets.
        const RecordLayout& r = P().records[scopes_[scopes_.size() - 1 - e.scope]];
        n.op = Op::item_field;
        n.scope = static_cast<std::uint8_t>(e.scope);
        n.index = r.offsets[e.index];
        n.layout = record_layout(e.type_id);
        reach = e.scope + 1u;
        break;
      }
      case Ref::parameter:
        if (g_.parameters[e.index].series.empty()) {
          // A plain parameter is a constant of this graph (--set builds another graph).
          n.op = Op::constant;
          n.constant = g_.parameters[e.index].value;
        } else {
          n.op = Op::parameter;
          n.index = e.index;
        }
        break;
      case Ref::let:
        n.op = Op::let;
        n.index = e.index;
        break;
      case Ref::as_of:
        n.op = Op::as_of;
        break;
      case Ref::decision_status:
        n.op = Op::status;
        break;
      case Ref::decision_mmi_date:
        n.op = Op::decision_date;
        break;
      case Ref::decision_basis:
        n.op = Op::basis;
        break;
      case Ref::decision_coverage_cutoff:
        n.op = Op::coverage_cutoff;
        break;
      default:
        n.op = Op::constant;
        break;
    }
    return add(n, e, {}, reach);
  }

  std::uint32_t compile_call(const Expr& e) {
    Node n;
    if (e.ref == Ref::rule_fired || e.ref == Ref::rule_date) {
      n.op = e.ref == Ref::rule_fired ? Op::rule_fired : Op::rule_date;
      n.index = e.index;
      return add(n, e, {}, 0);
    }
    n.op = Op::call;
    n.index = e.index;
    const BuiltinSpec& spec = builtin_spec(static_cast<Builtin>(e.index));
    std::uint32_t reach = 0;
    std::vector<std::uint32_t> operands;
    switch (spec.shape) {
      case ArgumentShape::list_and_field: {
        // Only the list is an operand; the field is a payload.
        operands.push_back(compile(e.args[0]));
        reach = need(operands.back());
        const RecordLayout& r = item_layout(e.args[0].type_id);
        n.field = r.offsets[e.args[1].index];
        if (spec.reads_item_date && r.date_field >= 0)
          n.field2 = r.offsets[static_cast<std::size_t>(r.date_field)];
        break;
      }
      case ArgumentShape::intervals: {
        operands = compile_all(e.args, reach);
        const RecordLayout& r = item_layout(e.args[0].type_id);
        n.field = offset_of(r, "from");
        n.field2 = offset_of(r, "to");
        break;
      }
      case ArgumentShape::values:
        operands = compile_all(e.args, reach);
        break;
    }
    return add(n, e, operands, reach);
  }
};

// The standard case model's `periods` (a list with `kind`, `from` and `to`) and the v1 facts a
// case without periods is read from. Absent declarations leave the model off.
void find_period_model(Graph& g) {
  const CheckedPolicy& p = g.policy;
  for (std::uint32_t l = 0; l < p.lists.size(); ++l) {
    if (p.lists[l].path != "periods") continue;
    const RecordLayout& r = p.records[p.lists[l].item_record];
    auto field = [&](std::string_view name, TypeTag tag) -> std::uint32_t {
      for (std::size_t f = 0; f < r.names.size(); ++f)
        if (r.names[f] == name && p.types[r.type_ids[f]].tag == tag && !p.types[r.type_ids[f]].list)
          return static_cast<std::uint32_t>(f);
      return kNone;
    };
    std::uint32_t kind = field("kind", TypeTag::enumeration), from = field("from", TypeTag::date),
                  to = field("to", TypeTag::date);
    if (kind == kNone || from == kNone || to == kNone) return;
    const auto& values = p.enums[static_cast<std::size_t>(p.types[r.type_ids[kind]].enumeration)];
    if (std::find(values.begin(), values.end(), "ttd") == values.end()) return;
    auto& m = g.periods;
    m.list = l;
    m.layout = p.lists[l].item_record;
    m.kind = r.offsets[kind];
    m.from = r.offsets[from];
    m.to = r.offsets[to];
    m.ttd = Value::string(g.intern("ttd"));
    for (const auto& f : p.facts) {
      if (f.shape != FactDecl::Shape::scalar) continue;
      if (f.path == "benefits.disability_start" && p.types[f.type_id].tag == TypeTag::date)
        m.disability_start = f.slot;
      if (f.path == "benefits.temporary_days_paid" && p.types[f.type_id].tag == TypeTag::number)
        m.days_paid = f.slot;
    }
  }
}

}  // namespace

std::shared_ptr<const Graph> compile_graph(CheckedPolicy policy) {
  auto g = std::make_shared<Graph>();
  g->policy = std::move(policy);
  CheckedPolicy& p = g->policy;

  for (const auto& values : p.enums) {
    std::vector<std::string_view> interned;
    for (const auto& v : values) interned.push_back(g->intern(v));
    g->enum_values.push_back(std::move(interned));
  }
  for (const auto& r : p.rules) g->rule_ids.push_back(g->intern(r.id));
  const char* statuses[] = {"reached", "not_reached", "undetermined", "error"};
  for (int i = 0; i < 4; ++i) g->status_names[i] = g->intern(statuses[i]);

  for (const auto& param : p.parameters) {
    ParameterValues pv;
    pv.value = literal_value(param.value, *g);
    for (const auto& step : param.series)
      pv.series.emplace_back(step.from, literal_value(step.value, *g));
    g->parameters.push_back(std::move(pv));
  }

  std::string& h = g->json_policy_fields;
  h = ",\"policy\":";
  append_json_string(h, p.policy_id);
  h += ",\"version\":";
  append_json_string(h, p.version);
  h += ",\"policy_digest\":";
  append_json_string(h, p.digest);
  // With the digest, the engine's version: enough to replay a decision exactly.
  h += ",\"engine_version\":";
  append_json_string(h, engine_version());
  // language.md §1: title, insurer, jurisdiction and line are echoed in results (when given).
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"title", &p.title},
                                    {"insurer", &p.insurer},
                                    {"jurisdiction", &p.jurisdiction},
                                    {"line", &p.line}}) {
    if (value->empty()) continue;
    h += fmt::format(",\"{}\":", name);
    append_json_string(h, *value);
  }
  for (const auto& o : p.outputs) {
    std::string k = g->json_output_keys.empty() ? "" : ",";
    append_json_string(k, o.name);
    g->json_output_keys.push_back(k + ":");
  }
  for (const auto& r : p.rules) {
    std::string id;
    append_json_string(id, r.id);
    // §6: a rule's `cites` is echoed in results.
    std::string tail;
    if (!r.cites.empty()) {
      tail = ",\"cites\":";
      append_json_string(tail, r.cites);
    }
    tail += "}";
    // In RuleState order: not_fired, fired, unknown.
    for (const char* state : {"not_fired", "fired", "unknown"}) {
      std::string head = (g->json_rule_ids.empty() ? "" : ",") + id + ":{\"state\":\"" + state +
                         "\",\"mmi_date\":";
      g->json_rule_nulls.push_back(head + "null" + tail);
      g->json_rule_heads.push_back(std::move(head));
    }
    g->json_rule_ids.push_back(std::move(id));
    g->json_rule_tails.push_back(std::move(tail));
  }
  std::size_t& bound = g->json_pieces_bound;
  bound = h.size();
  for (const auto& k : g->json_output_keys) bound += k.size();
  for (std::size_t r = 0; r < g->json_rule_ids.size(); ++r) {
    std::size_t most = 0;
    for (std::size_t piece = r * 3; piece < r * 3 + 3; ++piece)
      most = std::max({most, g->json_rule_nulls[piece].size(),
                       g->json_rule_heads[piece].size() + g->json_rule_tails[r].size()});
    bound += most + g->json_rule_ids[r].size();  // a rule can be the basis too
  }

  find_period_model(*g);
  Compiler c(*g);
  for (auto& l : p.lets) g->let_roots.push_back(c.root(l.expr));
  for (auto& r : p.rules) {
    RuleRoots roots;
    roots.when = c.root(r.when);
    roots.date = c.root(r.mmi_date);
    if (r.unless) roots.unless = c.root(*r.unless);
    g->rule_roots.push_back(roots);
  }
  if (p.coverage_cutoff) g->cutoff_root = c.root(*p.coverage_cutoff);
  if (p.covered_from) g->covered_from_root = c.root(*p.covered_from);
  for (auto& o : p.outputs) g->output_roots.push_back(c.root(o.expr));
  c.finish();
  g->lists_read.assign(p.lists.size(), false);
  for (const auto& n : g->nodes)
    if (n.op == Op::fact_list || n.op == Op::benefit_periods) g->lists_read[n.index] = true;
  return g;
}

}  // namespace mmi
