// Property tests: calendar arithmetic (days_from_civil / civil_from_days / add_months) and decimal
// round-trips, over random inputs (rapidcheck; reproduce a failure with RC_PARAMS="seed=…").
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "rules/calendar.hpp"
#include "rules/decimal.hpp"

using mmi::DayNumber;
using mmi::Decimal;

namespace {

rc::Gen<DayNumber> any_day() {
  return rc::gen::inRange<DayNumber>(mmi::kMinDay, mmi::kMaxDay + 1);
}

bool leap_by_rule(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned month_length(int y, unsigned m) {
  static const unsigned len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_by_rule(y) ? 29 : len[m - 1];
}

// An exact decimal: coefficient below 10^12, exponent in [-6, 6], so sums stay well within the
// 34 digits kept and no rounding happens.
rc::Gen<Decimal> exact_decimal() {
  return rc::gen::apply([](std::int64_t c, int e) { return Decimal::make(c, e); },
                        rc::gen::inRange<std::int64_t>(-999'999'999'999, 1'000'000'000'000),
                        rc::gen::inRange(-6, 7));
}

}  // namespace

TEST_CASE("calendar: civil dates and day numbers round-trip", "[properties][calendar]") {
  rc::prop("civil_from_days then days_from_civil is the identity", [] {
    DayNumber d = *any_day();
    mmi::CivilDate c = mmi::civil_from_days(d);
    RC_ASSERT(c.year >= 1);
    RC_ASSERT(c.year <= 9999);
    RC_ASSERT(c.month >= 1u);
    RC_ASSERT(c.month <= 12u);
    RC_ASSERT(c.day >= 1u);
    RC_ASSERT(c.day <= month_length(c.year, c.month));
    RC_ASSERT(mmi::days_from_civil(c.year, c.month, c.day) == d);
  });
  rc::prop("the next day number is the next calendar day", [] {
    DayNumber d = *rc::gen::inRange<DayNumber>(mmi::kMinDay, mmi::kMaxDay);
    mmi::CivilDate a = mmi::civil_from_days(d), b = mmi::civil_from_days(d + 1);
    if (a.day < month_length(a.year, a.month)) {
      RC_ASSERT(b.year == a.year);
      RC_ASSERT(b.month == a.month);
      RC_ASSERT(b.day == a.day + 1);
    } else {
      RC_ASSERT(b.day == 1u);
      RC_ASSERT(b.month == (a.month == 12 ? 1u : a.month + 1));
      RC_ASSERT(b.year == (a.month == 12 ? a.year + 1 : a.year));
    }
  });
  rc::prop("ISO text round-trips", [] {
    DayNumber d = *any_day();
    std::string text = mmi::format_date(d);
    RC_ASSERT(text.size() == 10u);
    RC_ASSERT(mmi::parse_iso_date(text) == std::optional<DayNumber>(d));
  });
  rc::prop("leap years and month lengths follow the Gregorian rule", [] {
    int y = *rc::gen::inRange(1, 10000);
    unsigned m = *rc::gen::inRange(1u, 13u);
    RC_ASSERT(mmi::is_leap_year(y) == leap_by_rule(y));
    RC_ASSERT(mmi::days_in_month(y, m) == month_length(y, m));
  });
  // Fixed points worked by hand.
  CHECK(mmi::days_from_civil(1970, 1, 1) == 0);
  CHECK(mmi::days_from_civil(2000, 3, 1) == 11017);  // 30 years × 365 + 7 leap days + 59
  CHECK(mmi::format_date(mmi::days_from_civil(2024, 2, 29)) == "2024-02-29");
  CHECK_FALSE(mmi::parse_iso_date("2025-02-29"));
  CHECK_FALSE(mmi::parse_iso_date("2024-02-30"));
}

TEST_CASE("calendar: add_months clamps to the month's end", "[properties][calendar]") {
  rc::prop("the target month is months away and the day is clamped", [] {
    DayNumber d = *any_day();
    std::int64_t n = *rc::gen::inRange<std::int64_t>(-2400, 2401);
    mmi::CivilDate a = mmi::civil_from_days(d);
    std::int64_t total = std::int64_t{a.year} * 12 + (a.month - 1) + n;
    std::int64_t year = total / 12;
    unsigned month = static_cast<unsigned>(total % 12) + 1;
    auto r = mmi::add_months(d, n);
    if (year < 1 || year > 9999) {
      RC_ASSERT(!r.has_value());
      return;
    }
    RC_ASSERT(r.has_value());
    mmi::CivilDate b = mmi::civil_from_days(*r);
    RC_ASSERT(b.year == year);
    RC_ASSERT(b.month == month);
    RC_ASSERT(b.day == std::min(a.day, month_length(static_cast<int>(year), month)));
  });
  rc::prop("adding 0 months is the identity", [] {
    DayNumber d = *any_day();
    RC_ASSERT(mmi::add_months(d, 0) == std::optional<DayNumber>(d));
  });
  rc::prop("days 1-28 survive a round trip", [] {
    int y = *rc::gen::inRange(200, 9800);
    unsigned m = *rc::gen::inRange(1u, 13u);
    unsigned day = *rc::gen::inRange(1u, 29u);
    std::int64_t n = *rc::gen::inRange<std::int64_t>(-1200, 1201);
    DayNumber d = mmi::days_from_civil(y, m, day);
    auto there = mmi::add_months(d, n);
    RC_ASSERT(there.has_value());
    RC_ASSERT(mmi::add_months(*there, -n) == std::optional<DayNumber>(d));
  });
  rc::prop("month ends map to month ends", [] {
    int y = *rc::gen::inRange(200, 9800);
    unsigned m = *rc::gen::inRange(1u, 13u);
    std::int64_t n = *rc::gen::inRange<std::int64_t>(-1200, 1201);
    DayNumber end = mmi::days_from_civil(y, m, month_length(y, m));
    mmi::CivilDate b = mmi::civil_from_days(*mmi::add_months(end, n));
    // Only a target month shorter than the day clamps: a 31st lands on the target's last day
    // when the target is shorter; otherwise the day is kept.
    RC_ASSERT(b.day == std::min(month_length(y, m), month_length(b.year, b.month)));
  });
  CHECK(mmi::format_date(*mmi::add_months(mmi::days_from_civil(2024, 1, 31), 1)) == "2024-02-29");
  CHECK(mmi::format_date(*mmi::add_months(mmi::days_from_civil(2023, 1, 31), 1)) == "2023-02-28");
  CHECK(mmi::format_date(*mmi::add_months(mmi::days_from_civil(2024, 3, 31), -1)) == "2024-02-29");
}

TEST_CASE("decimal: text and arithmetic round-trips", "[properties][decimal]") {
  rc::prop("parse(to_string(x)) == x", [] {
    Decimal x = Decimal::make(*rc::gen::arbitrary<std::int64_t>(), *rc::gen::inRange(-30, 31));
    auto back = Decimal::parse(x.to_string());
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == x);
  });
  rc::prop("a + b - b == a for exact values", [] {
    Decimal a = *exact_decimal(), b = *exact_decimal();
    RC_ASSERT((a + b) - b == a);
    RC_ASSERT(a + b == b + a);
    RC_ASSERT((a - a).is_zero());
  });
  rc::prop("comparison agrees with subtraction", [] {
    Decimal a = *exact_decimal(), b = *exact_decimal();
    int c = compare(a, b);
    RC_ASSERT(c == (a - b).sign());
  });
  rc::prop("round(x, k) is within half a unit of x, half away from zero", [] {
    Decimal x = *exact_decimal();
    int k = *rc::gen::inRange(0, 6);
    Decimal r = x.round(k);
    Decimal unit = Decimal::make(1, -k);
    Decimal diff = (x - r).abs();
    Decimal half = Decimal::divide(unit, Decimal::from_int(2));
    RC_ASSERT(!(half < diff));                       // |x - r| <= unit / 2
    if (diff == half) RC_ASSERT(x.abs() < r.abs());  // a tie goes away from zero
  });
  rc::prop("to_string has no exponent and no trailing zeros", [] {
    Decimal x = *exact_decimal();
    std::string s = x.to_string();
    RC_ASSERT(s.find('e') == std::string::npos);
    RC_ASSERT(s.find('E') == std::string::npos);
    if (s.find('.') != std::string::npos) RC_ASSERT(s.back() != '0');
  });
}
