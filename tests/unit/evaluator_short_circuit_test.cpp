// Short-circuits of the evaluation program (engine/evaluator.cpp, ProgramBuilder regions): an
// operand read only on some values of another is skipped when it would not be read. Results must
// be exactly those of an eager evaluation: errors in a skipped operand never surface, errors in a
// read one do, a node shared with another reader is never skipped, and whatever reads registers
// after the evaluation (missing facts, explanations) sees the values an eager evaluation gives.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "engine/mmi.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using mmi_test::TempDir;

namespace {

const char* kFacts =
    "facts:\n"
    "  d: date\n"
    "  n: number\n"
    "  k: number\n"
    "  m: number\n"
    "  b: bool\n"
    "  c: bool\n"
    "  u: bool\n"
    "  xs:\n"
    "    - date: date\n"
    "      v: number\n"
    "      w: number\n";

// A policy of `body` (rules, decision, outputs) on kFacts, compiled for one session.
struct Policy {
  TempDir dir;
  mmi::CompiledPolicy compiled;
  explicit Policy(const std::string& body) {
    std::string path = dir.write(
        "policy.yaml",
        std::string("policy: t\nversion: \"1\"\ndefinition: max-potential\n") + kFacts + body);
    mmi::CompileOptions options;
    options.warnings = false;
    compiled = mmi::compile_policy(path, options);
  }
};

// The result JSON of `case_json` in `session`, the temp directory stripped.
std::string result(mmi::Session& session, const Policy& p, const std::string& case_json) {
  session.load_json(case_json);
  session.evaluate();
  return mmi_test::strip_dir(session.result_json(), p.dir);
}

const char* kOneRule =
    "rules:\n  - id: r\n    when: true\n    mmi_date: 2024-01-01\n"
    "decision:\n  hit: earliest\n";

// Each output's value as results render it, or the evaluation's error.
std::string output(const std::string& expr, const std::string& case_json) {
  Policy p(std::string(kOneRule) + "outputs:\n  o: " + expr + "\n");
  REQUIRE(p.compiled);
  mmi::Session session(p.compiled.graph);
  session.load_json(case_json);
  const mmi::Outcome& o = session.evaluate();
  if (o.error) return "ERROR " + std::string(mmi::code_name(o.error->code));
  return mmi::value_to_string(o.outputs[0], *p.compiled.graph);
}

const char* kCase = R"({"id":"S","as_of":"2024-06-01","n":7,"k":2,"b":true,"c":false})";

// Items (date order): [0] 2024-01-01 v=20 w missing, [1] 2024-02-01 v missing w=3,
// [2] 2024-03-01 v=10 w=0. n = 7.
const char* kListCase =
    R"({"id":"X","as_of":"2024-06-01","n":7,"xs":[{"date":"2024-01-01","v":20},)"
    R"({"date":"2024-02-01","w":3},{"date":"2024-03-01","v":10,"w":0}]})";

struct Row {
  const char* expr;
  const char* expected;
};

void check_rows(const std::vector<Row>& rows, const std::string& case_json) {
  for (const Row& row : rows) {
    INFO("expression: " << row.expr);
    CHECK(output(row.expr, case_json) == row.expected);
  }
}

}  // namespace

