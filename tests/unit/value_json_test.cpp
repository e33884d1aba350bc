// The result JSON's scalar writers against the reference formatting they replace: every day of
// years 0001-9999, and numbers around the 64-bit fast path's limits.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "engine/value_json.hpp"
#include "rules/calendar.hpp"
#include "rules/decimal.hpp"

TEST_CASE("value_json: dates match civil_from_days for every day of 0001-9999", "[result]") {
  std::string fast, reference;
  std::int64_t mismatches = 0;
  for (mmi::DayNumber day = mmi::kMinDay; day <= mmi::kMaxDay; ++day) {
    fast.clear();
    mmi::append_json_date(fast, day);
    reference = "\"" + mmi::format_date(day) + "\"";
    if (fast != reference && ++mismatches < 5) CHECK(fast == reference);
  }
  CHECK(mismatches == 0);
  std::string s;
  mmi::append_json_date(s, 0);
  mmi::append_json_date(s, mmi::kMinDay);
  mmi::append_json_date(s, mmi::kMaxDay);
  mmi::append_json_date(s, 19782);  // 2024-02-29
  CHECK(s == "\"1970-01-01\"\"0001-01-01\"\"9999-12-31\"\"2024-02-29\"");
}

TEST_CASE("value_json: numbers are written as Decimal writes them", "[result]") {
  mmi::Graph g;
  const __int128 big = static_cast<__int128>(1) << 63;
  const __int128 coefficients[] = {0,
                                   1,
                                   -1,
                                   7,
                                   10,
                                   -10,
                                   12345,
                                   -12345,
                                   100,
                                   big - 1,
                                   -(big - 1),
                                   big,
                                   -big,
                                   big * 1000 + 7,
                                   -(big * 1000 + 7)};
  const int exponents[] = {0, 1, 3, -1, -2, -5, -7, -25};
  for (__int128 coef : coefficients)
    for (int exp : exponents) {
      auto d = mmi::Decimal::raw(coef, exp);
      std::string fast;
      mmi::append_json_value(fast, mmi::Value::number(d), g);
      INFO("exponent " << exp);
      CHECK(fast == d.to_string());
    }
}

// The result writer's fast path (room made once, values written in place) against the general
// writer, on the example book under every shipped state policy and on outcomes holding every
// kind of value the fast path takes or declines.
#include "engine/mmi.hpp"
#include "engine/result.hpp"

TEST_CASE("result JSON: the fast path writes what the general writer writes", "[result]") {
  std::ifstream book(std::string(MMI_SOURCE_DIR) + "/policies/examples/book.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(book, line);) lines.push_back(line);
  REQUIRE(lines.size() > 20);
  std::size_t compared = 0, differ = 0;
  for (const char* name : {"us-tx", "us-fl", "us-ca", "us-ga", "us-mn", "us-pa"}) {
    auto compiled =
        mmi::compile_policy(std::string(MMI_SOURCE_DIR) + "/policies/" + name + ".yaml");
    REQUIRE(compiled);
    mmi::Session session(compiled.graph);
    const mmi::Graph& g = *compiled.graph;
    for (const auto& line : lines) {
      mmi::CaseData& c = session.load_json(line);
      const mmi::Outcome& o = session.evaluate();
      std::vector<std::string> missing = {"benefits.income_start", "opinions"};
      std::string fast, general;
      mmi::append_result_json(fast, g, c, o, missing);
      mmi::append_result_json_general(general, g, c, o, missing);
      ++compared;
      if (fast != general) {
        ++differ;
        CHECK(fast == general);
      }
      // Every kind of value in the outputs and the rule dates; some the fast path declines.
      mmi::Outcome changed = o;
      const mmi::Value kinds[] = {
          mmi::Value::number(mmi::Decimal::raw(12345, -2)),
          mmi::Value::number(mmi::Decimal::raw(-7, 3)),
          mmi::Value::number(mmi::Decimal::raw(5, -21)),  // exponent past ±20: declined
          mmi::Value::number(mmi::Decimal::raw(0, 0)),
          mmi::Value::boolean(true),
          mmi::Value::boolean(false),
          mmi::Value::string("plain"),
          mmi::Value::string("quote \" inside"),  // declined
          mmi::Value::date(mmi::kMaxDay),
          mmi::Value::duration(14),  // declined
          mmi::Value::error(0),
          mmi::Value::missing()};
      for (std::size_t k = 0; k < changed.outputs.size(); ++k)
        changed.outputs[k] = kinds[(k + compared) % std::size(kinds)];
      for (std::size_t r = 0; r < changed.rule_dates.size(); ++r)
        changed.rule_dates[r] = kinds[(r + compared + 3) % std::size(kinds)];
      fast.clear();
      general.clear();
      mmi::append_result_json(fast, g, c, changed, missing);
      mmi::append_result_json_general(general, g, c, changed, missing);
      if (fast != general) {
        ++differ;
        CHECK(fast == general);
      }
    }
  }
  CHECK(compared == 6 * lines.size());
  CHECK(differ == 0);
}
