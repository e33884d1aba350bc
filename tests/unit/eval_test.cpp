// Evaluation semantics (language.md §3–§8) through the embedding API: every operator and built-in
// with hand-computed values, Kleene logic over `missing`, SQL-style aggregates, calendar
// arithmetic, dated parameters, rules, hit policies, errors and the result object.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "engine/mmi.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using mmi_test::TempDir;

namespace {

// Facts of the expression policy. `e`, `m`, `u` and `ys` are never given: always missing.
const char* kFacts =
    "facts:\n"
    "  d: date\n"
    "  d2: date\n"
    "  e: date\n"
    "  n: number\n"
    "  k: number\n"
    "  m: number\n"
    "  b: bool\n"
    "  c: bool\n"
    "  u: bool\n"
    "  t: text\n"
    "  dur: duration\n"
    "  per: period\n"
    "  kind: enum(surgery, therapy)\n"
    "  xs:\n"
    "    - date: date\n"
    "      v: number\n"
    "      w: number\n"
    "parameters:\n"
    "  cap:\n"
    "    2000-01-01: 10\n"
    "    2010-01-01: 20\n"
    "  pct: 5%\n";

// The default case: d = 2024-01-31, d2 = 2024-03-15 (44 days later: 29 to Feb 29, 15 to Mar 15),
// and three list items given out of date order; after sorting on load they are
//   [0] 2024-01-01 v=20 w=missing, [1] 2024-02-01 v=missing w=3, [2] 2024-03-01 v=10 w=1.
const char* kCase =
    R"({"id":"T","as_of":"2024-06-01","d":"2024-01-31","d2":"2024-03-15","n":7,"k":2,)"
    R"("b":true,"c":false,"t":"abc","dur":"P10D","per":"P1Y2M","kind":"surgery","xs":[)"
    R"({"date":"2024-03-01","v":10,"w":1},{"date":"2024-01-01","v":20},)"
    R"({"date":"2024-02-01","w":3}]})";

std::string indent_block(const std::string& expr) {
  return "  r: |-\n    " + expr + "\n";
}

// Evaluates `expr` as the policy's only output against `case_json` and renders the value the way
// results do (dates YYYY-MM-DD, durations P14D, `missing`). Errors come back as text.
std::string eval(const std::string& expr, const std::string& case_json = kCase,
                 mmi::CompileOptions options = {}) {
  TempDir dir;
  std::string path =
      dir.write("policy.yaml",
                std::string("policy: t\nversion: \"1\"\ndefinition: max-potential\n") + kFacts +
                    "rules:\n  - id: r1\n    when: true\n    mmi_date: 2024-01-01\n"
                    "decision:\n  hit: earliest\noutputs:\n" +
                    indent_block(expr));
  return mmi_test::first_output(path, case_json, dir, options);
}

struct Row {
  const char* expr;
  const char* expected;
};

void check_rows(const std::vector<Row>& rows, const std::string& case_json = kCase) {
  for (const auto& row : rows) {
    INFO("expression: " << row.expr);
    CHECK(eval(row.expr, case_json) == row.expected);
  }
}

// A whole policy from its rules/decision/outputs text, evaluated against one case.
struct Run {
  std::string status, mmi_date, basis, cutoff, json;
  std::vector<std::string> states;
  std::vector<std::string> missing;
  std::string error_at;
};

Run run_policy(const std::string& body, const std::string& case_json,
               const std::string& facts = kFacts) {
  TempDir dir;
  std::string path = dir.write(
      "policy.yaml",
      std::string("policy: t\nversion: \"1\"\ndefinition: max-potential\n") + facts + body);
  mmi::CompileOptions options;
  options.warnings = false;
  auto compiled = mmi::compile_policy(path, options);
  Run r;
  if (!compiled) {
    r.status = "CHECK ERROR: " + mmi_test::render(compiled.diagnostics, dir);
    return r;
  }
  mmi::Session session(compiled.graph);
  session.load_json(case_json);
  const mmi::Outcome& o = session.evaluate();
  const mmi::Graph& g = *compiled.graph;
  r.status = mmi::to_string(o.status);
  r.mmi_date = mmi::value_to_string(o.mmi_date, g);
  r.basis = o.basis >= 0 ? g.policy.rules[static_cast<std::size_t>(o.basis)].id : "-";
  r.cutoff = mmi::value_to_string(o.coverage_cutoff, g);
  for (auto s : o.rules) r.states.push_back(mmi::to_string(s));
  r.missing = session.evaluator().missing_facts();
  if (o.error) r.error_at = mmi_test::strip_dir(o.error->at, dir);
  r.json = mmi_test::strip_dir(session.result_json(), dir);
  return r;
}

const char* kRuleCase = R"({"id":"R","as_of":"2024-06-01","n":7,"b":true,"c":false})";

}  // namespace

// ---- §3 numbers ----------------------------------------------------------------------------

TEST_CASE("eval: decimal numbers are exact", "[eval][decimal]") {
  check_rows({
      {"0.1 + 0.2 == 0.3", "true"},
      {"0.1 + 0.2", "0.3"},
      {"1.10 + 2.20", "3.3"},
      {"0.3 - 0.1", "0.2"},
      {"1.1 * 1.1", "1.21"},
      {"10 / 4", "2.5"},
      {"1 / 8", "0.125"},
      {"n / 2", "3.5"},
      // 18+ significant digits survive
      {"123456789012345678 + 0.1", "123456789012345678.1"},
      {"999999999999999999 + 1", "1000000000000000000"},
      {"0.000000000000000001 * 3", "0.000000000000000003"},
      {"123456789.123456789 * 10", "1234567891.23456789"},
      {"5%", "0.05"},
      {"n * 5%", "0.35"},          // 7 × 0.05
      {"812.50 * pct", "40.625"},  // 812.5 × 0.05
      {"-n", "-7"},
      {"-(0.5)", "-0.5"},
      {"n - 7", "0"},
      {"7.0 == n", "true"},
      {"2.50", "2.5"},
  });
}