TEST_CASE("short-circuit: the operand not read never computes, its error never surfaces",
          "[eval][program][short-circuit]") {
  // n = 7, k = 2, b true, c false, m and u missing. Every guarded side has two or more
  // instructions (a single one is computed unguarded).
  const std::vector<Row> rows = {
      // `and`: false or an error on the left decides; true or missing reads the right.
      {"c and n / 0 > k + 1", "false"},
      {"b and n / 0 > k + 1", "ERROR E500"},
      {"u and n / 0 > k + 1", "ERROR E500"},  // missing and error: the error
      {"u and n > k + 1", "missing"},
      {"u and n < k + 1", "false"},
      {"b and n > k + 1", "true"},
      {"(n / 0 > 1) and (n + k > 1)", "ERROR E500"},
      // `or`: true or an error on the left decides.
      {"b or n / 0 > k + 1", "true"},
      {"c or n / 0 > k + 1", "ERROR E500"},
      {"c or n > k + 1", "true"},
      {"u or n < k + 1", "missing"},
      {"(n / 0 > 1) or (n + k > 1)", "ERROR E500"},
      // `??`: a present left side decides.
      {"n ?? n / 0 + k", "7"},
      {"m ?? n + k * 2", "11"},
      {"m ?? n / (k - 2) + 1", "ERROR E500"},
      // `if`: only the branch taken; a missing or error condition takes none.
      {"if c then n / 0 + k else n + k", "9"},
      {"if b then n - k * 2 else n / 0 + k", "3"},
      {"if b then n / 0 + k else n + k", "ERROR E500"},
      {"if u then n / 0 + k else n / 0 - k", "missing"},
      {"if n / 0 > 1 then n + k else n - k", "ERROR E500"},
      // Nested: the inner guard inside the outer one.
      {"c and (u or n / 0 > k + 1)", "false"},
      {"b and (u or n / 0 > k + 1)", "ERROR E500"},
      {"m ?? (if c then n / 0 + k else n * k + 1)", "15"},
  };
  check_rows(rows, kCase);
}

TEST_CASE("short-circuit: a rule's unless and mmi_date are read only when they decide",
          "[eval][rules][short-circuit]") {
  // The rule step reads `unless` only when `when` is neither false nor an error, and mmi_date only
  // when the rule fires: an error there surfaces exactly then (with its place), never otherwise.
  Policy p(
      "rules:\n"
      "  - id: r\n"
      "    when: b\n"
      "    unless: m / k > n\n"
      "    mmi_date: d + (n / k) * 1 day\n"
      "decision:\n  hit: earliest\n");
  REQUIRE(p.compiled);
  mmi::Session session(p.compiled.graph);
  // when false: neither is read (k = 0 would divide by zero in both).
  CHECK_THAT(result(session, p, R"({"id":"1","as_of":"2024-06-01","b":false,"n":7,"k":0})"),
             Contains(R"("status":"not_reached")"));
  // when missing: unless is read (m missing: missing) and the rule is unknown; no date read.
  // (Unless and date divide different operands: a node both read would be computed outside
  // either.)
  CHECK_THAT(result(session, p, R"({"id":"2","as_of":"2024-06-01","n":7,"k":2})"),
             Contains(R"("status":"undetermined")"));
  // when true, unless an error: the case is an error at the unless.
  std::string unless_error =
      result(session, p, R"({"id":"3","as_of":"2024-06-01","b":true,"n":7,"k":0,"m":1})");
  CHECK_THAT(unless_error, Contains(R"("code":"E500")"));
  CHECK_THAT(unless_error, Contains(R"("at":"policy.yaml:19:13")"));
  // when true, unless true: not fired; the date (k = 0 there too) is not read.
  Policy q(
      "rules:\n"
      "  - id: r\n"
      "    when: b\n"
      "    unless: n > m + 1\n"
      "    mmi_date: d + (n / k) * 1 day\n"
      "decision:\n  hit: earliest\n");
  REQUIRE(q.compiled);
  mmi::Session qs(q.compiled.graph);
  CHECK_THAT(result(qs, q, R"({"id":"4","as_of":"2024-06-01","b":true,"n":7,"k":0,"m":1})"),
             Contains(R"("status":"not_reached")"));
  // Fired: the date is read, and its error surfaces at its place.
  std::string date_error =
      result(qs, q, R"({"id":"5","as_of":"2024-06-01","b":true,"n":7,"k":0,"m":9})");
  CHECK_THAT(date_error, Contains(R"("code":"E500")"));
  CHECK_THAT(date_error, Contains(R"("at":"policy.yaml:20:20")"));
  // Fired with a date: 2024-01-10 + 7 / 2 = 3.5 -> 3 days.
  CHECK_THAT(result(qs, q,
                    R"({"id":"6","as_of":"2024-06-01","d":"2024-01-10","b":true,"n":7,)"
                    R"("k":2,"m":9})"),
             Contains(R"("mmi_date":"2024-01-13")"));
}

