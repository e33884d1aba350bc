// The built-in table and each built-in's typing rule (language.md §4 and the extensions documented
// there). Implementations live in engine/builtins.cpp, indexed by the same Builtin id.
#include "rules/builtins.hpp"

#include <fmt/format.h>

#include <array>

namespace mmi {

bool CallTyping::arity(std::size_t n) {
  if (arg_count() == n) return true;
  fail(npos, fmt::format("`{}` takes {} argument{}, not {}", function(), n, n == 1 ? "" : "s",
                         arg_count()));
  return false;
}

bool CallTyping::want(std::size_t i, bool ok, std::string_view what) {
  if (ok || any(arg(i))) return true;
  fail(i, fmt::format("`{}` needs {}, not {}", function(), what, type_name(arg(i))));
  return false;
}

namespace {

using namespace type_id;

std::uint32_t type_count(CallTyping& c) {
  if (!c.arity(1) || !c.want(0, c.list(c.arg(0)), "a list")) return error;
  return c.function() == "count" ? number : boolean;
}

std::uint32_t type_number_aggregate(CallTyping& c) {
  if (!c.arity(1) || !c.want(0, c.list_of_tag(c.arg(0), TypeTag::number), "a list of numbers"))
    return error;
  return number;
}

std::uint32_t type_first_last(CallTyping& c) {
  if (!c.arity(1) || !c.want(0, c.list(c.arg(0)), "a list")) return error;
  return c.any(c.arg(0)) ? any : c.element_of(c.arg(0));
}

// min/max over numbers, durations or dates; earliest/latest over dates. One list argument, or
// several scalars of one type.
std::uint32_t type_extremum(CallTyping& c) {
  bool dates = c.function() == "earliest" || c.function() == "latest";
  auto fits = [&](std::uint32_t t) {
    TypeTag tag = c.desc(t).tag;
    if (dates) return tag == TypeTag::date || tag == TypeTag::any;
    return tag == TypeTag::number || tag == TypeTag::duration || tag == TypeTag::date ||
           tag == TypeTag::any;
  };
  std::string_view what = dates ? "dates" : "numbers, durations or dates";
  if (c.arg_count() == 0)
    return c.fail(CallTyping::npos, fmt::format("`{}` needs at least one argument", c.function()));
  if (c.arg_count() == 1) {
    if (!c.want(0, c.list(c.arg(0)) && fits(c.arg(0)), what)) return error;
    return c.any(c.arg(0)) ? any : c.element_of(c.arg(0));
  }
  std::uint32_t u = any;
  for (std::size_t i = 0; i < c.arg_count(); ++i) {
    if (!c.want(i, !c.desc(c.arg(i)).list && fits(c.arg(i)), what)) return error;
    u = c.unify(u, c.arg(i));
    if (u == error)
      return c.fail(i, fmt::format("`{}` arguments must have one type", c.function()));
  }
  return u;
}

std::uint32_t type_between_dates(CallTyping& c) {
  if (!c.arity(2) || !c.want(0, c.scalar_of(c.arg(0), TypeTag::date), "dates") ||
      !c.want(1, c.scalar_of(c.arg(1), TypeTag::date), "dates"))
    return error;
  return number;
}

std::uint32_t type_date_part(CallTyping& c) {
  if (!c.arity(1) || !c.want(0, c.scalar_of(c.arg(0), TypeTag::date), "a date")) return error;
  return number;
}

std::uint32_t type_round(CallTyping& c) {
  if (!c.arity(2) || !c.want(0, c.scalar_of(c.arg(0), TypeTag::number), "a number") ||
      !c.want(1, c.scalar_of(c.arg(1), TypeTag::number), "a number of places"))
    return error;
  return number;
}

std::uint32_t type_floor_ceil(CallTyping& c) {
  if (!c.arity(1) || !c.want(0, c.scalar_of(c.arg(0), TypeTag::number), "a number")) return error;
  return number;
}

std::uint32_t type_abs(CallTyping& c) {
  if (!c.arity(1) ||
      !c.want(0, c.scalar_of(c.arg(0), TypeTag::number) || c.scalar_of(c.arg(0), TypeTag::duration),
              "a number or duration"))
    return error;
  return c.any(c.arg(0)) ? number : c.arg(0);
}

// first_by(L, f), last_by(L, f): argument 1 is the field's type; the result is L's type.
std::uint32_t type_group(CallTyping& c) {
  const TypeDesc& f = c.desc(c.arg(1));
  if (f.list || f.tag == TypeTag::record)
    return c.fail(1, fmt::format("`{}` groups by a single value; `{}` is {}", c.function(),
                                 c.arg_name(1), c.type_name(c.arg(1))));
  return c.arg(0);
}

// change(L, f), trend(L, f): a number field.
std::uint32_t type_series(CallTyping& c) {
  if (!c.scalar_of(c.arg(1), TypeTag::number))
    return c.fail(1, fmt::format("`{}` needs a number field; `{}` is {}", c.function(),
                                 c.arg_name(1), c.type_name(c.arg(1))));
  if (c.function() == "trend") {
    auto date = c.item_field(0, "date");
    if (!date || !c.scalar_of(*date, TypeTag::date))
      return c.fail(0, "`trend` needs items with a `date` field");
  }
  return number;
}

// Interval built-ins: L is a list of records with date fields `from` and `to`.
bool intervals(CallTyping& c) {
  auto from = c.item_field(0, "from"), to = c.item_field(0, "to");
  if (from && to && c.scalar_of(*from, TypeTag::date) && c.scalar_of(*to, TypeTag::date))
    return true;
  c.fail(0, fmt::format("`{}` needs a list of records with date fields `from` and `to` (like "
                        "`periods`), not {}",
                        c.function(), c.type_name(c.arg(0))));
  return false;
}

std::uint32_t type_covered_days(CallTyping& c) {
  if (!c.arity(2) || !intervals(c) ||
      !c.want(1, c.scalar_of(c.arg(1), TypeTag::date), "a date (count days before it)"))
    return error;
  return number;
}

std::uint32_t type_exhausted_on(CallTyping& c) {
  if (!c.arity(3) || !intervals(c) ||
      !c.want(1, c.scalar_of(c.arg(1), TypeTag::duration), "a duration (e.g. `104 weeks`)") ||
      !c.want(2, c.scalar_of(c.arg(2), TypeTag::date), "a date (projected from)"))
    return error;
  return date;
}

std::uint32_t type_covers(CallTyping& c) {
  if (!c.arity(2) || !intervals(c) || !c.want(1, c.scalar_of(c.arg(1), TypeTag::date), "a date"))
    return error;
  return boolean;
}

constexpr ArgumentShape V = ArgumentShape::values, F = ArgumentShape::list_and_field,
                        I = ArgumentShape::intervals;

constexpr std::array<BuiltinSpec, kBuiltinCount> kBuiltins = {{
    {Builtin::count, "count", "count(L)", "number of present items of L", V, false, type_count},
    {Builtin::any, "any", "any(L)", "count(L) > 0", V, false, type_count},
    {Builtin::none, "none", "none(L)", "count(L) == 0", V, false, type_count},
    {Builtin::sum, "sum", "sum(L)", "sum of a list of numbers (0 for an empty list)", V, false,
     type_number_aggregate},
    {Builtin::avg, "avg", "avg(L)", "mean of a list of numbers", V, false, type_number_aggregate},
    {Builtin::median, "median", "median(L)",
     "middle value of a list of numbers; the mean of the two middle values for an even count", V,
     false, type_number_aggregate},
    {Builtin::min, "min", "min(a, b, …)",
     "smallest number, duration or date (missing ones skipped; one list argument also accepted)", V,
     false, type_extremum},
    {Builtin::max, "max", "max(a, b, …)",
     "largest number, duration or date (missing ones skipped; one list argument also accepted)", V,
     false, type_extremum},
    {Builtin::first, "first", "first(L)", "first item (the earliest, for dated lists)", V, false,
     type_first_last},
    {Builtin::last, "last", "last(L)", "last item (the latest, for dated lists)", V, false,
     type_first_last},
    {Builtin::first_by, "first_by", "first_by(L, f)",
     "the first item of each group of items with equal field f (missing f: one group)", F, false,
     type_group},
    {Builtin::last_by, "last_by", "last_by(L, f)",
     "the last item of each group of items with equal field f (missing f: one group)", F, false,
     type_group},
    {Builtin::earliest, "earliest", "earliest(a, b, …)",
     "earliest date, missing arguments ignored; one list argument also accepted", V, false,
     type_extremum},
    {Builtin::latest, "latest", "latest(a, b, …)",
     "latest date, missing arguments ignored; one list argument also accepted", V, false,
     type_extremum},
    {Builtin::days_between, "days_between", "days_between(a, b)", "b - a in days, a number", V,
     false, type_between_dates},
    {Builtin::weeks_between, "weeks_between", "weeks_between(a, b)",
     "whole weeks completed from a to b (floor of days / 7)", V, false, type_between_dates},
    {Builtin::year, "year", "year(d)", "the calendar year of date d", V, false, type_date_part},
    {Builtin::month, "month", "month(d)", "the month (1-12) of date d", V, false, type_date_part},
    {Builtin::round, "round", "round(x, n)", "x rounded to n decimal places, half away from zero",
     V, false, type_round},
    {Builtin::floor, "floor", "floor(x)", "largest whole number ≤ x", V, false, type_floor_ceil},
    {Builtin::ceil, "ceil", "ceil(x)", "smallest whole number ≥ x", V, false, type_floor_ceil},
    {Builtin::abs, "abs", "abs(x)", "absolute value of a number or duration", V, false, type_abs},
    {Builtin::change, "change", "change(L, f)",
     "last(L).f - first(L).f over the items where f is present", F, false, type_series},
    {Builtin::trend, "trend", "trend(L, f)",
     "least-squares slope of f against the items' date, per week", F, true, type_series},
    {Builtin::covered_days, "covered_days", "covered_days(L, before)",
     "distinct days before `before` covered by the intervals of L (from..to; no `to`: open)", I,
     false, type_covered_days},
    {Builtin::exhausted_on, "exhausted_on", "exhausted_on(L, length, from)",
     "the day `length` of covered days is used up, every day from `from` on assumed covered", I,
     false, type_exhausted_on},
    {Builtin::covers, "covers", "covers(L, d)", "whether some interval of L covers day d", I, false,
     type_covers},
    {Builtin::combined_rating, "combined_rating", "combined_rating(L)",
     "ratings combined (Combined Values): largest first, c + r × (100 - c) / 100 rounded per step",
     V, false, type_number_aggregate},
}};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kBuiltins.size(); ++i)
    if (static_cast<std::size_t>(kBuiltins[i].id) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kBuiltins must list every Builtin in enum order");

}  // namespace

std::span<const BuiltinSpec> builtin_table() {
  return kBuiltins;
}

const BuiltinSpec& builtin_spec(Builtin id) {
  return kBuiltins[static_cast<std::size_t>(id)];
}

const BuiltinSpec* find_builtin(std::string_view name) {
  for (const auto& b : kBuiltins)
    if (b.name == name) return &b;
  return nullptr;
}

}  // namespace mmi