TEST_CASE("eval: comparisons, membership and text", "[eval]") {
  check_rows({
      {"n > 6", "true"},
      {"n >= 7", "true"},
      {"n < 7", "false"},
      {"n <= 6.99", "false"},
      {"n != 7", "false"},
      {"n == k", "false"},
      {"t == 'abc'", "true"},
      {"t == \"abd\"", "false"},
      {"kind == 'surgery'", "true"},
      {"kind != 'therapy'", "true"},
      {"kind in ['surgery', 'therapy']", "true"},
      {"kind not in ['therapy']", "true"},
      {"n in [1, 7, 9]", "true"},
      {"n not in [1, 2]", "true"},
      {"n in []", "false"},
      {"n between 7 and 8", "true"},  // inclusive
      {"n between 1 and 7", "true"},
      {"n between 8 and 9", "false"},
      {"d between 2024-01-01 and 2024-01-31", "true"},
      {"d < d2", "true"},
      {"dur > 9 days", "true"},
      {"dur == 10 days", "true"},
      {"b == true", "true"},
  });
}

// ---- §3 dates, durations, periods --------------------------------------------------------------

TEST_CASE("eval: date arithmetic, leap years and month ends", "[eval][dates]") {
  check_rows({
      {"2024-01-31 + 1 month", "2024-02-29"},  // clamped to the leap February's end
      {"2023-01-31 + 1 month", "2023-02-28"},
      {"2024-01-31 + 2 months", "2024-03-31"},
      {"2024-03-31 - 1 month", "2024-02-29"},
      {"2024-05-31 + 1 month", "2024-06-30"},
      {"2024-02-29 + 1 year", "2025-02-28"},
      {"2024-02-29 + 4 years", "2028-02-29"},
      {"2024-02-29 - 12 months", "2023-02-28"},
      {"2024-12-31 + 1 day", "2025-01-01"},
      {"2024-02-28 + 1 day", "2024-02-29"},
      {"2023-02-28 + 1 day", "2023-03-01"},
      {"1900-02-28 + 1 day", "1900-03-01"},  // 1900: divisible by 100, not by 400
      {"2000-02-28 + 1 day", "2000-02-29"},  // 2000: divisible by 400
      {"2024-03-01 - 1 day", "2024-02-29"},
      // 2024-01-23 + 728 days: + 366 (over 2024-02-29) = 2025-01-23, + 362 = 2026-01-20
      {"2024-01-23 + 104 weeks", "2026-01-20"},
      {"3 days + 2024-01-30", "2024-02-02"},
      {"d + per", "2025-03-31"},  // 2024-01-31 + 14 months
      {"d - 10 days", "2024-01-21"},
      {"2024-03-01 - 2024-02-01", "P29D"},
      {"2025-03-01 - 2025-02-01", "P28D"},
      {"d2 - d", "P44D"},
      {"d - d2", "-P44D"},  // negative durations
      {"2024-01-01 - 2025-01-01", "-P366D"},
      {"(d - d2) < 0 days", "true"},
      {"1 week + 3 days", "P10D"},
      {"dur + 2 days", "P12D"},
      {"dur - 2 weeks", "-P4D"},
      {"0 days", "P0D"},
      {"-3 days", "-P3D"},
      // duration × number rounds down to whole days
      {"10 days * 1.5", "P15D"},
      {"10 days * 0.33", "P3D"},  // 3.3 days
      {"3 days * 0.5", "P1D"},    // 1.5 days
      {"2 * 3 days", "P6D"},
      {"1 week * 0", "P0D"},
      // duration / duration is a number
      {"21 days / 1 week", "3"},
      {"10 days / 4 days", "2.5"},
      {"(d2 - d) / 1 week", "6.285714285714285714285714285714286"},  // 44/7, 34 digits
      // periods
      {"1 year + 2 months", "P1Y2M"},
      {"per", "P1Y2M"},
      {"14 months", "P1Y2M"},
      {"2 years", "P2Y"},
      {"per - 2 months", "P1Y"},
      {"per > 1 year", "true"},
  });
}

TEST_CASE("eval: date arithmetic out of the calendar's range is an error", "[eval][dates]") {
  CHECK(eval("9999-12-31 + 1 day").rfind("ERROR E501", 0) == 0);
  CHECK(eval("0001-01-01 - 1 month").rfind("ERROR E501", 0) == 0);
}

// ---- §4 missing and Kleene logic ----------------------------------------------------------

TEST_CASE("eval: every Kleene combination of and/or/not", "[eval][kleene]") {
  // b = true, c = false, u = missing
  struct K {
    const char* x;
    const char* y;
    const char* and_;
    const char* or_;
  };
  const std::vector<K> table = {
      {"b", "b", "true", "true"},       {"b", "c", "false", "true"},
      {"b", "u", "missing", "true"},    {"c", "b", "false", "true"},
      {"c", "c", "false", "false"},     {"c", "u", "false", "missing"},
      {"u", "b", "missing", "true"},    {"u", "c", "false", "missing"},
      {"u", "u", "missing", "missing"},
  };
  for (const auto& k : table) {
    std::string a = std::string(k.x) + " and " + k.y;
    std::string o = std::string(k.x) + " or " + k.y;
    INFO(a << " / " << o);
    CHECK(eval(a) == k.and_);
    CHECK(eval(o) == k.or_);
  }
  CHECK(eval("not b") == "false");
  CHECK(eval("not c") == "true");
  CHECK(eval("not u") == "missing");
  // missing literals behave the same
  CHECK(eval("missing and false") == "false");
  CHECK(eval("missing or true") == "true");
}