TEST_CASE("short-circuit: a node another reader needs is computed outside the skip",
          "[eval][program][short-circuit]") {
  // `n + k * 2` is read by `o1` only when b is true (22 > 17 on the first case), and by `o2`
  // always: it must be computed on every case, whatever b is. One session, so a skipped register
  // would keep the previous case's value (11) where the second case needs 5.
  Policy p(std::string(kOneRule) +
           "outputs:\n"
           "  o1: b and (n + k * 2) * k > n + 10\n"
           "  o2: n + k * 2\n"
           "  o3: m ?? (n + k * 2) * 2 + k\n");
  REQUIRE(p.compiled);
  mmi::Session session(p.compiled.graph);
  CHECK_THAT(result(session, p, R"({"id":"1","as_of":"2024-06-01","n":7,"k":2,"b":true})"),
             Contains(R"("outputs":{"o1":true,"o2":11,"o3":24})"));
  CHECK_THAT(result(session, p, R"({"id":"2","as_of":"2024-06-01","n":1,"k":2,"b":false,"m":0})"),
             Contains(R"("outputs":{"o1":false,"o2":5,"o3":0})"));
}

TEST_CASE("short-circuit: missing facts and explanations see what the evaluation skipped",
          "[eval][missing][short-circuit]") {
  // `when` true and `unless` missing: the rule is unknown and its date was not computed (it is
  // read only when the rule fires), but the missing facts and the explanation follow the date
  // too. The session's previous case computed that date (2024-01-13): a stale register would hide
  // `d` from the missing facts and explain the date as 2024-01-13.
  Policy p(
      "rules:\n"
      "  - id: r\n"
      "    when: b\n"
      "    unless: u\n"
      "    mmi_date: d + (n / k) * 1 day\n"
      "decision:\n  hit: earliest\n");
  REQUIRE(p.compiled);
  mmi::Session session(p.compiled.graph);
  CHECK_THAT(result(session, p,
                    R"({"id":"1","as_of":"2024-06-01","d":"2024-01-10","b":true,)"
                    R"("u":false,"n":7,"k":2})"),
             Contains(R"("mmi_date":"2024-01-13")"));
  session.load_json(R"({"id":"2","as_of":"2024-06-01","b":true,"n":7,"k":2})");
  CHECK(session.evaluate().status == mmi::Status::undetermined);
  CHECK(session.evaluator().missing_facts() == std::vector<std::string>{"d", "u"});
  mmi::Explanation e = session.evaluator().explain_rule(0);
  REQUIRE(e.parts.size() == 3);  // when, unless, mmi_date (when is true)
  CHECK(e.parts[2].text == "mmi_date d + (n / k) * 1 day");
  CHECK(e.parts[2].value == "missing");
}

