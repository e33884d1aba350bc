// Proleptic Gregorian calendar dates as day numbers, and the ISO 8601 text forms of dates,
// durations (whole days) and periods (whole months).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mmi {

// Days since 1970-01-01. Valid years are 0001..9999.
using DayNumber = std::int32_t;

struct CivilDate {
  int year;
  unsigned month;
  unsigned day;
};

constexpr DayNumber kMinDay = -719162;  // 0001-01-01
constexpr DayNumber kMaxDay = 2932896;  // 9999-12-31

DayNumber days_from_civil(int year, unsigned month, unsigned day);
CivilDate civil_from_days(DayNumber days);
bool is_leap_year(int year);
unsigned days_in_month(int year, unsigned month);
// Strict YYYY-MM-DD with a real calendar day; nullopt otherwise (2025-02-30 is rejected).
std::optional<DayNumber> parse_iso_date(std::string_view text);
std::string format_date(DayNumber days);
void append_date(std::string& out, DayNumber days);
// date + months, the day clamped to the end of the target month; nullopt outside 0001..9999.
std::optional<DayNumber> add_months(DayNumber date, std::int64_t months);
inline bool day_in_range(std::int64_t d) {
  return d >= kMinDay && d <= kMaxDay;
}
// ISO 8601: P14D, -P3D, P1Y2M, P0D.
std::string format_duration(std::int64_t days);
std::string format_period(std::int64_t months);

}  // namespace mmi