TEST_CASE("eval: missing operands, `??`, `if`, `is missing`", "[eval][missing]") {
  check_rows({
      {"m + 1", "missing"},
      {"m * 0", "missing"},
      {"-m", "missing"},
      {"m > 1", "missing"},
      {"m == m", "missing"},
      {"m != 1", "missing"},
      {"u == true", "missing"},
      {"e < d", "missing"},
      {"e + 1 day", "missing"},
      {"d - e", "missing"},
      {"m in [1, 2]", "missing"},
      {"m not in [1, 2]", "missing"},
      {"m between 1 and 2", "missing"},
      {"m is missing", "true"},
      {"m is present", "false"},
      {"n is missing", "false"},
      {"n is present", "true"},
      {"(m + 1) is missing", "true"},
      {"m ?? 5", "5"},
      {"n ?? 5", "7"},
      {"m ?? m ?? 3", "3"},
      {"e ?? d", "2024-01-31"},
      {"u ?? false", "false"},
      {"c ?? true", "false"},  // false is present
      {"if u then 1 else 2", "missing"},
      {"if b then 1 else m", "1"},
      {"if c then 1 else m", "missing"},
      {"if c then 1 else 2", "2"},
      {"days_between(e, d)", "missing"},
      {"round(m, 2)", "missing"},
      {"abs(m)", "missing"},
  });
}

TEST_CASE("eval: `between` with a missing bound is missing", "[eval][missing]") {
  // §4: comparisons with a missing operand give missing — `between` included, whatever the
  // other bound says.
  CHECK(eval("n between m and 5") == "missing");
  CHECK(eval("n between 8 and m") == "missing");
}

// ---- §4 lists, `where`, aggregates -------------------------------------------------------------

TEST_CASE("eval: `where` keeps items whose condition is true (missing is not)", "[eval][lists]") {
  check_rows({
      {"count(xs)", "3"},
      {"count(xs where v > 15)", "1"},           // 20 > 15 true; missing; 10 false
      {"count(xs where not (v > 15))", "1"},     // not missing is missing: not kept
      {"count(xs where v > 15 or w > 2)", "2"},  // true; missing or true; false or false
      {"count(xs where v is missing)", "1"},
      {"count(xs where v > k)", "2"},  // outer names stay visible: k = 2
      {"count(xs where date >= 2024-02-01)", "2"},
      {"count(xs where w > 0 and v > 0)", "1"},  // missing and true is missing
      {"first(xs where v < 15).date", "2024-03-01"},
  });
}

TEST_CASE("eval: item fields and outer names inside `where`", "[eval][lists]") {
  // `date` inside the condition is the item's date, `d` the case's fact.
  check_rows({
      {"count(xs where date < d)", "1"},  // only 2024-01-01 is before 2024-01-31
  });
}

TEST_CASE("eval: aggregates skip missing items", "[eval][lists]") {
  check_rows({
      {"count(xs.v)", "2"},
      {"sum(xs.v)", "30"},
      {"avg(xs.v)", "15"},
      {"min(xs.v)", "10"},
      {"max(xs.v)", "20"},
      {"sum(xs.w)", "4"},
      {"avg(xs.w)", "2"},
      {"min(xs.date)", "2024-01-01"},
      {"max(xs.date)", "2024-03-01"},
      {"any(xs.v)", "true"},
      {"none(xs.v)", "false"},
      {"any(xs where v > 100)", "false"},
      {"none(xs where v > 100)", "true"},
      {"avg([1, 2, 4])", "2.333333333333333333333333333333333"},  // 7/3 to 34 digits
      {"sum([0.1, 0.2])", "0.3"},
  });
}

TEST_CASE("eval: aggregates of an empty list", "[eval][lists]") {
  check_rows({
      {"count(xs where v > 100)", "0"},
      {"sum((xs where v > 100).v)", "0"},
      {"any(xs where v > 100)", "false"},
      {"none(xs where v > 100)", "true"},
      {"avg((xs where v > 100).v)", "missing"},
      {"min((xs where v > 100).v)", "missing"},
      {"max((xs where v > 100).v)", "missing"},
      {"first(xs where v > 100)", "missing"},
      {"last(xs where v > 100)", "missing"},
      {"first(xs where v > 100).v", "missing"},
      {"earliest((xs where v > 100).date)", "missing"},
      {"count([])", "0"},
  });
  // A list fact absent from the case: aggregates over it behave as over an empty list.
  const std::string no_list = R"({"id":"T","as_of":"2024-06-01"})";
  CHECK(eval("count(xs)", no_list) == "0");
  CHECK(eval("sum(xs.v)", no_list) == "0");
  CHECK(eval("avg(xs.v)", no_list) == "missing");
}

