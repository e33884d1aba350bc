// The built-in functions' implementations, one function each, found by the Builtin id the checker
// put on the call (the declarations, signatures and typing rules are in rules/builtins.cpp).
// Aggregates skip missing items as SQL's do; errors in arguments propagate.
#include <algorithm>

#include "engine/eval_state.hpp"
#include "rules/builtins.hpp"

namespace mmi {

namespace {

Value arg(const EvalState& s, const Node&, std::uint32_t k) {
  return s.arg(k);
}

// The list argument, or the value to return instead (missing or an error).
bool as_list(const Value& l, Value& instead) {
  if (l.kind == Kind::list) return true;
  instead = l.kind == Kind::error ? l : Value::missing();
  return false;
}

// Calls f on each present item of a single list argument, or on each present scalar argument.
// Returns an error value if one is met, else `true`.
template <typename F>
Value each_present(EvalState& s, const Node& n, F&& f) {
  if (n.operand_count == 1) {
    Value l = arg(s, n, 0);
    if (l.kind == Kind::list) {
      for (std::uint32_t k = 0; k < l.aux; ++k) {
        const Value& v = l.items[k];
        if (v.kind == Kind::error) return v;
        if (v.kind != Kind::missing) f(v);
      }
      return Value::boolean(true);
    }
    if (l.kind == Kind::error) return l;
    if (l.kind != Kind::missing) f(l);
    return Value::boolean(true);
  }
  for (std::uint32_t k = 0; k < n.operand_count; ++k) {
    Value v = arg(s, n, k);
    if (v.kind == Kind::error) return v;
    if (v.kind != Kind::missing) f(v);
  }
  return Value::boolean(true);
}

// The present numbers of a list argument, into s.numbers. False (with `instead`) if the list is
// missing or an item is an error.
bool collect_numbers(EvalState& s, const Node& n, Value& instead) {
  Value l = arg(s, n, 0);
  if (!as_list(l, instead)) return false;
  s.numbers.clear();
  for (std::uint32_t k = 0; k < l.aux; ++k) {
    const Value& v = l.items[k];
    if (v.kind == Kind::error) return instead = v, false;
    if (v.kind == Kind::number) s.numbers.push_back(v.as_number());
  }
  return true;
}

Value count_present(EvalState& s, const Node& n, std::uint32_t& count, Decimal& total) {
  Value l = arg(s, n, 0), instead;
  if (!as_list(l, instead)) return instead;
  count = 0;
  total = Decimal{};
  for (std::uint32_t k = 0; k < l.aux; ++k) {
    const Value& v = l.items[k];
    if (v.kind == Kind::error) return v;
    if (v.kind == Kind::missing) continue;
    ++count;
    if (v.kind == Kind::number) total = total + v.as_number();
  }
  return Value::boolean(true);
}

Value count_fn(EvalState& s, const Node& n, std::uint32_t) {
  std::uint32_t count;
  Decimal total;
  Value r = count_present(s, n, count, total);
  return r.is_true() ? Value::number(Decimal::from_int(count)) : r;
}

Value any_fn(EvalState& s, const Node& n, std::uint32_t) {
  std::uint32_t count;
  Decimal total;
  Value r = count_present(s, n, count, total);
  return r.is_true() ? Value::boolean(count > 0) : r;
}

Value none_fn(EvalState& s, const Node& n, std::uint32_t) {
  std::uint32_t count;
  Decimal total;
  Value r = count_present(s, n, count, total);
  return r.is_true() ? Value::boolean(count == 0) : r;
}

Value sum_fn(EvalState& s, const Node& n, std::uint32_t) {
  std::uint32_t count;
  Decimal total;
  Value r = count_present(s, n, count, total);
  return r.is_true() ? Value::number(total) : r;
}

Value avg_fn(EvalState& s, const Node& n, std::uint32_t) {
  std::uint32_t count;
  Decimal total;
  Value r = count_present(s, n, count, total);
  if (!r.is_true()) return r;
  if (count == 0) return Value::missing();
  return Value::number(Decimal::divide(total, Decimal::from_int(count)));
}

// As SQL's percentile_cont(0.5): the middle value, or the mean of the two middle values.
Value median_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value instead;
  if (!collect_numbers(s, n, instead)) return instead;
  auto& v = s.numbers;
  if (v.empty()) return Value::missing();
  std::sort(v.begin(), v.end(), [](const Decimal& a, const Decimal& b) { return a < b; });
  std::size_t mid = v.size() / 2;
  if (v.size() % 2) return Value::number(v[mid]);
  return Value::number(Decimal::divide(v[mid - 1] + v[mid], Decimal::from_int(2)));
}

template <bool kMin>
Value extremum_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value best;
  Value status = each_present(s, n, [&](const Value& v) {
    if (best.is_missing() || (kMin ? compare_values(v, best) < 0 : compare_values(v, best) > 0))
      best = v;
  });
  if (status.kind == Kind::error) return status;
  return best;
}

