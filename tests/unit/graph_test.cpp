// The compiled rule graph itself (engine/graph.hpp): hash-consing of identical sub-expressions,
// memo slots for shared nodes, operand spans that hold every child and nothing else, and
// explanations over every kind of node.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "engine/mmi.hpp"
#include "test_support.hpp"

using mmi_test::TempDir;

namespace {

const char* kFacts =
    "facts:\n"
    "  injury:\n"
    "    date: date\n"
    "  n: number\n"
    "  xs:\n"
    "    - date: date\n"
    "      v: number\n"
    "      kind: text\n"
    "parameters:\n"
    "  cap:\n"
    "    2000-01-01: 10\n"
    "    2010-01-01: 20\n"
    "  plain: 3\n";

struct Compiled {
  TempDir dir;
  mmi::CompiledPolicy policy;
};

std::unique_ptr<Compiled> compile(const std::string& body) {
  auto c = std::make_unique<Compiled>();
  std::string path = c->dir.write(
      "policy.yaml", std::string("policy: t\nversion: \"1\"\ndefinition: max-potential\n") +
                         kFacts + body + "decision:\n  hit: earliest\n");
  mmi::CompileOptions options;
  options.warnings = false;
  c->policy = mmi::compile_policy(path, options);
  if (!c->policy) FAIL(mmi_test::render(c->policy.diagnostics, c->dir));
  return c;
}

std::size_t count_ops(const mmi::Graph& g, mmi::Op op) {
  std::size_t k = 0;
  for (const auto& n : g.nodes) k += n.op == op;
  return k;
}

// Every explanation node as "text = value", depth-first, one per line, indented.
void flatten(const mmi::Explanation& e, int depth, std::string& out) {
  out += std::string(static_cast<std::size_t>(depth) * 2, ' ') + e.text + " = " + e.value + "\n";
  for (const auto& p : e.parts) flatten(p, depth + 1, out);
}

std::string explain(const std::string& when, const std::string& case_json) {
  auto c = compile("rules:\n  - id: r\n    when: " + when + "\n    mmi_date: 2024-01-01\n");
  mmi::Session session(c->policy.graph);
  session.load_json(case_json);
  session.evaluate();
  std::string out;
  flatten(session.evaluator().explain_rule(0), 0, out);
  return out;
}

const char* kCase =
    R"({"id":"G","as_of":"2024-06-01","injury":{"date":"2024-01-15"},"n":7,)"
    R"("xs":[{"date":"2024-02-01","v":3,"kind":"a"},{"date":"2024-03-01","v":9,"kind":"b"}]})";

}  // namespace

TEST_CASE("graph: identical sub-expressions are one node", "[graph]") {
  auto c = compile(
      "let:\n  a: n + 1\n  b: (n + 1) * 2\n"
      "rules:\n  - id: r\n    when: n + 1 > 3\n    mmi_date: injury.date\n");
  const mmi::Graph& g = *c->policy.graph;
  CHECK(count_ops(g, mmi::Op::add) == 1);
  CHECK(g.shared_nodes >= 2);
  // `n + 1` has three users, so it gets a memo slot; `n` (a leaf) never does.
  for (const auto& n : g.nodes) {
    if (n.op == mmi::Op::add) CHECK(n.memo >= 0);
    if (n.op == mmi::Op::fact) CHECK(n.memo < 0);
  }
}

TEST_CASE("graph: nodes inside `where` that read the item get no memo slot", "[graph]") {
  auto c = compile(
      "let:\n  a: count(xs where v + 1 > 2)\n  b: count(xs where v + 1 > 5)\n"
      "rules:\n  - id: r\n    when: a > b\n    mmi_date: injury.date\n");
  const mmi::Graph& g = *c->policy.graph;
  for (const auto& n : g.nodes)
    if (n.op == mmi::Op::add) CHECK(n.memo < 0);  // `v + 1` is shared but item-dependent
}