TEST_CASE("short-circuit: a where condition `c1 and … and cn` drops an item at its first false",
          "[eval][lists][short-circuit]") {
  const std::vector<Row> rows = {
      // [2]: false first, so its n / 0 is never read; [0], [1]: missing.
      {"count(xs where v > 15 and n / w > 1)", "0"},
      // A missing conjunct does not drop the item: [1]'s v is missing and its n / (3 - 3) is
      // still read (an error), as `missing and error` is the error.
      {"count(xs where v > 1 and n / (w - 3) > 1)", "ERROR E500"},
      // A false one does: [1] and [2] are dropped before their n / (w - 3).
      {"count(xs where date < 2024-01-15 and n / (w - 3) > 1)", "0"},
      // The last conjunct decides among the rest: false, missing or true.
      {"count(xs where v > 1 and w >= 0 and date > 2024-02-15)", "1"},
      {"count(xs where v > 1 and v < 30)", "2"},
      {"count(xs where v > 1 and w >= 0)", "1"},
      {"count(xs where (v > 1 and w >= 0) is missing and date > 2024-01-15)", "1"},
      // The chain's own `v > 1 and w >= 0` read again inside it: computed from its conjuncts.
      {"count(xs where (v > 1 and w >= 0) and ((v > 1 and w >= 0) ?? false))", "1"},
      // A conjunct the same for every item (n > 5) is computed once, outside.
      {"count(xs where n > 5 and v > 15)", "1"},
      {"count(xs where n < 5 and n / (w - 3) > 1)", "0"},
      // Chains of four and five: a missing conjunct anywhere before the last leaves the item out
      // ([0]'s w), whatever position it has.
      {"count(xs where date > 2023-01-01 and date > 2023-06-01 and w >= 0 and "
       "date > 2023-12-01)",
       "2"},
      {"count(xs where date > 2023-01-01 and date > 2023-06-01 and date > 2023-09-01 and "
       "w >= 0 and date > 2023-12-01)",
       "2"},
      {"count(xs where w >= 0 and date > 2023-06-01 and date > 2023-09-01 and "
       "date > 2023-10-01 and date > 2023-12-01)",
       "2"},
      {"count(xs where date > 2023-01-01 and v > 1 and w >= 0 and date > 2024-02-15 and v < 30)",
       "1"},
      // The loop keeps the items in order, and reads each item's fields afresh.
      {"last(xs where v > 1 and date > 2024-01-15).v", "10"},
      {"first(xs where v > 1 and date > 2024-01-15).date", "2024-03-01"},
      {"first(xs where v is missing and w > 0).w", "3"},
  };
  check_rows(rows, kListCase);
  // No items: the loop's block never runs (its n / 0 included).
  check_rows({{"count(xs where v > 1 and n / 0 > 1)", "0"}},
             R"({"id":"E","as_of":"2024-06-01","n":7,"xs":[]})");
  check_rows({{"count(xs where v > 1 and n / 0 > 1)", "0"}},
             R"({"id":"E","as_of":"2024-06-01","n":7})");
}

TEST_CASE("inline instructions: first/last and the product of small numbers",
          "[eval][program][builtins]") {
  check_rows(
      {
          {"first(xs).v", "20"},
          {"last(xs).w", "0"},
          {"first(xs where v > 100)", "missing"},  // an empty list
          {"last(xs where v > 100) is missing", "true"},
          {"first(xs where n / (w - 3) > 1)", "ERROR E500"},  // an error passes
          {"first(xs where v > 15).date", "2024-01-01"},
          {"last(xs where v > 5).date", "2024-03-01"},
      },
      kListCase);
  // Products, normalised as Decimal's operator* does; 32-bit coefficients take the inline path,
  // wider ones the general one.
  struct Product {
    const char* n;
    const char* k;
    const char* product;
  };
  const std::vector<Product> products = {
      {"7", "2", "14"},
      {"0.5", "4", "2"},
      {"1.50", "2", "3"},
      {"-3", "0.1", "-0.3"},
      {"0", "2.5", "0"},
      {"2147483647", "2147483647", "4611686014132420609"},
      {"-2147483648", "-2147483648", "4611686018427387904"},
      {"2147483648", "3", "6442450944"},
      {"123456789012", "1000", "123456789012000"},
  };
  for (const Product& row : products) {
    INFO(row.n << " * " << row.k);
    CHECK(output("n * k", std::string(R"({"id":"P","as_of":"2024-06-01","n":)") + row.n +
                              R"(,"k":)" + row.k + "}") == row.product);
  }
  CHECK(output("m * k", R"({"id":"P","as_of":"2024-06-01","k":2})") == "missing");
}