template <bool kFirst>
Value end_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value l = arg(s, n, 0), instead;
  if (!as_list(l, instead)) return instead;
  if (l.aux == 0) return Value::missing();
  return kFirst ? l.items[0] : l.items[l.aux - 1];
}

// One item per distinct value of the field (missing values form one group): the first or the
// last of each group, in list order.
template <bool kLast>
Value group_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value l = arg(s, n, 0), instead;
  if (!as_list(l, instead)) return instead;
  Value* dst = s.arena.alloc(l.aux);
  std::uint32_t kept = 0;
  for (std::uint32_t k = 0; k < l.aux; ++k) {
    const Value& key = l.items[k].items[n.field];
    bool shadowed = false;
    std::uint32_t from = kLast ? k + 1 : 0, to = kLast ? l.aux : k;
    for (std::uint32_t j = from; j < to && !shadowed; ++j) {
      const Value& other = l.items[j].items[n.field];
      shadowed = other.kind == key.kind && (key.is_missing() || scalar_equal(other, key));
    }
    if (!shadowed) dst[kept++] = l.items[k];
  }
  return Value::list(dst, kept);
}

Value days_between_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value a = arg(s, n, 0), b = arg(s, n, 1), r;
  if (EvalState::absent(a, b, r)) return r;
  return Value::number(Decimal::from_int(b.i - a.i));
}

Value weeks_between_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value a = arg(s, n, 0), b = arg(s, n, 1), r;
  if (EvalState::absent(a, b, r)) return r;
  std::int64_t days = b.i - a.i;
  std::int64_t weeks = days >= 0 ? days / 7 : -((-days + 6) / 7);
  return Value::number(Decimal::from_int(weeks));
}

template <bool kYear>
Value date_part_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value d = arg(s, n, 0);
  if (d.kind != Kind::date) return d;
  CivilDate c = civil_from_days(static_cast<DayNumber>(d.i));
  return Value::number(Decimal::from_int(kYear ? c.year : static_cast<int>(c.month)));
}

Value round_fn(EvalState& s, const Node& n, std::uint32_t node) {
  Value x = arg(s, n, 0), places = arg(s, n, 1), r;
  if (EvalState::absent(x, places, r)) return r;
  auto p = places.as_number().to_int64_floor();
  if (!p || !places.as_number().is_integer() || *p > 30 || *p < -30)
    return s.fail(node, Code::E502, "round needs a whole number of places between -30 and 30");
  return Value::number(x.as_number().round(static_cast<int>(*p)));
}

template <int kWhich>  // 0 floor, 1 ceil, 2 abs
Value unary_number_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value x = arg(s, n, 0);
  if (x.kind == Kind::duration) return Value::duration(x.i < 0 ? -x.i : x.i);
  if (x.kind != Kind::number) return x;
  Decimal d = x.as_number();
  return Value::number(kWhich == 0 ? d.floor() : kWhich == 1 ? d.ceil() : d.abs());
}

Value change_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value l = arg(s, n, 0), instead;
  if (!as_list(l, instead)) return instead;
  const Value* first = nullptr;
  const Value* last = nullptr;
  for (std::uint32_t k = 0; k < l.aux; ++k) {
    const Value& f = l.items[k].items[n.field];
    if (f.kind != Kind::number) continue;
    if (!first) first = &f;
    last = &f;
  }
  if (!first) return Value::missing();
  return Value::number(last->as_number() - first->as_number());
}

