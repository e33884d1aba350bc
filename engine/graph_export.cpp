// The compiled rule graph as Graphviz DOT or JSON (`mmi graph`, `mmi serve`'s /graph).
#include "engine/graph_export.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/value_json.hpp"

namespace mmi {

namespace {

std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Which lets, rules and facts an expression reads (for the graph's edges).
struct Uses {
  std::vector<std::string> facts, params, lets, rules;
};

void collect(const Expr& e, const CheckedPolicy& p, Uses& u) {
  switch (e.ref) {
    case Ref::fact:
      u.facts.push_back(p.facts[e.index].path);
      break;
    case Ref::parameter:
      u.params.push_back(p.parameters[e.index].name);
      break;
    case Ref::let:
      u.lets.push_back(p.lets[e.index].name);
      break;
    case Ref::rule_fired:
    case Ref::rule_date:
      u.rules.push_back(p.rules[e.index].id);
      break;
    default:
      break;
  }
  for (const auto& a : e.args) collect(a, p, u);
}

Uses uses_of(std::vector<const CheckedExpr*> exprs, const CheckedPolicy& p) {
  Uses u;
  for (const auto* ce : exprs)
    if (ce) collect(ce->expr, p, u);
  for (auto* v : {&u.facts, &u.params, &u.lets, &u.rules}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return u;
}

}  // namespace

std::string graph_export(const Graph& compiled, GraphFormat format) {
  const CheckedPolicy& p = compiled.policy;
  struct Item {
    std::string id, kind, label;
    Uses uses;
  };
  std::vector<Item> items;
  for (const auto& l : p.lets)
    items.push_back({"let:" + l.name, "let", l.name + " = " + expr_to_string(l.expr.expr),
                     uses_of({&l.expr}, p)});
  for (const auto& r : p.rules) {
    std::vector<const CheckedExpr*> parts = {&r.when, &r.mmi_date};
    if (r.unless) parts.push_back(&*r.unless);
    items.push_back({"rule:" + r.id, "rule", r.id, uses_of(parts, p)});
  }
  std::vector<const CheckedExpr*> decision_parts;
  if (p.coverage_cutoff) decision_parts.push_back(&*p.coverage_cutoff);
  for (const auto& o : p.outputs) decision_parts.push_back(&o.expr);
  Uses decision = uses_of(decision_parts, p);
  for (const auto& r : p.rules) decision.rules.push_back(r.id);

  auto edges_of = [](const Uses& u) {
    std::vector<std::string> from;
    for (const auto& f : u.facts) from.push_back("fact:" + f);
    for (const auto& x : u.params) from.push_back("param:" + x);
    for (const auto& x : u.lets) from.push_back("let:" + x);
    for (const auto& x : u.rules) from.push_back("rule:" + x);
    return from;
  };

  std::string out;
  if (format == GraphFormat::dot) {
    out += fmt::format("digraph \"{}\" {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
                       dot_escape(p.policy_id));
    for (const auto& f : p.facts)
      if (f.shape != FactDecl::Shape::record)
        out += fmt::format(
            "  \"fact:{}\" [label=\"{}\", shape=box, style=filled, fillcolor=\"#e8f0fe\"];\n",
            f.path, f.path);
    for (const auto& x : p.parameters)
      out += fmt::format(
          "  \"param:{}\" [label=\"{}\", shape=note, style=filled, fillcolor=\"#fef7e0\"];\n",
          x.name, x.name);
    for (const auto& it : items)
      out += fmt::format("  \"{}\" [label=\"{}\", shape={}, style=filled, fillcolor=\"{}\"];\n",
                         it.id, dot_escape(it.kind == "let" ? it.id.substr(4) : it.label),
                         it.kind == "rule" ? "hexagon" : "ellipse",
                         it.kind == "rule" ? "#fce8e6" : "#e6f4ea");
    out += "  \"decision\" [shape=doubleoctagon, style=filled, fillcolor=\"#f3e8fd\"];\n";
    for (const auto& it : items)
      for (const auto& from : edges_of(it.uses))
        out += fmt::format("  \"{}\" -> \"{}\";\n", from, it.id);
    for (const auto& from : edges_of(decision))
      out += fmt::format("  \"{}\" -> \"decision\";\n", from);
    out += "}\n";
  } else {
    std::string j = "{\"policy\":";
    append_json_string(j, p.policy_id);
    j += ",\"version\":";
    append_json_string(j, p.version);
    j += ",\"policy_digest\":";
    append_json_string(j, p.digest);
    j += fmt::format(",\"stats\":{{\"nodes\":{},\"shared\":{},\"memo_slots\":{}}}",
                     compiled.nodes.size(), compiled.shared_nodes, compiled.memo_count);
    j += ",\"nodes\":[";
    bool first = true;
    auto node = [&](const std::string& id, const std::string& kind, const std::string& label) {
      if (!first) j += ',';
      first = false;
      j += "{\"id\":";
      append_json_string(j, id);
      j += ",\"kind\":";
      append_json_string(j, kind);
      j += ",\"label\":";
      append_json_string(j, label);
      j += '}';
    };
    for (const auto& f : p.facts)
      if (f.shape != FactDecl::Shape::record)
        node("fact:" + f.path, "fact", f.path + ": " + p.type_name(f.type_id));
    for (const auto& x : p.parameters) node("param:" + x.name, "parameter", x.name);
    for (const auto& it : items) node(it.id, it.kind, it.label);
    node("decision", "decision", p.hit == HitPolicy::first ? "first" : "earliest");
    j += "],\"edges\":[";
    first = true;
    auto edge = [&](const std::string& from, const std::string& to) {
      if (!first) j += ',';
      first = false;
      j += "{\"from\":";
      append_json_string(j, from);
      j += ",\"to\":";
      append_json_string(j, to);
      j += '}';
    };
    for (const auto& it : items)
      for (const auto& from : edges_of(it.uses)) edge(from, it.id);
    for (const auto& from : edges_of(decision)) edge(from, "decision");
    j += "],\"order\":[";
    for (std::size_t k = 0; k < p.order.size(); ++k) {
      if (k) j += ',';
      const auto& s = p.order[k];
      append_json_string(j, s.kind == GraphStep::Kind::let ? "let:" + p.lets[s.index].name
                                                           : "rule:" + p.rules[s.index].id);
    }
    j += "]}\n";
    out = j;
  }
  return out;
}

}  // namespace mmi