TEST_CASE("rule and output steps write every rule's state and date and every output",
          "[eval][program][rules]") {
  // reset_for() leaves the rules' states and dates and the outputs to the steps that write them:
  // each case of one session must see none of the previous case's (a fired rule's date, an
  // output computed before an error).
  Policy p(
      "rules:\n"
      "  - id: r1\n    when: b\n    mmi_date: d\n"
      "  - id: r2\n    when: n / k > 1\n    mmi_date: d + 1 day\n"
      "decision:\n  hit: earliest\n"
      "outputs:\n  o1: n + 1\n  o2: n / m\n");
  REQUIRE(p.compiled);
  mmi::Session session(p.compiled.graph);
  using mmi::RuleState;
  auto run = [&](const char* json) -> const mmi::Outcome& {
    session.load_json(json);
    return session.evaluate();
  };
  const mmi::Outcome& o1 =
      run(R"({"id":"1","as_of":"2024-06-01","b":true,"d":"2024-01-10","n":7,"k":2,"m":2})");
  REQUIRE(!o1.error);
  CHECK(o1.rules == std::vector<RuleState>{RuleState::fired, RuleState::fired});
  CHECK(o1.rule_dates[0].kind == mmi::Kind::date);
  CHECK(o1.rule_dates[1].kind == mmi::Kind::date);
  CHECK(o1.outputs[0].kind == mmi::Kind::number);
  CHECK(o1.outputs[1].kind == mmi::Kind::number);
  // r1 fires without a date; r2's when is an error: unknown, no date, no outputs.
  const mmi::Outcome& o2 = run(R"({"id":"2","as_of":"2024-06-01","b":true,"n":7,"k":0,"m":2})");
  REQUIRE(o2.error);
  CHECK(o2.rules == std::vector<RuleState>{RuleState::fired, RuleState::unknown});
  CHECK(o2.rule_dates[0].is_missing());
  CHECK(o2.rule_dates[1].is_missing());
  CHECK(o2.outputs[0].is_missing());
  CHECK(o2.outputs[1].is_missing());
  // Not fired, fired; the second output an error after the first was written.
  const mmi::Outcome& o3 =
      run(R"({"id":"3","as_of":"2024-06-01","b":false,"d":"2024-01-10","n":7,"k":2,"m":0})");
  REQUIRE(o3.error);
  CHECK(o3.rules == std::vector<RuleState>{RuleState::not_fired, RuleState::fired});
  CHECK(o3.rule_dates[0].is_missing());
  CHECK(o3.rule_dates[1].kind == mmi::Kind::date);
  CHECK(o3.outputs[0].kind == mmi::Kind::number);
  CHECK(o3.outputs[1].is_error());
  // A case that cannot be evaluated: nothing of the previous one.
  run(R"({"id":"1","as_of":"2024-06-01","b":true,"d":"2024-01-10","n":7,"k":2,"m":2})");
  const mmi::Outcome& o4 = run(R"({"id":"4","as_of":"2024-06-01","d":"not a date"})");
  REQUIRE(o4.status == mmi::Status::error);
  CHECK(o4.rules == std::vector<RuleState>{RuleState::unknown, RuleState::unknown});
  CHECK(o4.rule_dates[0].is_missing());
  CHECK(o4.rule_dates[1].is_missing());
  CHECK(o4.outputs[0].is_missing());
  CHECK(o4.outputs[1].is_missing());
}

TEST_CASE("inline instructions: number x duration, comparisons of numbers, between of dates",
          "[eval][program]") {
  // Whole factors up to 1,000,000 with a result within 4,000,000 days scale inline; the rest
  // (fractions, larger factors, results out of range) as scale(). Numbers of one exponent and
  // dates between two dates compare inline; the rest as compare_values().
  check_rows(
      {
          {"n * 1 week", "P49D"},
          {"-n * 1 day", "-P7D"},
          {"m * 1 week", "P3D"},  // 3.5 days, rounded down
          {"n * 2 months", "P1Y2M"},
          {"1000001 * 1 day", "P1000001D"},
          {"1000000 * 1 week", "ERROR E501"},
          {"(n / 0) * 1 week", "ERROR E500"},
          {"n >= k", "true"},
          {"n > 7.0", "false"},
          {"n <= 7", "true"},
          {"m < k", "true"},  // exponents -1 and 0
          {"m >= 0.50", "true"},
          {"k - 2 < 0.1", "true"},
          {"d between 2024-01-01 and 2024-01-10", "true"},
          {"d between 2024-01-11 and 2024-02-01", "false"},
          {"d between 2024-01-10 and 2024-01-09", "false"},
          {"d between d - (n / 0) * 1 day and d", "ERROR E500"},
          {"d between d and d + (n / 0) * 1 day", "ERROR E500"},
          {"n between k and 10", "true"},
          {"n between 7.5 and 10", "false"},
          {"1 week between 1 day and 14 days", "true"},
      },
      R"({"id":"C","as_of":"2024-06-01","d":"2024-01-10","n":7,"k":2,"m":0.5})");
  check_rows(
      {
          {"d between 2024-01-01 and 2024-01-10", "missing"},
          {"n * 1 week", "missing"},
      },
      R"({"id":"C","as_of":"2024-06-01","k":2})");
}

