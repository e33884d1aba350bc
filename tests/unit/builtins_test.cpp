// The built-in table (rules/builtins.hpp) and the built-ins added through it: median, year, month,
// the interval built-ins over benefit periods, combined ratings, and the standard case model's
// reading of v1 facts as one ttd period. Values are worked by hand in the comments.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "engine/mmi.hpp"
#include "rules/builtins.hpp"
#include "test_support.hpp"

using mmi_test::TempDir;

namespace {

// A policy over the standard case model (periods and the v1 facts) plus a list `xs` of numbers.
std::string eval_std(const std::string& expr, const std::string& case_json) {
  TempDir dir;
  std::string facts = std::string(MMI_SOURCE_DIR) + "/policies/std/facts.yaml";
  std::string path = dir.write(
      "policy.yaml", "policy: t\nversion: \"1\"\ndefinition: max-potential\ninclude: [" + facts +
                         "]\nfacts:\n  xs:\n    - v: number\n"
                         "rules:\n  - id: r1\n    when: true\n    mmi_date: 2024-01-01\n"
                         "decision:\n  hit: earliest\noutputs:\n  r: |-\n    " +
                         expr + "\n");
  return mmi_test::first_output(path, case_json, dir);
}

std::string with(const std::string& body, const std::string& as_of = "2024-01-07") {
  return R"({"id":"B","as_of":")" + as_of + R"(","injury":{"date":"2021-12-01"})" +
         (body.empty() ? "" : "," + body) + "}";
}

// The brief's example: ttd 2022-01-10..2022-12-31 (356 days) and ttd from 2023-07-01 (open).
const std::string kTwoPeriods = R"("periods":[{"kind":"ttd","from":"2023-07-01"},)"
                                R"({"kind":"ttd","from":"2022-01-10","to":"2022-12-31"}])";
const char* kTemporary = "periods where kind in [\"ttd\", \"tpd\"]";

}  // namespace

TEST_CASE("builtins: the table lists every built-in once, in enum order", "[builtins]") {
  auto table = mmi::builtin_table();
  REQUIRE(table.size() == mmi::kBuiltinCount);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < table.size(); ++i) {
    CHECK(static_cast<std::size_t>(table[i].id) == i);
    CHECK(names.insert(table[i].name).second);
    CHECK(table[i].signature.substr(0, table[i].name.size()) == table[i].name);
    CHECK_FALSE(table[i].summary.empty());
    CHECK(mmi::find_builtin(table[i].name) == &table[i]);
  }
  CHECK(mmi::find_builtin("nope") == nullptr);
}

TEST_CASE("builtins: docs/language.md documents every built-in of the table", "[builtins][docs]") {
  std::ifstream in(std::string(MMI_SOURCE_DIR) + "/docs/language.md");
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& b : mmi::builtin_table()) {
    INFO(b.name);
    CHECK(text.str().find("`" + std::string(b.signature) + "`") != std::string::npos);
  }
}

TEST_CASE("builtins: median as percentile_cont(0.5)", "[builtins]") {
  CHECK(eval_std("median(xs.v)", with(R"("xs":[{"v":3},{"v":1},{"v":2}])")) == "2");
  // Even count: (2 + 3) / 2.
  CHECK(eval_std("median(xs.v)", with(R"("xs":[{"v":4},{"v":1},{"v":3},{"v":2}])")) == "2.5");
  // Missing items are skipped: [7, missing, 1] -> (1 + 7) / 2 = 4.
  CHECK(eval_std("median(xs.v)", with(R"("xs":[{"v":7},{},{"v":1}])")) == "4");
  CHECK(eval_std("median(xs.v)", with(R"("xs":[{"v":0.1},{"v":0.2}])")) == "0.15");
  CHECK(eval_std("median(xs.v)", with(R"("xs":[])")) == "missing");
  CHECK(eval_std("median(xs.v)", with(R"("xs":[{}])")) == "missing");
  CHECK(eval_std("median(injury.date)", with("")).find("CHECK ERROR") == 0);
}

TEST_CASE("builtins: year and month", "[builtins]") {
  CHECK(eval_std("year(injury.date)", with("")) == "2021");
  CHECK(eval_std("month(injury.date)", with("")) == "12");
  CHECK(eval_std("month(2024-02-29)", with("")) == "2");
  CHECK(eval_std("year(benefits.income_start)", with("")) == "missing");
}