// Least-squares slope of the field against the item date, per week.
Value trend_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value l = arg(s, n, 0), instead;
  if (!as_list(l, instead)) return instead;
  std::int64_t count = 0, origin = 0;
  Decimal sx{}, sy{}, sxy{}, sxx{};
  for (std::uint32_t k = 0; k < l.aux; ++k) {
    const Value* fields = l.items[k].items;
    const Value& f = fields[n.field];
    const Value& d = fields[n.field2];
    if (f.kind != Kind::number || d.kind != Kind::date) continue;
    if (count == 0) origin = d.i;
    Decimal x = Decimal::from_int(d.i - origin), y = f.as_number();
    sx = sx + x;
    sy = sy + y;
    sxy = sxy + x * y;
    sxx = sxx + x * x;
    ++count;
  }
  if (count < 2) return Value::missing();
  Decimal cnt = Decimal::from_int(count);
  Decimal den = cnt * sxx - sx * sx;
  if (den.is_zero()) return Value::missing();
  Decimal per_day = Decimal::divide(cnt * sxy - sx * sy, den);
  return Value::number(per_day * Decimal::from_int(7));
}

// ---- intervals: lists of records with date fields `from` and `to` ------------------------------

constexpr std::int64_t kOpenEnd = std::int64_t{1} << 40;  // a period without `to`: never ends

// The union of the intervals of list L as sorted, disjoint [from, to] day spans in s.spans.
// False (with `instead`) if L is missing or an error.
bool merged_spans(EvalState& s, const Node& n, const Value& l, Value& instead) {
  if (!as_list(l, instead)) return false;
  // Several interval built-ins of a policy often read the same periods: merge them once.
  EvalState::SpansOf key{l.items, l.aux, n.field, n.field2, s.evaluation};
  const EvalState::SpansOf& held = s.spans_of;
  if (key.items == held.items && key.size == held.size && key.from == held.from &&
      key.to == held.to && key.evaluation == held.evaluation)
    return true;
  s.spans_of = key;
  s.spans.clear();
  for (std::uint32_t k = 0; k < l.aux; ++k) {
    const Value& item = l.items[k];
    if (item.kind != Kind::record) continue;
    const Value& from = item.items[n.field];
    const Value& to = item.items[n.field2];
    if (from.kind != Kind::date) continue;  // no first day: nothing we can count
    std::int64_t end = to.kind == Kind::date ? to.i : kOpenEnd;
    if (end < from.i) continue;  // an input error the loader reports; never counted backwards
    s.spans.emplace_back(from.i, end);
  }
  std::sort(s.spans.begin(), s.spans.end());
  std::size_t out = 0;
  for (std::size_t k = 0; k < s.spans.size(); ++k) {
    if (out > 0 && s.spans[k].first <= s.spans[out - 1].second + 1)
      s.spans[out - 1].second = std::max(s.spans[out - 1].second, s.spans[k].second);
    else
      s.spans[out++] = s.spans[k];
  }
  s.spans.resize(out);
  return true;
}

// Days d < before covered by the merged spans.
std::int64_t days_before(const EvalState& s, std::int64_t before) {
  std::int64_t days = 0;
  for (const auto& [from, to] : s.spans) {
    if (from >= before) break;
    days += std::min(to + 1, before) - from;
  }
  return days;
}

Value covered_days_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value l = arg(s, n, 0), before = arg(s, n, 1), r;
  if (EvalState::absent(l, before, r)) return r;
  if (!merged_spans(s, n, l, r)) return r;
  return Value::number(Decimal::from_int(days_before(s, before.i)));
}

// The day the `length`-th covered day falls on, counting covered days before `from` and then
// every day from `from` on (the projection: benefits assumed paid from then on).
Value exhausted_on_fn(EvalState& s, const Node& n, std::uint32_t node) {
  Value l = arg(s, n, 0), length = arg(s, n, 1), from = arg(s, n, 2), r;
  if (EvalState::absent(l, length, r) || EvalState::absent(from, from, r)) return r;
  if (length.i <= 0) return Value::missing();
  if (!merged_spans(s, n, l, r)) return r;
  std::int64_t paid = days_before(s, from.i);
  if (paid < length.i) return s.checked_date(from.i + (length.i - paid - 1), node);
  std::int64_t remaining = length.i;
  for (const auto& [start, end] : s.spans) {
    std::int64_t days = end - start + 1;
    if (remaining <= days) return Value::date(start + remaining - 1);
    remaining -= days;
  }
  return Value::missing();  // unreachable: paid >= length means the spans hold that many days
}