TEST_CASE("short-circuit: a where conjunct `x in list` or `x is present` takes its reject",
          "[eval][program][short-circuit]") {
  // kInReject / kPresentReject: the conjunct and the reject after it as one instruction. Each
  // condition must give what the same condition without the fusion gives (`not (x not in L)`,
  // `not (x is missing)`: not fused), on items with missing fields and errors.
  struct Pair {
    const char* fused;
    const char* plain;
    const char* expected;
  };
  const std::vector<Pair> pairs = {
      {"count(xs where v in [20, 10] and w is present)",
       "count(xs where not (v not in [20, 10]) and not (w is missing))", "1"},
      {"count(xs where w is present and v in [20])",
       "count(xs where not (w is missing) and not (v not in [20]))", "0"},
      {"first(xs where v in [20, 10] and w is present).date",
       "first(xs where not (v not in [20, 10]) and not (w is missing)).date", "2024-03-01"},
      {"count(xs where v in [10, 20] and w is present and w < 1)",
       "count(xs where not (v not in [10, 20]) and not (w is missing) and w < 1)", "1"},
      {"count(xs where v is present and v in [20, 10] and w is missing)",
       "count(xs where not (v is missing) and not (v not in [20, 10]) and w is missing)", "1"},
      {"count(xs where n / (w - 3) in [7] and v > 1)",
       "count(xs where not (n / (w - 3) not in [7]) and v > 1)", "ERROR E500"},
      {"count(xs where (n / (w - 3)) is present and v > 1)",
       "count(xs where not ((n / (w - 3)) is missing) and v > 1)", "ERROR E500"},
      {"count(xs where v in [n * 3 - 1] and w is missing)",
       "count(xs where not (v not in [n * 3 - 1]) and w is missing)", "1"},
      {"count(xs where v in [] and v > 1)", "count(xs where not (v not in []) and v > 1)", "0"},
  };
  for (const Pair& row : pairs) {
    INFO(row.fused);
    CHECK(output(row.fused, kListCase) == row.expected);
    CHECK(output(row.plain, kListCase) == row.expected);
  }
}