TEST_CASE("graph: operand spans hold every child node and only children", "[graph]") {
  auto c = compile(
      "rules:\n  - id: r\n"
      "    when: injury is present and change(xs, v) > 0 and count(xs where kind == \"a\") > 0\n"
      "    mmi_date: if n > 1 then injury.date else last(xs).date\n");
  const mmi::Graph& g = *c->policy.graph;
  for (std::uint32_t i = 0; i < g.nodes.size(); ++i) {
    const mmi::Node& n = g.nodes[i];
    std::vector<std::uint32_t> ops;
    g.for_each_operand(n, [&](std::uint32_t k) { ops.push_back(k); });
    for (auto k : ops) CHECK(k < i);  // a DAG built bottom-up: children come first
    switch (n.op) {
      case mmi::Op::fact_record:
      case mmi::Op::fact:
      case mmi::Op::fact_list:
      case mmi::Op::constant:
        CHECK(ops.empty());
        break;
      case mmi::Op::if_:
        CHECK(ops.size() == 3);
        break;
      case mmi::Op::where:
      case mmi::Op::and_:
      case mmi::Op::gt:
      case mmi::Op::eq:
        CHECK(ops.size() == 2);
        break;
      case mmi::Op::call:
        // change(xs, v): the field is a payload, only the list is an operand.
        CHECK(ops.size() == 1);
        break;
      default:
        break;
    }
  }
}

TEST_CASE("graph: explanations on every kind of node", "[graph][explain]") {
  // A record fact has no children: nothing unrelated appears under it.
  CHECK(explain("injury is present", kCase) ==
        "rule r = fired\n  when injury is present = true\n    injury = {date: 2024-01-15}\n"
        "  mmi_date 2024-01-01 = 2024-01-01\n");
  // A field-taking built-in shows its list, not its field.
  CHECK(explain("change(xs, v) > 5", kCase) ==
        "rule r = fired\n  when change(xs, v) > 5 = true\n    change(xs, v) = 6\n"
        "      xs = [{date: 2024-02-01, v: 3, kind: a}, {date: 2024-03-01, v: 9, kind: b}] (2 "
        "items)\n  mmi_date 2024-01-01 = 2024-01-01\n");
  // `and` stops at the operand that decided it; `if` shows the branch it took.
  CHECK(explain("n < 1 and injury.date > 2024-01-01", kCase) ==
        "rule r = not_fired\n  when n < 1 and injury.date > 2024-01-01 = false\n"
        "    n < 1 = false\n      n = 7\n");
  CHECK(explain("(if n > 1 then n else plain) == 7", kCase) ==
        "rule r = fired\n  when (if n > 1 then n else plain) == 7 = true\n"
        "    if n > 1 then n else plain = 7\n      n > 1 = true\n        n = 7\n      n = 7\n"
        "  mmi_date 2024-01-01 = 2024-01-01\n");
  // `where` shows its list; the condition is per item.
  CHECK(explain("count(xs where v > 4) == 1", kCase)
            .find("    count(xs where v > 4) = 1\n"
                  "      xs where v > 4 = ") != std::string::npos);
  // Dated parameters, `at`, between, membership, coalesce, negation, lists, is missing.
  std::string e = explain(
      "cap at injury.date == 20 and (-n) < 0 and n between 1 and 9 and \"a\" in xs.kind and "
      "(xs.v ?? [1]) is present and not (n is missing)",
      kCase);
  CHECK(e.find("cap at injury.date = 20") != std::string::npos);
  CHECK(e.find("injury.date = 2024-01-15") != std::string::npos);
  CHECK(e.find("n between 1 and 9 = true") != std::string::npos);
  CHECK(e.find("\"a\" in xs.kind = true") != std::string::npos);
  CHECK(e.find("xs.kind = [a, b] (2 items)") != std::string::npos);
  CHECK(e.find("not (n is missing) = true") != std::string::npos);
  CHECK(e.find("rule r = fired") == 0);
}