TEST_CASE("builtins: covered_days counts distinct days before a date", "[builtins][periods]") {
  // 2022-01-10..2022-12-31 is 356 days; 2023-07-01..2024-01-06 is 190 days: 546.
  CHECK(eval_std(std::string("covered_days(") + kTemporary + ", as_of)", with(kTwoPeriods)) ==
        "546");
  // Before 2022-01-15: 2022-01-10..14 = 5 days.
  CHECK(eval_std(std::string("covered_days(") + kTemporary + ", 2022-01-15)", with(kTwoPeriods)) ==
        "5");
  // A day paid twice counts once: 01-01..01-10 and 01-05..01-12 cover 12 days.
  std::string overlap = R"("periods":[{"kind":"ttd","from":"2023-01-01","to":"2023-01-10"},)"
                        R"({"kind":"tpd","from":"2023-01-05","to":"2023-01-12"}])";
  CHECK(eval_std(std::string("covered_days(") + kTemporary + ", as_of)", with(overlap)) == "12");
  // Only the kinds asked for: ttd alone is 10 days.
  CHECK(eval_std("covered_days(periods where kind == \"ttd\", as_of)", with(overlap)) == "10");
  // Adjacent periods merge without double counting: 01-01..01-10 and 01-11..01-20 = 20 days.
  std::string adjacent = R"("periods":[{"kind":"ttd","from":"2023-01-01","to":"2023-01-10"},)"
                         R"({"kind":"ttd","from":"2023-01-11","to":"2023-01-20"}])";
  CHECK(eval_std("covered_days(periods, as_of)", with(adjacent)) == "20");
  CHECK(eval_std("covered_days(periods where kind == \"iib\", as_of)", with(adjacent)) == "0");
  CHECK(eval_std("covered_days(periods, benefits.income_start)", with(adjacent)) == "missing");
}

TEST_CASE("builtins: exhausted_on with the projection", "[builtins][periods]") {
  // P = 546 < 728: as_of + (728 - 546 - 1) = 2024-01-07 + 181 days = 2024-07-06.
  CHECK(eval_std(std::string("exhausted_on(") + kTemporary + ", 104 weeks, as_of)",
                 with(kTwoPeriods)) == "2024-07-06");
  // 300 days are used up inside the first period: 2022-01-10 + 299 days = 2022-11-05.
  CHECK(eval_std(std::string("exhausted_on(") + kTemporary + ", 300 days, as_of)",
                 with(kTwoPeriods)) == "2022-11-05");
  // Day 357 is the first day of the second period: 2023-07-01.
  CHECK(eval_std(std::string("exhausted_on(") + kTemporary + ", 357 days, as_of)",
                 with(kTwoPeriods)) == "2023-07-01");
  // Day 356 is the last of the first: 2022-12-31.
  CHECK(eval_std(std::string("exhausted_on(") + kTemporary + ", 356 days, as_of)",
                 with(kTwoPeriods)) == "2022-12-31");
  // Exactly P = 546 days: the 546th covered day is as_of - 1 = 2024-01-06.
  CHECK(eval_std(std::string("exhausted_on(") + kTemporary + ", 546 days, as_of)",
                 with(kTwoPeriods)) == "2024-01-06");
  // One more than P: as_of + 0 days.
  CHECK(eval_std(std::string("exhausted_on(") + kTemporary + ", 547 days, as_of)",
                 with(kTwoPeriods)) == "2024-01-07");
  CHECK(eval_std("exhausted_on(periods, 0 days, as_of)", with(kTwoPeriods)) == "missing");
  // No periods and no v1 facts: missing.
  CHECK(eval_std("exhausted_on(periods, 104 weeks, as_of)", with("")) == "missing");
}

TEST_CASE("builtins: covers", "[builtins][periods]") {
  CHECK(eval_std("covers(periods, 2022-01-10)", with(kTwoPeriods)) == "true");
  CHECK(eval_std("covers(periods, 2022-12-31)", with(kTwoPeriods)) == "true");
  CHECK(eval_std("covers(periods, 2023-01-01)", with(kTwoPeriods)) == "false");
  CHECK(eval_std("covers(periods, 2030-01-01)", with(kTwoPeriods)) == "true");  // open period
  CHECK(eval_std("covers(periods, 2022-01-09)", with(kTwoPeriods)) == "false");
  CHECK(eval_std("covers(periods, benefits.income_start)", with(kTwoPeriods)) == "missing");
}

TEST_CASE("builtins: interval built-ins need from/to records", "[builtins][periods]") {
  std::string bad = eval_std("covered_days(xs, as_of)", with(""));
  CHECK(bad.find("CHECK ERROR") == 0);
  CHECK(bad.find("E204") != std::string::npos);
  CHECK(bad.find("date fields `from` and `to`") != std::string::npos);
  CHECK(eval_std("exhausted_on(periods, 3, as_of)", with("")).find("needs a duration") !=
        std::string::npos);
}