TEST_CASE("eval: lists are sorted by date on load, stably", "[eval][lists]") {
  check_rows({
      {"first(xs).date", "2024-01-01"},
      {"first(xs).v", "20"},
      {"last(xs).v", "10"},
      {"last(xs).date", "2024-03-01"},
      {"last(xs where v is present).date", "2024-03-01"},
      {"first(xs where w is present).date", "2024-02-01"},
  });
  // Two items on one date keep their input order: w = 1 then w = 2.
  const std::string ties = R"({"id":"T","as_of":"2024-06-01","xs":[{"date":"2024-05-01","w":9},)"
                           R"({"date":"2024-02-01","w":1},{"date":"2024-02-01","w":2}]})";
  CHECK(eval("first(xs).w", ties) == "1");
  CHECK(eval("(xs where date == 2024-02-01).w", ties) == "[1, 2] (2 items)");
  CHECK(eval("last(xs).w", ties) == "9");
}

TEST_CASE("eval: earliest, latest, min, max", "[eval][builtins]") {
  check_rows({
      {"earliest(d, d2)", "2024-01-31"},
      {"latest(d, d2)", "2024-03-15"},
      {"earliest(e, d2)", "2024-03-15"},  // missing arguments ignored
      {"latest(d, e)", "2024-01-31"},
      {"earliest(e, e)", "missing"},      // only when all are
      {"latest(xs.date)", "2024-03-01"},  // one list argument
      {"earliest(xs.date)", "2024-01-01"},
      {"earliest(d, 2024-01-30, d2)", "2024-01-30"},
      {"min(n, k, 3)", "2"},
      {"max(n, k, 3)", "7"},
      {"max(n, m, 3)", "7"},
      {"min(m, m)", "missing"},
      {"min(3 days, 1 week)", "P3D"},
      {"max(3 days, 1 week)", "P7D"},
      {"max(xs.v)", "20"},
      {"min([5, -2.5, 3])", "-2.5"},
  });
}

TEST_CASE("eval: days_between and weeks_between", "[eval][builtins]") {
  check_rows({
      {"days_between(d, d2)", "44"},
      {"days_between(d2, d)", "-44"},
      {"days_between(d, d)", "0"},
      {"days_between(2024-02-28, 2024-03-01)", "2"},  // over the leap day
      {"days_between(2023-02-28, 2023-03-01)", "1"},
      {"weeks_between(d, d2)", "6"},                    // floor(44 / 7)
      {"weeks_between(d2, d)", "-7"},                   // floor(-44 / 7) = floor(-6.29)
      {"weeks_between(2024-01-01, 2024-01-14)", "1"},   // 13 days
      {"weeks_between(2024-01-01, 2024-01-15)", "2"},   // 14 days
      {"weeks_between(2024-01-15, 2024-01-01)", "-2"},  // exactly -14 days
      {"weeks_between(2024-01-14, 2024-01-01)", "-2"},  // floor(-13 / 7) = floor(-1.86)
  });
}

TEST_CASE("eval: round, floor, ceil, abs", "[eval][builtins]") {
  check_rows({
      {"round(2.5, 0)", "3"},
      {"round(-2.5, 0)", "-3"},  // half away from zero
      {"round(0.5, 0)", "1"},
      {"round(1.25, 1)", "1.3"},
      {"round(-1.25, 1)", "-1.3"},
      {"round(2.345, 2)", "2.35"},
      {"round(2.4999, 0)", "2"},
      {"round(1234.5, -2)", "1200"},
      {"round(1250, -2)", "1300"},
      {"round(7, 2)", "7"},
      {"floor(-1.5)", "-2"},
      {"floor(1.5)", "1"},
      {"ceil(-1.5)", "-1"},
      {"ceil(1.2)", "2"},
      {"ceil(3)", "3"},
      {"abs(-3.5)", "3.5"},
      {"abs(3.5)", "3.5"},
      {"abs(-3 days)", "P3D"},
      {"abs(d - d2)", "P44D"},
  });
}

TEST_CASE("eval: change and trend", "[eval][builtins]") {
  check_rows({
      {"change(xs, v)", "-10"},  // last present v (10 on 03-01) - first present v (20 on 01-01)
      {"change(xs, w)", "-2"},   // 1 (03-01) - 3 (02-01)
  });
  // Weekly points 10, 12, 14: slope exactly 2 per week.
  const std::string weekly = R"({"id":"T","as_of":"2024-06-01","xs":[{"date":"2024-01-01","v":10},)"
                             R"({"date":"2024-01-08","v":12},{"date":"2024-01-15","v":14}]})";
  CHECK(eval("trend(xs, v)", weekly) == "2");
  // Days 0, 7, 14 with 10, 11, 13: n = 3, Σx = 21, Σy = 34, Σxy = 77 + 182 = 259, Σx² = 245;
  // slope/day = (3·259 − 21·34) / (3·245 − 21²) = 63 / 294; per week × 7 = 441 / 294 = 1.5.
  const std::string uneven = R"({"id":"T","as_of":"2024-06-01","xs":[{"date":"2024-01-15","v":13},)"
                             R"({"date":"2024-01-01","v":10},{"date":"2024-01-08","v":11}]})";
  CHECK(eval("trend(xs, v)", uneven) == "1.5");
  // Two points 10 days apart, +5: 0.5 per day, 3.5 per week; a third point without v is skipped.
  const std::string two = R"({"id":"T","as_of":"2024-06-01","xs":[{"date":"2024-01-01","v":10},)"
                          R"({"date":"2024-01-05","w":1},{"date":"2024-01-11","v":15}]})";
  CHECK(eval("trend(xs, v)", two) == "3.5");
  CHECK(eval("change(xs, v)", two) == "5");
  // Falling: 20 on 01-01, 10 on 03-01 (60 days): −10/60 per day = −7/6 per week.
  CHECK(eval("round(trend(xs, v), 6)") == "-1.166667");
  // Fewer than two points with the field: missing.
  const std::string one =
      R"({"id":"T","as_of":"2024-06-01","xs":[{"date":"2024-01-01","v":10},{"date":"2024-01-05"}]})";
  CHECK(eval("trend(xs, v)", one) == "missing");
  CHECK(eval("change(xs, v)", one) == "0");
  CHECK(eval("trend(xs where v > 100, v)") == "missing");
  CHECK(eval("change(xs where v > 100, v)") == "missing");
}