Value covers_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value l = arg(s, n, 0), day = arg(s, n, 1), r;
  if (EvalState::absent(l, day, r)) return r;
  for (std::uint32_t k = 0; k < l.aux; ++k) {
    const Value& item = l.items[k];
    if (item.kind != Kind::record) continue;
    const Value& from = item.items[n.field];
    const Value& to = item.items[n.field2];
    if (from.kind == Kind::date && from.i <= day.i && (to.kind != Kind::date || day.i <= to.i))
      return Value::boolean(true);
  }
  return Value::boolean(false);
}

// Combined Values (AMA Guides): start with the largest rating; each next one, in descending order,
// adds r × (100 − c) / 100, rounded half up to a whole point at each step.
Value combined_rating_fn(EvalState& s, const Node& n, std::uint32_t) {
  Value instead;
  if (!collect_numbers(s, n, instead)) return instead;
  auto& v = s.numbers;
  if (v.empty()) return Value::missing();
  std::sort(v.begin(), v.end(), [](const Decimal& a, const Decimal& b) { return b < a; });
  const Decimal hundred = Decimal::from_int(100);
  Decimal c = v[0];
  for (std::size_t k = 1; k < v.size(); ++k)
    c = (c + Decimal::divide(v[k] * (hundred - c), hundred)).round(0);
  return Value::number(c);
}

}  // namespace

// One case per built-in and no default: -Wswitch (an error in CI) names a built-in of the table
// that has no implementation here.
Value EvalState::call(const Node& n, std::uint32_t node) {
  switch (static_cast<Builtin>(n.index)) {
    case Builtin::count:
      return count_fn(*this, n, node);
    case Builtin::any:
      return any_fn(*this, n, node);
    case Builtin::none:
      return none_fn(*this, n, node);
    case Builtin::sum:
      return sum_fn(*this, n, node);
    case Builtin::avg:
      return avg_fn(*this, n, node);
    case Builtin::median:
      return median_fn(*this, n, node);
    case Builtin::min:
      return extremum_fn<true>(*this, n, node);
    case Builtin::max:
      return extremum_fn<false>(*this, n, node);
    case Builtin::first:
      return end_fn<true>(*this, n, node);
    case Builtin::last:
      return end_fn<false>(*this, n, node);
    case Builtin::first_by:
      return group_fn<false>(*this, n, node);
    case Builtin::last_by:
      return group_fn<true>(*this, n, node);
    case Builtin::earliest:
      return extremum_fn<true>(*this, n, node);
    case Builtin::latest:
      return extremum_fn<false>(*this, n, node);
    case Builtin::days_between:
      return days_between_fn(*this, n, node);
    case Builtin::weeks_between:
      return weeks_between_fn(*this, n, node);
    case Builtin::year:
      return date_part_fn<true>(*this, n, node);
    case Builtin::month:
      return date_part_fn<false>(*this, n, node);
    case Builtin::round:
      return round_fn(*this, n, node);
    case Builtin::floor:
      return unary_number_fn<0>(*this, n, node);
    case Builtin::ceil:
      return unary_number_fn<1>(*this, n, node);
    case Builtin::abs:
      return unary_number_fn<2>(*this, n, node);
    case Builtin::change:
      return change_fn(*this, n, node);
    case Builtin::trend:
      return trend_fn(*this, n, node);
    case Builtin::covered_days:
      return covered_days_fn(*this, n, node);
    case Builtin::exhausted_on:
      return exhausted_on_fn(*this, n, node);
    case Builtin::covers:
      return covers_fn(*this, n, node);
    case Builtin::combined_rating:
      return combined_rating_fn(*this, n, node);
  }
  return Value::missing();
}

}  // namespace mmi