TEST_CASE("facts read in place follow the case evaluated, wherever its slots are",
          "[eval][program]") {
  // Facts read only through an instruction's operands are read from the case's slots, not
  // copied: two cases held at once (different slots) evaluated in turn on one evaluator must
  // each see their own facts, in results, missing facts, explanations and covered_from.
  Policy p(
      "rules:\n"
      "  - id: r\n    when: n > k\n    unless: b\n    mmi_date: d\n"
      "decision:\n  hit: earliest\n  covered_from: d\n"
      "outputs:\n  o1: n\n  o2: d + 1 day\n  o3: m ?? k\n");
  REQUIRE(p.compiled);
  mmi::Session session(p.compiled.graph);
  session.load_json(R"({"id":"A","as_of":"2024-06-01","n":7,"k":2,"b":false,"d":"2024-01-10"})");
  const mmi::CaseData a = session.case_data();
  session.load_json(R"({"id":"B","as_of":"2024-06-01","n":1,"k":2,"m":5,"d":"2024-02-01"})");
  const mmi::CaseData b = session.case_data();
  session.load_json(R"({"id":"C","as_of":"2024-06-01","k":2,"b":false,"d":"2024-03-01"})");
  const mmi::CaseData c = session.case_data();
  mmi::Evaluator& ev = session.evaluator();
  const mmi::Graph& g = *p.compiled.graph;
  auto text = [&](const mmi::Value& v) { return mmi::value_to_string(v, g); };
  // Every part of an explanation as `text=value`, depth first.
  std::function<std::string(const mmi::Explanation&)> explained = [&](const mmi::Explanation& e) {
    std::string out = e.text + "=" + e.value + ";";
    for (const mmi::Explanation& part : e.parts) out += explained(part);
    return out;
  };
  for (int round = 0; round < 2; ++round) {
    const mmi::Outcome& oa = session.evaluate(a);
    CHECK(oa.status == mmi::Status::reached);
    CHECK(text(oa.mmi_date) == "2024-01-10");
    CHECK(text(oa.outputs[0]) == "7");
    CHECK(text(oa.outputs[1]) == "2024-01-11");
    CHECK(text(oa.outputs[2]) == "2");
    CHECK(text(ev.covered_from()) == "2024-01-10");
    CHECK(ev.missing_facts().empty());
    CHECK(explained(ev.explain_rule(0)).find("n > k=true;n=7;k=2;") != std::string::npos);
    const mmi::Outcome& ob = session.evaluate(b);
    CHECK(ob.status == mmi::Status::not_reached);
    CHECK(text(ob.outputs[0]) == "1");
    CHECK(text(ob.outputs[1]) == "2024-02-02");
    CHECK(text(ob.outputs[2]) == "5");
    CHECK(text(ev.covered_from()) == "2024-02-01");
    const mmi::Outcome& oc = session.evaluate(c);
    CHECK(oc.status == mmi::Status::undetermined);
    CHECK(text(oc.outputs[0]) == "missing");
    CHECK(ev.missing_facts() == std::vector<std::string>{"n"});
    CHECK(ev.explain_rule(0).value == "unknown");
  }
}

TEST_CASE("as_of, the decision and rules' dates are read where they are kept", "[eval][program]") {
  // as_of, status, mmi_date, basis and mmi_date(rule) get no instruction: their readers point at
  // the evaluation's own copy, written before any reader. Each case of one session must see its
  // own (and an as_of given in the options).
  Policy p(
      "rules:\n"
      "  - id: r1\n    when: b\n    mmi_date: d\n"
      "decision:\n  hit: earliest\n"
      "outputs:\n"
      "  s: status\n  m: mmi_date\n  ba: basis\n  a: as_of\n  rd: mmi_date(r1) ?? as_of\n");
  REQUIRE(p.compiled);
  mmi::Session session(p.compiled.graph);
  CHECK_THAT(result(session, p, R"({"id":"1","as_of":"2024-06-01","b":true,"d":"2024-01-10"})"),
             Contains(R"("outputs":{"s":"reached","m":"2024-01-10","ba":"r1",)"
                      R"("a":"2024-06-01","rd":"2024-01-10"})"));
  CHECK_THAT(result(session, p, R"({"id":"2","as_of":"2024-07-01","d":"2024-01-10"})"),
             Contains(R"("outputs":{"s":"undetermined","m":null,"ba":null,)"
                      R"("a":"2024-07-01","rd":"2024-07-01"})"));
  session.load_json(R"({"id":"3","as_of":"2024-06-01","b":false,"d":"2024-01-10"})");
  mmi::EvalOptions options;
  options.as_of = mmi::DayNumber{0};
  const mmi::Outcome& o = session.evaluate(options);
  CHECK(o.status == mmi::Status::not_reached);
  CHECK(mmi::value_to_string(o.outputs[3], *p.compiled.graph) == "1970-01-01");
  CHECK(mmi::value_to_string(o.outputs[4], *p.compiled.graph) == "1970-01-01");
}