// ---- §5 parameters ---------------------------------------------------------------------

TEST_CASE("eval: dated parameters and `at`", "[eval][parameters]") {
  check_rows({
      {"cap", "20"},  // in force on as_of 2024-06-01
      {"cap at 2005-05-05", "10"},
      {"cap at 2010-01-01", "20"},  // in force from its date on
      {"cap at 2009-12-31", "10"},
      {"cap at 2000-01-01", "10"},
      {"cap at 1999-12-31", "missing"},  // before the first date
      {"cap at e", "missing"},
      {"cap at d + 1", "21"},
      {"pct", "0.05"},
  });
  // as_of decides the plain value
  CHECK(eval("cap", R"({"id":"T","as_of":"2005-01-01"})") == "10");
  CHECK(eval("cap", R"({"id":"T","as_of":"1999-01-01"})") == "missing");
  // --set replaces the whole series
  mmi::CompileOptions set;
  set.set = {{"cap", "5"}};
  CHECK(eval("cap at 2005-05-05", kCase, set) == "5");
  CHECK(eval("cap at 1999-12-31", kCase, set) == "5");
  CHECK(eval("cap", kCase, set) == "5");
}

TEST_CASE("eval: lets and as_of", "[eval][parameters]") {
  Run r = run_policy(
      "let:\n"
      "  b2: a2 + 1\n"  // lets in any order
      "  a2: n * 2\n"
      "rules:\n  - id: r\n    when: b2 == 15\n    mmi_date: as_of - 1 day\n"
      "decision:\n  hit: earliest\n",
      kRuleCase);
  CHECK(r.status == "reached");
  CHECK(r.mmi_date == "2024-05-31");
}

// ---- §6 rules, §7 decision ---------------------------------------------------------------

TEST_CASE("eval: `unless` — fired, not fired, unknown", "[eval][rules]") {
  // b = true, c = false, u = missing
  struct U {
    const char* when;
    const char* unless;
    const char* state;
  };
  const std::vector<U> table = {
      {"b", "c", "fired"},     {"b", "b", "not_fired"}, {"b", "u", "unknown"},
      {"c", "u", "not_fired"}, {"c", "b", "not_fired"}, {"u", "b", "not_fired"},
      {"u", "c", "unknown"},   {"u", "u", "unknown"},
  };
  for (const auto& t : table) {
    INFO("when " << t.when << " unless " << t.unless);
    Run r = run_policy(std::string("rules:\n  - id: r\n    when: ") + t.when + "\n    unless: " +
                           t.unless + "\n    mmi_date: 2024-01-01\ndecision:\n  hit: earliest\n",
                       kRuleCase);
    REQUIRE(r.states.size() == 1);
    CHECK(r.states[0] == t.state);
  }
}

TEST_CASE("eval: hit policy `earliest`, ties to the first in order", "[eval][decision]") {
  const std::string rules =
      "rules:\n"
      "  - id: a\n    when: b\n    mmi_date: 2024-03-01\n"
      "  - id: bb\n    when: b\n    mmi_date: 2024-02-01\n"
      "  - id: cc\n    when: b\n    mmi_date: 2024-02-01\n"
      "  - id: dd\n    when: u\n    mmi_date: 2024-01-01\n"
      "decision:\n  hit: earliest\n";
  Run r = run_policy(rules, kRuleCase);
  CHECK(r.status == "reached");
  CHECK(r.mmi_date == "2024-02-01");
  CHECK(r.basis == "bb");  // tie with cc: bb comes first
  CHECK(r.states == std::vector<std::string>{"fired", "fired", "fired", "unknown"});

  // The tie goes the other way when cc is listed first.
  Run swapped = run_policy(
      "rules:\n"
      "  - id: cc\n    when: b\n    mmi_date: 2024-02-01\n"
      "  - id: bb\n    when: b\n    mmi_date: 2024-02-01\n"
      "decision:\n  hit: earliest\n",
      kRuleCase);
  CHECK(swapped.basis == "cc");

  // Nothing fired, one unknown: undetermined.
  Run und = run_policy(
      "rules:\n"
      "  - id: a\n    when: c\n    mmi_date: 2024-03-01\n"
      "  - id: bb\n    when: u\n    mmi_date: 2024-02-01\n"
      "decision:\n  hit: earliest\n",
      kRuleCase);
  CHECK(und.status == "undetermined");
  CHECK(und.mmi_date == "missing");
  CHECK(und.basis == "-");

  // Every rule not fired: not_reached.
  Run none = run_policy(
      "rules:\n"
      "  - id: a\n    when: c\n    mmi_date: 2024-03-01\n"
      "  - id: bb\n    when: n > 100\n    mmi_date: 2024-02-01\n"
      "decision:\n  hit: earliest\n",
      kRuleCase);
  CHECK(none.status == "not_reached");
  CHECK(none.mmi_date == "missing");
  CHECK(none.basis == "-");
}

