#include "rules/calendar.hpp"

#include <fmt/format.h>

#include <vector>

namespace mmi {

// Howard Hinnant's civil-from-days algorithms (public domain), on 64-bit intermediates.
DayNumber days_from_civil(int year, unsigned month, unsigned day) {
  std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2);
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t mp = (month + 9) % 12;
  std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<DayNumber>(era * 146097 + doe - 719468);
}

CivilDate civil_from_days(DayNumber days) {
  std::int64_t z = static_cast<std::int64_t>(days) + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(y + (m <= 2)), m, d};
}

bool is_leap_year(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(int year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) return 29;
  return kDays[month - 1];
}

namespace {
// Day number of 1 January of each year 0..10000, so parsing a date needs no division.
struct YearTable {
  std::vector<DayNumber> first_day;
  YearTable() : first_day(10001) {
    for (int y = 0; y <= 10000; ++y)
      first_day[static_cast<std::size_t>(y)] = days_from_civil(y, 1, 1);
  }
};
const YearTable& years() {
  static const YearTable table;
  return table;
}
constexpr unsigned kDaysBeforeMonth[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
}  // namespace

std::optional<DayNumber> parse_iso_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t from, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1) return std::nullopt;
  if (static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(m))) return std::nullopt;
  DayNumber day = years().first_day[static_cast<std::size_t>(y)] +
                  static_cast<DayNumber>(kDaysBeforeMonth[m - 1]) + (d - 1);
  if (m > 2 && is_leap_year(y)) ++day;
  return day;
}

void append_date(std::string& out, DayNumber days) {
  CivilDate c = civil_from_days(days);
  char buf[11];
  int y = c.year;
  buf[0] = static_cast<char>('0' + y / 1000 % 10);
  buf[1] = static_cast<char>('0' + y / 100 % 10);
  buf[2] = static_cast<char>('0' + y / 10 % 10);
  buf[3] = static_cast<char>('0' + y % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + c.month / 10);
  buf[6] = static_cast<char>('0' + c.month % 10);
  buf[7] = '-';
  buf[8] = static_cast<char>('0' + c.day / 10);
  buf[9] = static_cast<char>('0' + c.day % 10);
  out.append(buf, 10);
}

std::string format_date(DayNumber days) {
  std::string s;
  append_date(s, days);
  return s;
}

std::optional<DayNumber> add_months(DayNumber date, std::int64_t months) {
  CivilDate c = civil_from_days(date);
  std::int64_t index = static_cast<std::int64_t>(c.year) * 12 + (c.month - 1) + months;
  std::int64_t year = index >= 0 ? index / 12 : (index - 11) / 12;
  unsigned month = static_cast<unsigned>(index - year * 12 + 1);
  if (year < 1 || year > 9999) return std::nullopt;
  unsigned day = std::min(c.day, days_in_month(static_cast<int>(year), month));
  return days_from_civil(static_cast<int>(year), month, day);
}

std::string format_duration(std::int64_t days) {
  return days < 0 ? fmt::format("-P{}D", -days) : fmt::format("P{}D", days);
}

std::string format_period(std::int64_t months) {
  std::string sign = months < 0 ? "-" : "";
  std::int64_t m = months < 0 ? -months : months;
  if (m == 0) return "P0M";
  std::string s = sign + "P";
  if (m / 12) s += fmt::format("{}Y", m / 12);
  if (m % 12) s += fmt::format("{}M", m % 12);
  return s;
}

}  // namespace mmi
