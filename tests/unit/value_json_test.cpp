// The result JSON's scalar writers against the reference formatting they replace: every day of
// years 0001-9999, and numbers around the 64-bit fast path's limits.
#include <catch2/catch.hpp>

#include <string>

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