TEST_CASE("eval: hit policy `first`", "[eval][decision]") {
  const std::string rules =
      "rules:\n"
      "  - id: a\n    when: b\n    mmi_date: 2024-01-01\n"
      "  - id: bb\n    when: b\n    mmi_date: 2024-05-01\n"
      "  - id: cc\n    when: FLAG\n    mmi_date: 2024-03-01\n";
  auto with_flag = [&](const std::string& flag, const std::string& decision) {
    std::string text = rules;
    text.replace(text.find("FLAG"), 4, flag);
    return run_policy(text + decision, kRuleCase);
  };
  // order [cc, bb, a]: cc not fired, bb is the first fired — not the earliest date (a).
  Run r = with_flag("c", "decision:\n  hit: first\n  order: [cc, bb, a]\n");
  CHECK(r.status == "reached");
  CHECK(r.basis == "bb");
  CHECK(r.mmi_date == "2024-05-01");
  // cc unknown before the winner: undetermined.
  Run blocked = with_flag("u", "decision:\n  hit: first\n  order: [cc, bb, a]\n");
  CHECK(blocked.status == "undetermined");
  CHECK(blocked.basis == "-");
  CHECK(blocked.mmi_date == "missing");
  // An unknown rule after the winner does not matter.
  Run after = with_flag("u", "decision:\n  hit: first\n  order: [bb, cc]\n");
  CHECK(after.status == "reached");
  CHECK(after.basis == "bb");
  // Default order is the rule order: a first.
  Run plain = with_flag("u", "decision:\n  hit: first\n");
  CHECK(plain.basis == "a");
  CHECK(plain.mmi_date == "2024-01-01");
}

TEST_CASE("eval: fired() and mmi_date() of other rules", "[eval][rules]") {
  Run r = run_policy(
      "rules:\n"
      "  - id: base\n    when: b\n    mmi_date: 2024-02-10\n"
      "  - id: follow\n    when: fired(base)\n    mmi_date: mmi_date(base) + 14 days\n"
      "  - id: not_base\n    when: not fired(base)\n    mmi_date: 2024-01-01\n"
      "  - id: other\n    when: u\n    mmi_date: 2024-01-01\n"
      "  - id: after_other\n    when: fired(other)\n    mmi_date: 2024-01-01\n"
      "  - id: date_of_other\n    when: b\n    mmi_date: mmi_date(other) ?? 2024-12-31\n"
      "decision:\n  hit: earliest\n",
      kRuleCase);
  CHECK(r.states ==
        std::vector<std::string>{"fired", "fired", "not_fired", "unknown", "unknown", "fired"});
  CHECK(r.status == "reached");
  CHECK(r.basis == "base");  // 2024-02-10 < 2024-02-24 < 2024-12-31
  CHECK(r.mmi_date == "2024-02-10");
}

TEST_CASE("eval: a rule that fires without a date", "[eval][rules]") {
  // §6: the rule fires (`when` true, no `unless`); its date is missing, so it cannot decide and
  // nothing else fired: undetermined, with the rule reported as fired and mmi_date null.
  Run r = run_policy(
      "rules:\n"
      "  - id: dateless\n    when: b\n    mmi_date: e\n"
      "  - id: other\n    when: c\n    mmi_date: 2024-01-01\n"
      "decision:\n  hit: earliest\n",
      kRuleCase);
  CHECK(r.status == "undetermined");
  CHECK(r.mmi_date == "missing");
  REQUIRE(r.states.size() == 2);
  CHECK(r.states[0] == "fired");
  CHECK_THAT(r.json, Contains("\"dateless\":{\"state\":\"fired\",\"mmi_date\":null}"));
}

TEST_CASE("eval: division by zero makes the case an error with its place", "[eval][errors]") {
  const std::string body =
      "rules:\n"                       // 27
      "  - id: r\n"                    // 28
      "    when: n / k > 1\n"          // 29: `n / k` at column 11
      "    mmi_date: 2024-01-01\n"     // 30
      "decision:\n  hit: earliest\n";  // 31-32
  // The header (3 lines) and kFacts (23 lines) precede the body, which starts on line 27.
  REQUIRE(std::count(kFacts, kFacts + std::strlen(kFacts), '\n') + 3 == 26);
  Run bad = run_policy(body, R"({"id":"Z","as_of":"2024-06-01","n":7,"k":0})");
  CHECK(bad.status == "error");
  CHECK(bad.error_at == "policy.yaml:29:11");
  CHECK_THAT(bad.json, Contains("\"status\":\"error\""));
  CHECK_THAT(bad.json, Contains("\"error\":{\"code\":\"E500\",\"message\":\"division by zero\","
                                "\"at\":\"policy.yaml:29:11\"}"));
  CHECK_THAT(bad.json, Contains("\"mmi_date\":null,\"basis\":null,\"coverage_cutoff\":null"));

  // Another case on the same session is unaffected.
  TempDir dir;
  std::string path = dir.write("policy.yaml", std::string("policy: t\nversion: \"1\"\n"
                                                          "definition: max-potential\n") +
                                                  kFacts + body);
  mmi::CompileOptions options;
  options.warnings = false;
  auto compiled = mmi::compile_policy(path, options);
  REQUIRE(compiled);
  mmi::Session session(compiled.graph);
  session.load_json(R"({"id":"Z","as_of":"2024-06-01","n":7,"k":0})");
  CHECK(session.evaluate().status == mmi::Status::error);
  session.load_json(R"({"id":"OK","as_of":"2024-06-01","n":7,"k":2})");
  const mmi::Outcome& o = session.evaluate();
  CHECK(o.status == mmi::Status::reached);  // 7 / 2 = 3.5 > 1
  CHECK_FALSE(o.error);
  // Division by a missing value is missing, not an error.
  session.load_json(R"({"id":"M","as_of":"2024-06-01","n":7})");
  CHECK(session.evaluate().status == mmi::Status::undetermined);
  // Division by zero in an output, duration by zero days.
  CHECK(eval("n / (k - 2)") == "ERROR E500: division by zero");
  CHECK(eval("dur / 0 days") == "ERROR E500: division by zero");
}