TEST_CASE("builtins: a v1 case is read as one ttd period (docs/cases.md)", "[builtins][periods]") {
  const std::string paid = "covered_days(periods, as_of)";
  const std::string e104 = "exhausted_on(periods, 104 weeks, as_of)";
  // D and N: 2022-01-10 .. 2022-01-10 + 99 = 2022-04-19, 100 days.
  std::string dn = R"("benefits":{"disability_start":"2022-01-10","temporary_days_paid":100})";
  CHECK(eval_std(paid, with(dn)) == "100");
  CHECK(eval_std("last(periods).to", with(dn)) == "2022-04-19");
  CHECK(eval_std("first(periods).kind", with(dn)) == "ttd");
  // D only: open from D; 2022-01-10 + 104 weeks - 1 day = 2024-01-07.
  std::string d = R"("benefits":{"disability_start":"2022-01-10"})";
  CHECK(eval_std(e104, with(d)) == "2024-01-07");
  CHECK(eval_std("first(periods).to", with(d)) == "missing");
  // N only: the 30 days before as_of, 2023-12-08 .. 2024-01-06.
  std::string n = R"("benefits":{"temporary_days_paid":30})";
  CHECK(eval_std("first(periods).from", with(n)) == "2023-12-08");
  CHECK(eval_std(paid, with(n)) == "30");
  // N = 0: no period, an empty list (0 days), not missing.
  CHECK(eval_std(paid, with(R"("benefits":{"temporary_days_paid":0})")) == "0");
  // Periods given win over v1 facts.
  CHECK(eval_std(paid, with(kTwoPeriods + "," + dn)) == "546");
  // An empty periods list is read from v1 facts too.
  CHECK(eval_std(paid, with(R"("periods":[],)" + dn)) == "100");
}

TEST_CASE("builtins: with neither periods nor v1 facts, `missing` names periods",
          "[builtins][periods]") {
  TempDir dir;
  std::string facts = std::string(MMI_SOURCE_DIR) + "/policies/std/facts.yaml";
  std::string path = dir.write(
      "policy.yaml", "policy: t\nversion: \"1\"\ndefinition: max-potential\ninclude: [" + facts +
                         "]\nrules:\n  - id: cap\n    when: as_of >= exhausted_on(periods, 104 "
                         "weeks, as_of)\n    mmi_date: as_of\ndecision:\n  hit: earliest\n");
  auto compiled = mmi::compile_policy(path, {});
  REQUIRE(compiled);
  mmi::Session session(compiled.graph);
  session.load_json(with(""));
  const mmi::Outcome& o = session.evaluate();
  CHECK(o.status == mmi::Status::undetermined);
  CHECK(session.evaluator().missing_facts() == std::vector<std::string>{"periods"});
}

TEST_CASE("builtins: combined ratings, largest first, rounded at each step", "[builtins]") {
  // 10 & 5: 10 + 5 × 90 / 100 = 14.5 -> 15.
  CHECK(eval_std("combined_rating([10, 5])", with("")) == "15");
  CHECK(eval_std("combined_rating([5, 10])", with("")) == "15");
  // 30, 20, 10: 30 + 20 × 70 / 100 = 44; 44 + 10 × 56 / 100 = 49.6 -> 50.
  CHECK(eval_std("combined_rating([10, 30, 20])", with("")) == "50");
  // One rating is itself, unrounded.
  CHECK(eval_std("combined_rating([12.5])", with("")) == "12.5");
  // 12 & 7: 12 + 7 × 88 / 100 = 18.16 -> 18.
  CHECK(eval_std("combined_rating(xs.v)", with(R"("xs":[{"v":7},{},{"v":12}])")) == "18");
  CHECK(eval_std("combined_rating(xs.v)", with(R"("xs":[])")) == "missing");
}

// Interval built-ins that read the same list share one merge per evaluation; the next case's
// periods (built in the same arena place from v1 facts) are merged again.
TEST_CASE("builtins: merged periods are reused within an evaluation, not across cases",
          "[builtins][periods]") {
  TempDir dir;
  std::string facts = std::string(MMI_SOURCE_DIR) + "/policies/std/facts.yaml";
  std::string path = dir.write(
      "policy.yaml", "policy: t\nversion: \"1\"\ndefinition: max-potential\ninclude: [" + facts +
                         "]\nrules:\n  - id: r1\n    when: true\n    mmi_date: 2024-01-01\n"
                         "decision:\n  hit: earliest\noutputs:\n"
                         "  paid: covered_days(periods, as_of)\n"
                         "  end: exhausted_on(periods, 10 days, 2022-01-10)\n"
                         "  paid_before: covered_days(periods, 2022-01-15)\n");
  mmi::CompileOptions options;
  options.warnings = false;
  auto compiled = mmi::compile_policy(path, options);
  REQUIRE(compiled);
  mmi::Session session(compiled.graph);
  auto outputs = [&](const std::string& benefits) {
    session.load_json(with(benefits));
    const mmi::Outcome& o = session.evaluate();
    std::string s;
    for (const auto& v : o.outputs) s += mmi::value_to_string(v, *compiled.graph) + " ";
    return s;
  };
  // D = 2022-01-10, N = 100: 2022-01-10 .. 2022-04-19; 5 days before 2022-01-15.
  CHECK(outputs(R"("benefits":{"disability_start":"2022-01-10","temporary_days_paid":100})") ==
        "100 2022-01-19 5 ");
  // N = 3: 2022-01-10 .. 2022-01-12, then the projection from 2022-01-10 on (paid before it: 0).
  CHECK(outputs(R"("benefits":{"disability_start":"2022-01-10","temporary_days_paid":3})") ==
        "3 2022-01-19 3 ");
  CHECK(outputs(R"("benefits":{"disability_start":"2022-01-12","temporary_days_paid":2})") ==
        "2 2022-01-19 2 ");
}
