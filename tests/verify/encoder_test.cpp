// The encoder's calendar and rounding against the engine's own functions (rules/calendar.cpp,
// Decimal::round), value by value: for each input the solver must find the engine's result (and,
// for one input in 16, no second result), or the error where the engine fails. Dates
// cover month ends, 29 February, century years and both ends of years 0001-9999.
//
// usage: verify_encoder_test POLICY (tests/verify/calendar.yaml)
#include <fmt/format.h>

#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "rules/calendar.hpp"
#include "rules/checked_policy.hpp"
#include "rules/decimal.hpp"
#include "rules/diagnostics.hpp"
#include "verify/encoder.hpp"

namespace {

using namespace mmi;
using namespace mmi::verify;

int failures = 0;

void fail(const std::string& what) {
  if (++failures <= 20) std::cout << "FAIL " << what << "\n";
}

std::size_t output_index(const CheckedPolicy& p, const std::string& name) {
  for (std::size_t k = 0; k < p.outputs.size(); ++k)
    if (p.outputs[k].name == name) return k;
  throw std::runtime_error("no output " + name);
}

std::size_t fact_index(const CheckedPolicy& p, const std::string& path) {
  for (std::size_t k = 0; k < p.facts.size(); ++k)
    if (p.facts[k].path == path) return k;
  throw std::runtime_error("no fact " + path);
}

struct Harness {
  z3::context c;
  const CheckedPolicy& p;
  Encoder enc;
  SymCase sc;
  SymOutcome out;
  Harness(const CheckedPolicy& policy, Bounds b)
      : p(policy), enc(c, policy, b), sc(enc.make_case()), out(enc.run(sc)) {
    for (const auto& d : sc.domain) s.add(d);
    for (const auto& d : enc.side()) s.add(d);
  }

  z3::solver s{c};  // the case's domain and side constraints, asserted once

  // The output's value for the given facts: nullopt when the encoding says error, "many" when the
  // encoding allows two different values.
  std::optional<std::string> value(const std::string& output, const z3::expr_vector& facts) {
    const Sym& o = out.outputs[output_index(p, output)];
    s.push();
    for (const auto& f : facts) s.add(f);
    std::optional<std::string> r = read(o);
    s.pop();
    return r;
  }

 private:
  int reads = 0;
  std::optional<std::string> read(const Sym& o) {
    if (s.check() != z3::sat) return "unsat";
    z3::model m = s.get_model();
    if (m.eval(out.error, true).is_true()) {  // the output is cleared on an error
      z3::expr_vector no_error(c);
      no_error.push_back(!out.error);
      if (s.check(no_error) != z3::unsat) return "many";
      return std::nullopt;
    }
    z3::expr v = m.eval(o.v, true);
    s.add(out.error || o.v != v);
    // That no other value is possible is slower to show: for one value in 16.
    if (++reads % 16 == 0 && s.check() != z3::unsat) return "many";
    if (v.is_int()) return format_date(static_cast<DayNumber>(v.get_numeral_int64()));
    return decimal_text(v).value_or("?");
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: verify_encoder_test POLICY\n";
    return 2;
  }
  DiagnosticList diags;
  auto policy = load_checked_policy(argv[1], {}, diags);
  if (!policy) {
    std::cerr << render_text(diags);
    return 2;
  }
  Bounds b;
  b.first_day = days_from_civil(1, 1, 1);
  b.last_day = days_from_civil(9999, 12, 31);
  b.max_items = 0;
  Harness h(*policy, b);
  z3::context& c = h.c;
  const Sym& d = h.sc.facts[fact_index(*policy, "d")];
  const Sym& months = h.sc.facts[fact_index(*policy, "months")];
  const Sym& x = h.sc.facts[fact_index(*policy, "x")];

  std::vector<DayNumber> days;
  for (int year : {1, 4, 100, 1900, 2000, 2024, 2100, 9999})
    for (unsigned month : {1u, 2u, 3u, 12u})
      for (unsigned day : {1u, 28u, 29u, 31u})
        if (day <= days_in_month(year, month)) days.push_back(days_from_civil(year, month, day));
  std::mt19937 rng(13);
  std::uniform_int_distribution<DayNumber> any_day(days_from_civil(1800, 1, 1),
                                                   days_from_civil(2300, 12, 31));
  for (int k = 0; k < 20; ++k) days.push_back(any_day(rng));
  const std::vector<std::int64_t> month_counts = {
      0, 1, -1, 2, 11, 12, -12, 13, 24, 60, -25, 1200, -1200, 119999, -119999, 120001};
  int checked = 0;
  for (DayNumber day : days) {
    CivilDate civil = civil_from_days(day);
    z3::expr_vector at(c);
    at.push_back(d.v == c.int_val(day));
    at.push_back(months.present == c.bool_val(false));
    at.push_back(x.present == c.bool_val(false));
    auto year = h.value("year_of", at), month = h.value("month_of", at);
    if (year != std::to_string(civil.year) || month != std::to_string(civil.month))
      fail(fmt::format("year/month of {}: got {} {}", format_date(day), year.value_or("error"),
                       month.value_or("error")));
    checked += 2;
    // Three month counts per day, in turn, so that every count meets several kinds of day.
    for (std::size_t j = 0; j < 3; ++j) {
      std::size_t k = (static_cast<std::size_t>(checked) + j * 5) % month_counts.size();
      std::int64_t n = month_counts[k];
      z3::expr_vector shifted_at(c);
      shifted_at.push_back(d.v == c.int_val(day));
      shifted_at.push_back(months.present && months.v == c.int_val(n));
      shifted_at.push_back(x.present == c.bool_val(false));
      auto got = h.value("shifted", shifted_at);
      std::optional<std::string> want;
      if (n <= 120000 && n >= -120000)
        if (auto r = add_months(day, n)) want = format_date(*r);
      if (got != want)
        fail(fmt::format("{} + {} months: got {}, engine {}", format_date(day), n,
                         got.value_or("error"), want.value_or("error")));
      ++checked;
    }
  }
  for (const char* text : {"0", "1.005", "-1.005", "2.5", "-2.5", "0.125", "-0.125", "14.999",
                           "-14.995", "123456.785", "0.004", "-0.004", "5", "-5", "15", "-15"}) {
    Decimal number = *Decimal::parse(text);
    z3::expr_vector at(c);
    at.push_back(d.v == c.int_val(0));
    at.push_back(months.present == c.bool_val(false));
    at.push_back(x.present && x.v == c.real_val(text));
    for (auto [output, places] : {std::pair{"r2", 2}, {"r0", 0}, {"rm1", -1}}) {
      auto got = h.value(output, at);
      std::string want = number.round(places).to_string();
      if (got != want)
        fail(fmt::format("round({}, {}): got {}, engine {}", text, places, got.value_or("error"),
                         want));
      ++checked;
    }
  }
  std::cout << checked << " values checked, " << failures << " failures\n";
  return failures == 0 && checked > 300 ? 0 : 1;
}