TEST_CASE("eval: `missing` names the absent facts that left rules unknown", "[eval][missing]") {
  Run r = run_policy(
      "rules:\n"
      "  - id: a\n    when: m > 1 and b\n    mmi_date: 2024-01-01\n"
      "  - id: bb\n    when: u or first(xs).v > 1\n    mmi_date: 2024-01-01\n"
      "  - id: cc\n    when: m > 1 or b\n    mmi_date: e ?? 2024-01-01\n"  // fired: m irrelevant
      "decision:\n  hit: earliest\n",
      R"({"id":"R","as_of":"2024-06-01","b":true,"xs":[{"date":"2024-01-01"}]})");
  CHECK(r.states[0] == "unknown");
  CHECK(r.states[1] == "unknown");
  CHECK(r.states[2] == "fired");
  // a: m; bb: u and the first item's v; cc fired, so its `m` does not count.
  CHECK(r.missing == std::vector<std::string>{"m", "u", "xs[0].v"});
  CHECK_THAT(r.json, Contains("\"missing\":[\"m\",\"u\",\"xs[0].v\"]"));
  // Nothing unknown: empty.
  Run none = run_policy(
      "rules:\n  - id: a\n    when: b\n    mmi_date: 2024-01-01\n"
      "decision:\n  hit: earliest\n",
      kRuleCase);
  CHECK(none.missing.empty());
  CHECK_THAT(none.json, Contains("\"missing\":[]"));
}

TEST_CASE("eval: coverage_cutoff and outputs see status, mmi_date and basis", "[eval][decision]") {
  const std::string decision =
      "decision:\n"
      "  hit: earliest\n"
      "  coverage_cutoff: if status == \"reached\" then mmi_date + 14 days else as_of + 1 year\n"
      "outputs:\n"
      "  s: status\n"
      "  why: basis\n"
      "  when_: mmi_date\n";
  Run reached = run_policy("rules:\n  - id: a\n    when: b\n    mmi_date: 2024-02-20\n" + decision,
                           kRuleCase);
  CHECK(reached.cutoff == "2024-03-05");  // 2024-02-20 + 14 days over the leap day
  CHECK_THAT(reached.json,
             Contains("\"outputs\":{\"s\":\"reached\",\"why\":\"a\",\"when_\":\"2024-02-20\"}"));
  Run not_reached = run_policy(
      "rules:\n  - id: a\n    when: c\n    mmi_date: 2024-02-20\n" + decision, kRuleCase);
  CHECK(not_reached.status == "not_reached");
  CHECK(not_reached.cutoff ==
        "2025-06-01");  // as_of 2024-06-01 + 1 year: a date though not reached
  CHECK_THAT(not_reached.json,
             Contains("\"outputs\":{\"s\":\"not_reached\",\"why\":null,\"when_\":null}"));
}

TEST_CASE("eval: the result object of §8", "[eval][result]") {
  Run r = run_policy(
      "rules:\n  - id: a\n    when: b\n    mmi_date: 2024-02-29\n"
      "  - id: z\n    when: c\n    mmi_date: 2024-01-01\n"
      "decision:\n  hit: earliest\n  coverage_cutoff: mmi_date + 1 month\n"
      "outputs:\n"
      "  dur: 2 weeks\n"
      "  per: 14 months\n"
      "  neg: -3 days\n"
      "  nothing: m\n"
      "  num: 0.1 + 0.2\n"
      "  big: 123456789012345678.5\n"
      "  flag: b\n"
      "  txt: |-\n    \"it's \\\"quoted\\\"\"\n"
      "  day: as_of\n",
      kRuleCase);
  const std::string& j = r.json;
  CHECK_THAT(j, Contains("{\"case\":\"R\",\"policy\":\"t\",\"version\":\"1\",\"policy_digest\":"
                         "\"sha256:"));
  CHECK(std::regex_search(j, std::regex("\"policy_digest\":\"sha256:[0-9a-f]{64}\"")));
  CHECK_THAT(j,
             Contains("\"as_of\":\"2024-06-01\",\"status\":\"reached\",\"mmi_date\":\"2024-02-29\","
                      "\"basis\":\"a\",\"coverage_cutoff\":\"2024-03-29\""));
  CHECK_THAT(j, Contains("\"dur\":\"P14D\""));
  CHECK_THAT(j, Contains("\"per\":\"P1Y2M\""));
  CHECK_THAT(j, Contains("\"neg\":\"-P3D\""));
  CHECK_THAT(j, Contains("\"nothing\":null"));
  CHECK_THAT(j, Contains("\"num\":0.3,"));
  CHECK_THAT(j, Contains("\"big\":123456789012345678.5,"));
  CHECK_THAT(j, Contains("\"flag\":true"));
  CHECK_THAT(j, Contains("\"txt\":\"it's \\\"quoted\\\"\""));
  CHECK_THAT(j, Contains("\"day\":\"2024-06-01\""));
  CHECK_THAT(j, Contains("\"rules\":{\"a\":{\"state\":\"fired\",\"mmi_date\":\"2024-02-29\"},"
                         "\"z\":{\"state\":\"not_fired\",\"mmi_date\":null}}"));
  CHECK_THAT(j, Contains("\"missing\":[]"));
  CHECK(j.find("\"error\"") == std::string::npos);
  // The whole object parses as JSON.
  CHECK(j.front() == '{');
  CHECK(j.back() == '}');
}

TEST_CASE("eval: policy_digest follows the merged sources", "[eval][result]") {
  TempDir dir;
  const std::string top =
      "policy: t\nversion: \"1\"\ndefinition: max-potential\n"
      "include: [mod.yaml]\ndecision:\n  hit: earliest\n";
  auto digest = [&]() {
    auto compiled = mmi::compile_policy((dir.path() / "top.yaml").string(), {});
    REQUIRE(compiled);
    return compiled.graph->policy.digest;
  };
  dir.write("top.yaml", top);
  dir.write("mod.yaml", "policy: m\nrules:\n  - id: a\n    when: true\n    mmi_date: 2024-01-01\n");
  std::string d1 = digest();
  CHECK(d1 == digest());  // stable
  dir.write("mod.yaml", "policy: m\nrules:\n  - id: a\n    when: true\n    mmi_date: 2024-01-02\n");
  CHECK(d1 != digest());  // an included file's change changes it
}

TEST_CASE("eval: first_by and last_by keep one item per group (extension)", "[eval][builtins]") {
  // After sorting, xs = [0] 2024-01-01 v=20 w=missing, [1] 2024-02-01 v=missing w=3,
  //                     [2] 2024-03-01 v=10 w=1.
  // Grouped by w: {missing: [0]}, {3: [1]}, {1: [2]} — every item is alone in its group.
  CHECK(eval("count(last_by(xs, w))") == "3");
  // A case where values repeat: groups by v = {5: [0], [2]}, {7: [1]}.
  const std::string repeats =
      R"({"id":"G","as_of":"2024-06-01","xs":[{"date":"2024-01-01","v":5,"w":1},)"
      R"({"date":"2024-02-01","v":7,"w":2},{"date":"2024-03-01","v":5,"w":3}]})";
  CHECK(eval("count(last_by(xs, v))", repeats) == "2");
  CHECK(eval("last_by(xs, v).w", repeats) == "[2, 3] (2 items)");   // v=7 at [1], v=5 last at [2]
  CHECK(eval("first_by(xs, v).w", repeats) == "[1, 2] (2 items)");  // v=5 first at [0], v=7 at [1]
  // Missing values form one group.
  const std::string gaps = R"({"id":"M","as_of":"2024-06-01","xs":[{"date":"2024-01-01","w":1},)"
                           R"({"date":"2024-02-01","w":2},{"date":"2024-03-01","v":9,"w":3}]})";
  CHECK(eval("last_by(xs, v).w", gaps) == "[2, 3] (2 items)");
  CHECK(eval("count(last_by(xs where v > 100, v))") == "0");
}

// The evaluator runs a program: every node computed once, in order, `where` conditions per item
// in blocks of their own, constant sub-expressions folded when the program is built. These rows
// would come out wrong if any of that leaked.
TEST_CASE("eval: the program keeps lazy evaluation's results", "[eval][program]") {
  check_rows({
      // An inner where that reads nothing of the outer item runs once, outside.
      {"count(xs where date > d and count(xs where date > d) >= 1)", "2"},
      {"count(xs where count(xs where v > 15) >= 1 and v > 15)", "1"},
      // An error in the branch not taken never reaches the result, folded or not.
      {"if true then 1 else 1 / 0", "1"},
      {"if b then n else n / 0", "7"},
      {"c and n / 0 > 1", "false"},
      {"n ?? (n / 0)", "7"},
      // Constant sub-expressions fold to the same values.
      {"[1, 2, 3]", "[1, 2, 3] (3 items)"},
      {"2 * 3 + 1", "7"},
      {"2024-01-31 + 1 month", "2024-02-29"},
      {"count(xs where v in [10, 20])", "2"},
      // `field == x` and `field in x` run inline: missing fields are not kept, errors propagate.
      {"count(xs where w == 3)", "1"},
      {"count(xs where w in [1, 3])", "2"},
      {"count(xs where w in [])", "0"},
      {"count(xs where v == n / 0)", "ERROR E500: division by zero"},
      {"count(xs where v == m)", "0"},
      {"count(xs where v in [m])", "0"},
  });
}

TEST_CASE("eval: a node read at two `where` levels keeps each level's value", "[eval][program]") {
  // `date > d` is one graph node, read for an xs item and, inside, for a ys item (both lists have
  // `date` first); the inner where reads the outer `v`, so it runs per outer item. The outer
  // `date > d` must still be the outer item's after the inner loop ran: only 2024-03-01 is kept.
  const std::string facts =
      "facts:\n  d: date\n  xs:\n    - date: date\n      v: number\n"
      "  ys:\n    - date: date\n      u: number\n";
  const std::string body =
      "rules:\n  - id: r1\n    when: true\n    mmi_date: 2024-01-01\n"
      "decision:\n  hit: earliest\noutputs:\n"
      "  kept: count(xs where date > d and count(ys where date > d and u < v) >= 1)\n";
  Run r = run_policy(
      body,
      R"({"id":"N","as_of":"2024-06-01","d":"2024-01-31","xs":[{"date":"2024-01-01","v":5},)"
      R"({"date":"2024-03-01","v":5}],"ys":[{"date":"2024-02-01","u":1},)"
      R"({"date":"2024-04-01","u":1}]})",
      facts);
  CHECK_THAT(r.json, Contains(R"("outputs":{"kept":1})"));
}
