// The encoding of a checked policy into Z3 (see encoder.hpp). Each case below names the evaluator
// code it mirrors; keep them in step.
#include "verify/encoder.hpp"

#include <fmt/format.h>

#include "rules/builtins.hpp"

namespace mmi::verify {

std::optional<std::string> decimal_text_or_throw(const z3::expr& q);

namespace {

constexpr std::int64_t kOpenEnd = std::int64_t{1} << 40;  // builtins.cpp: a period without `to`

z3::expr any_of(z3::context& c, const std::vector<z3::expr>& xs) {
  z3::expr r = c.bool_val(false);
  for (const auto& x : xs) r = r || x;
  return r;
}

// floor(x) as an integer (Z3's real-to-int).
z3::expr floor_int(const z3::expr& x) {
  Z3_ast a = Z3_mk_real2int(x.ctx(), x);
  x.check_error();
  return z3::expr(x.ctx(), a);
}

// Decimal::divide of two numerals (reals or integers), as a real numeral; 0 for a zero divisor
// (the caller flags the error).
z3::expr engine_divide(z3::context& c, const z3::expr& x, const z3::expr& y);

}  // namespace

std::optional<std::string> decimal_text(const z3::expr& q) {
  try {
    return decimal_text_or_throw(q);
  } catch (const std::exception&) {
    return std::nullopt;  // beyond 64-bit numerators and denominators: not writable as a case
  }
}

std::optional<std::string> decimal_text_or_throw(const z3::expr& q) {
  std::string num = q.numerator().get_decimal_string(0);
  std::string den = q.denominator().get_decimal_string(0);
  // den must be 2^a 5^b; scale the numerator to den = 10^k.
  long long d = std::stoll(den);
  int twos = 0, fives = 0;
  while (d % 2 == 0) d /= 2, ++twos;
  while (d % 5 == 0) d /= 5, ++fives;
  if (d != 1) return std::nullopt;
  int k = std::max(twos, fives);
  long long scale = 1;
  for (int i = 0; i < k - twos; ++i) scale *= 2;
  for (int i = 0; i < k - fives; ++i) scale *= 5;
  bool negative = !num.empty() && num[0] == '-';
  long long n = std::llabs(std::stoll(num)) * scale;
  std::string digits = std::to_string(n);
  if (k > 0) {
    if (static_cast<int>(digits.size()) <= k) digits.insert(0, k + 1 - digits.size(), '0');
    digits.insert(digits.size() - k, ".");
  }
  return (negative ? "-" : "") + digits;
}

namespace {
z3::expr engine_divide(z3::context& c, const z3::expr& x, const z3::expr& y) {
  auto as_decimal = [](const z3::expr& n) -> std::optional<Decimal> {
    auto text =
        decimal_text(n.is_int() ? z3::expr(n.ctx(), Z3_mk_int2real(n.ctx(), n)).simplify() : n);
    if (!text) return std::nullopt;
    return Decimal::parse(*text);
  };
  auto a = as_decimal(x), b = as_decimal(y);
  if (!a || !b) throw Unsupported("division of numbers that are not decimals");
  if (b->is_zero()) return c.real_val(0);
  return c.real_val(Decimal::divide(*a, *b).to_string().c_str());
}
}  // namespace

z3::expr Encoder::map_numerals(const z3::expr& x, const std::function<z3::expr(const z3::expr&)>& f,
                               const char* what) {
  z3::expr s = x.simplify();
  if (s.is_numeral()) return f(s);
  if (s.is_app() && s.decl().decl_kind() == Z3_OP_ITE)
    return z3::ite(s.arg(0), map_numerals(s.arg(1), f, what), map_numerals(s.arg(2), f, what));
  throw Unsupported(what);
}

// The civil calendar (calendar.cpp) in flat linear integer arithmetic: a year's divisions by 4,
// 100 and 400 are taken of `year - 1` only, never of an expression with divisions in it. The
// nested divisions of civil_from_days() made the solver time out (us-ca's windows).
z3::expr Encoder::leap_year(const z3::expr& year) {
  z3::expr y = year - 1;  // year % k == 0 ⇔ (year - 1) mod k == k - 1
  return (z3::mod(y, 4) == 3 && z3::mod(y, 100) != 99) || z3::mod(y, 400) == 399;
}

z3::expr Encoder::days_in_month(const z3::expr& year, const z3::expr& month) {
  return z3::ite(month == 2, z3::ite(leap_year(year), c_.int_val(29), c_.int_val(28)),
                 z3::ite(month == 4 || month == 6 || month == 9 || month == 11, c_.int_val(30),
                         c_.int_val(31)));
}

// calendar.cpp days_from_civil(): day of 1 January of `year` plus the days before the month.
z3::expr Encoder::days_from_civil_expr(const z3::expr& year, const z3::expr& month,
                                       const z3::expr& day) {
  static constexpr int kDaysBeforeMonth[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  z3::expr y = year - 1;
  z3::expr before = c_.int_val(kDaysBeforeMonth[11]);
  for (int m = 11; m-- > 0;)
    before = z3::ite(month == m + 1, c_.int_val(kDaysBeforeMonth[m]), before);
  return 365 * y + y / 4 - y / 100 + y / 400 + before +
         z3::ite(month > 2 && leap_year(year), c_.int_val(1), c_.int_val(0)) + day - 1 +
         c_.int_val(mmi::days_from_civil(1, 1, 1));
}

// The civil date of a day number: fresh year, month and day tied to it by days_from_civil (a
// bijection on all integers, so the side constraint excludes no case). One triple per day term.
const Encoder::Civil& Encoder::civil(const z3::expr& day) {
  z3::expr key = day.simplify();
  auto found = civil_.find(key.id());
  if (found != civil_.end()) return found->second;
  std::string name = fresh_name("civil");
  Civil c{c_.int_const((name + ".year").c_str()), c_.int_const((name + ".month").c_str()),
          c_.int_const((name + ".day").c_str())};
  side_.push_back(c.month >= 1 && c.month <= 12 && c.day >= 1 &&
                  c.day <= days_in_month(c.year, c.month) &&
                  days_from_civil_expr(c.year, c.month, c.day) == key);
  // Implied by the line above (the leap days before year n + 1 are 97n/400 give or take 2), and
  // stated so that the solver's linear relaxation pins the year to one or two candidates.
  z3::expr years_before = c.year - 1, since = key - c_.int_val(mmi::days_from_civil(1, 1, 1));
  side_.push_back(146097 * years_before > 400 * since - 146400 &&
                  146097 * years_before < 400 * since + 800);
  civil_keys_.push_back(key);  // keeps the key's id alive
  return civil_.emplace(key.id(), c).first->second;
}

// calendar.cpp add_months() and evaluator.cpp add_period(): months added to the civil date, the
// day clamped to the new month's length; years outside 0001-9999 are an error.
Sym Encoder::add_months(const z3::expr& day, const z3::expr& months) {
  Civil c = civil(day);
  z3::expr k = months.simplify();
  z3::expr year(c_), month(c_);
  if (k.is_numeral() && k.get_numeral_int64() % 12 == 0) {  // whole years: the month stays
    year = c.year + static_cast<int>(k.get_numeral_int64() / 12);
    month = c.month;
  } else {
    z3::expr index = c.year * 12 + (c.month - 1) + k;
    year = index / 12;  // Z3's div floors for a positive divisor, as the engine does
    month = index - year * 12 + 1;
  }
  z3::expr in_range = year >= 1 && year <= 9999;
  z3::expr dim = days_in_month(year, month);
  z3::expr clamped = z3::ite(c.day < dim, c.day, dim);
  Sym r = of(TypeTag::date, days_from_civil_expr(year, month, clamped));
  r.err = k > 120000 || k < -120000 || !in_range;
  return r;
}

// Z3 names a constant by its text: two encoders in one context (--against) must not share their
// helper constants, so each name carries the encoder's number.
std::string Encoder::fresh_name(const char* what) {
  static int encoders = 0;
  if (instance_ < 0) instance_ = encoders++;
  return fmt::format("{}#{}.{}", what, instance_, fresh_++);
}

Sym Encoder::boolean(const z3::expr& present, const z3::expr& v) {
  Sym s(c_);
  s.tag = TypeTag::boolean;
  s.present = present;
  s.v = v;
  return s;
}

Sym Encoder::of(TypeTag tag, const z3::expr& v) {
  Sym s(c_);
  s.tag = tag;
  s.present = c_.bool_val(true);
  s.v = v;
  return s;
}

Sym Encoder::error_if(Sym s, const z3::expr& e) {
  s.err = s.err || e;
  return s;
}

// if cond then a else b, shape by shape (both sides come from one typed expression).
Sym Encoder::merge(const z3::expr& cond, const Sym& a, const Sym& b) {
  if (a.tag == TypeTag::any && !a.list && a.fields.empty()) {
    Sym r = b;
    r.present = z3::ite(cond, a.present, b.present);
    r.err = z3::ite(cond, a.err, b.err);
    return r;
  }
  if (b.tag == TypeTag::any && !b.list && b.fields.empty()) return merge(!cond, b, a);
  Sym r = a;
  r.present = z3::ite(cond, a.present, b.present);
  r.err = z3::ite(cond, a.err, b.err);
  if (a.list || b.list) {
    r.len = z3::ite(cond, a.len, b.len);
    std::size_t n = std::max(a.items.size(), b.items.size());
    r.items.clear();
    for (std::size_t k = 0; k < n; ++k) {
      const Sym& x = k < a.items.size() ? a.items[k] : (b.items[k]);
      const Sym& y = k < b.items.size() ? b.items[k] : (a.items[k]);
      r.items.push_back(merge(cond, x, y));
    }
    return r;
  }
  if (!a.fields.empty()) {
    for (std::size_t f = 0; f < a.fields.size(); ++f)
      r.fields[f] = merge(cond, a.fields[f], b.fields[f]);
    return r;
  }
  if (a.v.get_sort().id() != b.v.get_sort().id()) throw Unsupported("values of mixed kinds");
  r.v = z3::ite(cond, a.v, b.v);
  return r;
}

Sym Encoder::scalar_var(const std::string& name, std::uint32_t type_id, bool required,
                        z3::expr_vector& domain) {
  const TypeDesc& t = p_.types[type_id];
  Sym s(c_);
  s.tag = t.tag;
  s.present = required ? c_.bool_val(true) : c_.bool_const((name + "?").c_str());
  switch (t.tag) {
    case TypeTag::boolean:
      s.v = c_.bool_const(name.c_str());
      break;
    case TypeTag::number:
      s.v = c_.real_const(name.c_str());
      break;
    case TypeTag::text:
      s.v = c_.string_const(name.c_str());
      break;
    case TypeTag::enumeration: {
      s.v = c_.string_const(name.c_str());
      std::vector<z3::expr> one_of;
      for (const auto& value : p_.enums[static_cast<std::size_t>(t.enumeration)])
        one_of.push_back(s.v == c_.string_val(value));
      domain.push_back(any_of(c_, one_of));
      break;
    }
    case TypeTag::date:
      s.v = c_.int_const(name.c_str());
      domain.push_back(s.v >= c_.int_val(b_.first_day) && s.v <= c_.int_val(b_.last_day));
      break;
    case TypeTag::duration:
    case TypeTag::period:
      s.v = c_.int_const(name.c_str());
      // The case loader reads whole days/months; keep them to the span of the date range.
      domain.push_back(s.v >= c_.int_val(-(b_.last_day - b_.first_day)) &&
                       s.v <= c_.int_val(b_.last_day - b_.first_day));
      break;
    default:
      throw Unsupported("a fact of type " + p_.type_name(type_id));
  }
  return s;
}

Sym Encoder::record_var(const std::string& prefix, std::uint32_t record, z3::expr_vector& domain) {
  const RecordLayout& r = p_.records[record];
  Sym s(c_);
  s.tag = TypeTag::record;
  s.record = static_cast<std::int32_t>(record);
  s.present = c_.bool_val(true);
  for (std::size_t f = 0; f < r.names.size(); ++f) {
    const TypeDesc& t = p_.types[r.type_ids[f]];
    if (t.tag == TypeTag::record && !t.list)
      s.fields.push_back(
          record_var(prefix + r.names[f] + ".", static_cast<std::uint32_t>(t.record), domain));
    else if (t.list)
      throw Unsupported("a list inside a record");
    else
      s.fields.push_back(scalar_var(prefix + r.names[f], r.type_ids[f], r.required[f], domain));
  }
  // case_loader.cpp check_range(): a record's `to` date is never before its `from` date.
  int from = -1, to = -1;
  for (std::size_t f = 0; f < r.names.size(); ++f) {
    if (s.fields[f].tag != TypeTag::date || s.fields[f].list) continue;
    if (r.names[f] == "from") from = static_cast<int>(f);
    if (r.names[f] == "to") to = static_cast<int>(f);
  }
  if (from >= 0 && to >= 0) {
    const Sym& a = s.fields[static_cast<std::size_t>(from)];
    const Sym& b = s.fields[static_cast<std::size_t>(to)];
    domain.push_back(z3::implies(a.present && b.present, b.v >= a.v));
  }
  return s;
}

SymCase Encoder::make_case() {
  SymCase sc(c_);
  sc.as_of = c_.int_const("as_of");
  sc.domain.push_back(sc.as_of >= c_.int_val(b_.first_day) && sc.as_of <= c_.int_val(b_.last_day));
  for (const FactInfo& f : p_.facts) {
    const TypeDesc& t = p_.types[f.type_id];
    if (f.shape == FactDecl::Shape::scalar) {
      sc.facts.push_back(scalar_var(f.path, f.type_id, f.required, sc.domain));
    } else if (f.shape == FactDecl::Shape::record) {
      sc.facts.push_back(record_var(f.path + ".", static_cast<std::uint32_t>(t.record), sc.domain));
    } else {
      const ListInfo& li = p_.lists[f.list_index];
      Sym l(c_);
      l.tag = TypeTag::record;
      l.list = true;
      l.record = static_cast<std::int32_t>(li.item_record);
      l.present = c_.bool_val(true);  // an absent list fact is an empty list
      l.len = c_.int_const((f.path + "#").c_str());
      sc.domain.push_back(l.len >= 0 && l.len <= b_.max_items);
      for (int k = 0; k < b_.max_items; ++k)
        l.items.push_back(record_var(fmt::format("{}[{}].", f.path, k), li.item_record, sc.domain));
      // Items are sorted by `date` on load (stable; undated items last).
      const RecordLayout& r = p_.records[li.item_record];
      if (r.date_field >= 0) {
        auto df = static_cast<std::size_t>(r.date_field);
        for (int k = 0; k + 1 < b_.max_items; ++k) {
          const Sym& a = l.items[k].fields[df];
          const Sym& b = l.items[k + 1].fields[df];
          sc.domain.push_back(
              z3::implies(l.len > k + 1, (!a.present && !b.present) || (a.present && !b.present) ||
                                             (a.present && b.present && a.v <= b.v)));
        }
      }
      sc.facts.push_back(l);
    }
  }
  return sc;
}

Sym Encoder::date_checked(const z3::expr& day) {
  // evaluator.cpp checked_date: years 0001-9999.
  Sym s = of(TypeTag::date, day);
  s.err =
      day < c_.int_val(days_from_civil(1, 1, 1)) || day > c_.int_val(days_from_civil(9999, 12, 31));
  return s;
}

// case_model.cpp: a case's periods, or the one ttd period its v1 facts describe.
Sym Encoder::benefit_periods(const FactInfo& f, const Sym& given) {
  const ListInfo& li = p_.lists[f.list_index];
  const RecordLayout& r = p_.records[li.item_record];
  auto index = [&](std::string_view name) -> int {
    for (std::size_t k = 0; k < r.names.size(); ++k)
      if (r.names[k] == name) return static_cast<int>(k);
    return -1;
  };
  int kind = index("kind"), from = index("from"), to = index("to");
  if (kind < 0 || from < 0 || to < 0) return given;
  const auto& kinds = p_.enums[static_cast<std::size_t>(p_.types[r.type_ids[kind]].enumeration)];
  if (std::find(kinds.begin(), kinds.end(), "ttd") == kinds.end()) return given;
  const Sym* start = nullptr;
  const Sym* paid = nullptr;
  for (std::size_t k = 0; k < p_.facts.size(); ++k) {
    const FactInfo& fi = p_.facts[k];
    if (fi.shape != FactDecl::Shape::scalar) continue;
    if (fi.path == "benefits.disability_start" && p_.types[fi.type_id].tag == TypeTag::date)
      start = &sc_->facts[k];
    if (fi.path == "benefits.temporary_days_paid" && p_.types[fi.type_id].tag == TypeTag::number)
      paid = &sc_->facts[k];
  }
  z3::expr has_start = start ? start->present : c_.bool_val(false);
  z3::expr has_paid = paid ? paid->present : c_.bool_val(false);
  z3::expr days = paid ? floor_int(paid->v) : c_.int_val(0);
  z3::expr start_day = start ? start->v : c_.int_val(0);
  Sym item(c_);
  item.tag = TypeTag::record;
  item.record = static_cast<std::int32_t>(li.item_record);
  item.present = c_.bool_val(true);
  for (std::size_t k = 0; k < r.names.size(); ++k) {
    Sym field = missing();
    field.tag = p_.types[r.type_ids[k]].tag;
    item.fields.push_back(field);
  }
  item.fields[kind] = of(TypeTag::enumeration, c_.string_val("ttd"));
  z3::expr first = z3::ite(has_paid, z3::ite(has_start, start_day, sc_->as_of - days), start_day);
  item.fields[from] = of(TypeTag::date, first);
  item.fields[to] = of(TypeTag::date, first + days - 1);
  item.fields[to].present = has_paid;
  z3::expr bad_paid = has_paid && (days < 0 || days > 4000000);
  Sym derived(c_);
  derived.tag = TypeTag::record;
  derived.list = true;
  derived.record = item.record;
  derived.present = (has_start || has_paid) && !bad_paid;
  derived.len = z3::ite(has_paid && days == 0, c_.int_val(0), c_.int_val(1));
  for (int k = 0; k < b_.max_items; ++k) derived.items.push_back(item);
  return merge(given.len > 0, given, derived);
}

Sym Encoder::parameter(std::uint32_t index, const z3::expr& day) {
  const CheckedParameter& prm = p_.parameters[index];
  TypeTag tag;
  if (prm.series.empty()) {
    if (prm.value.kind == LiteralKind::missing) return missing();
    return of(p_.types[prm.type_id].tag, literal_value(prm.value, tag));
  }
  Sym r = missing();  // before the first step
  for (const auto& step : prm.series) {
    Sym v = step.value.kind == LiteralKind::missing
                ? missing()
                : of(p_.types[prm.type_id].tag, literal_value(step.value, tag));
    r = merge(day >= c_.int_val(step.from), v, r);
  }
  return r;
}

z3::expr Encoder::literal_value(const Literal& l, TypeTag& tag) {
  switch (l.kind) {
    case LiteralKind::number:
      tag = TypeTag::number;
      return c_.real_val(l.number.to_string().c_str());
    case LiteralKind::text:
      tag = TypeTag::text;
      return c_.string_val(l.text);
    case LiteralKind::boolean:
      tag = TypeTag::boolean;
      return c_.bool_val(l.integer != 0);
    case LiteralKind::date:
      tag = TypeTag::date;
      return c_.int_val(l.integer);
    case LiteralKind::duration:
      tag = TypeTag::duration;
      return c_.int_val(l.integer);
    case LiteralKind::period:
      tag = TypeTag::period;
      return c_.int_val(l.integer);
    case LiteralKind::missing:
      break;
  }
  tag = TypeTag::any;
  return c_.bool_val(false);
}

// evaluator.cpp absent(): the first error, else missing if either is missing.
Sym Encoder::strict2(const Sym& x, const Sym& y, TypeTag tag, const z3::expr& v) {
  Sym s = of(tag, v);
  s.present = x.present && y.present;
  s.err = x.err || y.err;
  return s;
}

z3::expr Encoder::equal(const Sym& x, const Sym& y) {
  if (x.tag == TypeTag::any || y.tag == TypeTag::any) return c_.bool_val(false);
  if (x.v.get_sort().id() != y.v.get_sort().id()) return c_.bool_val(false);
  return x.v == y.v;
}

z3::expr Encoder::compare(ExprKind k, const Sym& x, const Sym& y) {
  if (x.tag == TypeTag::text || x.tag == TypeTag::enumeration)
    throw Unsupported("ordering of text (`<`, `<=`, `>`, `>=` on text)");
  if (x.tag == TypeTag::boolean) throw Unsupported("ordering of booleans");
  if (x.tag == TypeTag::any || y.tag == TypeTag::any) return c_.bool_val(false);
  switch (k) {
    case ExprKind::lt:
      return x.v < y.v;
    case ExprKind::le:
      return x.v <= y.v;
    case ExprKind::gt:
      return x.v > y.v;
    default:
      return x.v >= y.v;
  }
}

// evaluator.cpp scale(): duration/period × number, rounded down, within ±4,000,000.
Sym Encoder::scale(const Sym& span, const z3::expr& factor, TypeTag tag) {
  z3::expr whole = floor_int(z3::to_real(span.v) * factor);
  Sym s = of(tag, whole);
  s.err = whole > 4000000 || whole < -4000000;
  return s;
}

// evaluator.cpp arithmetic() and checked_span().
Sym Encoder::arithmetic(const Expr& e, const Sym& x, const Sym& y) {
  TypeTag a = x.tag, b = y.tag;
  if (a == TypeTag::any || b == TypeTag::any) {
    Sym s = missing();
    s.err = x.err || y.err;
    return s;
  }
  auto with = [&](Sym r) {
    r.present = x.present && y.present;
    r.err = x.err || y.err || (x.present && y.present && r.err);
    return r;
  };
  auto span = [&](TypeTag tag, const z3::expr& v) {
    Sym r = of(tag, v);
    r.err = v > c_.int_val(std::int64_t{1'000'000'000'000}) ||
            v < c_.int_val(std::int64_t{-1'000'000'000'000});
    return r;
  };
  auto is_span = [](TypeTag t) { return t == TypeTag::duration || t == TypeTag::period; };
  switch (e.kind) {
    case ExprKind::add:
      if (a == TypeTag::number) return with(of(a, x.v + y.v));
      if (a == TypeTag::date && b == TypeTag::duration) return with(date_checked(x.v + y.v));
      if (a == TypeTag::duration && b == TypeTag::date) return with(date_checked(x.v + y.v));
      if (a == TypeTag::date && b == TypeTag::period) return with(add_months(x.v, y.v));
      if (a == TypeTag::period && b == TypeTag::date) return with(add_months(y.v, x.v));
      if (a == b && is_span(a)) return with(span(a, x.v + y.v));
      break;
    case ExprKind::sub:
      if (a == TypeTag::number) return with(of(a, x.v - y.v));
      if (a == TypeTag::date && b == TypeTag::date) return with(of(TypeTag::duration, x.v - y.v));
      if (a == TypeTag::date && b == TypeTag::duration) return with(date_checked(x.v - y.v));
      if (a == TypeTag::date && b == TypeTag::period) return with(add_months(x.v, -y.v));
      if (a == b && is_span(a)) return with(span(a, x.v - y.v));
      break;
    case ExprKind::mul:
      if (a == TypeTag::number && b == TypeTag::number) return with(of(a, x.v * y.v));
      if (b == TypeTag::number && is_span(a)) return with(scale(x, y.v, a));
      if (a == TypeTag::number && is_span(b)) return with(scale(y, x.v, b));
      break;
    case ExprKind::div:
      if (b == TypeTag::number) {
        if (a == TypeTag::number) {
          // Decimal::divide rounds quotients that do not terminate: exact only for constant
          // divisors whose reciprocal terminates.
          bool exact = false;
          if (e.args[1].kind == ExprKind::literal && e.args[1].literal.number.is_zero()) {
            Sym r = of(a, x.v);
            r.err = c_.bool_val(true);
            return with(r);
          }
          if (e.args[1].kind == ExprKind::literal) {
            auto text = decimal_text(c_.real_val(e.args[1].literal.number.to_string().c_str()));
            z3::expr inv =
                (1 / c_.real_val(e.args[1].literal.number.to_string().c_str())).simplify();
            exact = text && !e.args[1].literal.number.is_zero() && decimal_text(inv).has_value();
          }
          if (exact) return with(of(a, x.v / y.v));
          // Constant operands (parameters, dated series): divide as the engine does.
          z3::expr q = map_numerals(
              x.v,
              [&](const z3::expr& xn) {
                return map_numerals(
                    y.v, [&](const z3::expr& yn) { return engine_divide(c_, xn, yn); },
                    "number division by a non-constant (rounded quotients)");
              },
              "number division by a non-constant (rounded quotients)");
          Sym r = of(a, q);
          r.err = y.v == 0;
          return with(r);
        }
        if (is_span(a)) {
          Sym r = of(a, floor_int(z3::to_real(x.v) / y.v));
          r.err = y.v == 0;
          return with(r);
        }
      }
      if (a == b && is_span(a)) {
        const char* why = "duration / duration of non-constants (rounded quotients)";
        z3::expr q = map_numerals(
            x.v,
            [&](const z3::expr& xn) {
              return map_numerals(
                  y.v, [&](const z3::expr& yn) { return engine_divide(c_, xn, yn); }, why);
            },
            why);
        Sym r = of(TypeTag::number, q);
        r.err = y.v == 0;
        return with(r);
      }
      break;
    default:
      break;
  }
  throw Unsupported(fmt::format("`{}` on these kinds", expr_kind_symbol(e.kind)));
}

// The kept items, in order: item j of the result is the j-th kept item.
Sym Encoder::compact(const Sym& list, const std::vector<z3::expr>& keep) {
  Sym r = list;
  z3::expr count = c_.int_val(0);
  std::vector<z3::expr> before;  // kept items before k
  for (std::size_t k = 0; k < keep.size(); ++k) {
    before.push_back(count);
    count = count + z3::ite(keep[k], c_.int_val(1), c_.int_val(0));
  }
  r.len = count;
  for (std::size_t j = 0; j < keep.size(); ++j) {
    Sym item = list.items[j];  // any value: beyond len it is never read
    for (std::size_t k = keep.size(); k-- > j;)
      item = merge(keep[k] && before[k] == static_cast<int>(j), list.items[k], item);
    r.items[j] = item;
  }
  return r;
}

std::vector<Sym> Encoder::elements(const Sym& s) {
  if (s.list) return s.items;
  return {s};
}

Sym Encoder::enc(const Expr& e) {
  switch (e.kind) {
    case ExprKind::literal: {
      if (e.literal.kind == LiteralKind::missing) return missing();
      TypeTag tag;
      z3::expr v = literal_value(e.literal, tag);
      return of(tag, v);
    }
    case ExprKind::name:
      switch (e.ref) {
        case Ref::fact: {
          const FactInfo& f = p_.facts[e.index];
          const Sym& s = sc_->facts[e.index];
          if (f.shape == FactDecl::Shape::list && p_.lists[f.list_index].path == "periods")
            return benefit_periods(f, s);
          return s;
        }
        case Ref::item_field:
          return items_[items_.size() - 1 - e.scope].fields[e.index];
        case Ref::parameter:
          return parameter(e.index, sc_->as_of);
        case Ref::let:
          if (!out_->let_poison[e.index].empty()) throw Unsupported(out_->let_poison[e.index]);
          return out_->lets[e.index];
        case Ref::as_of:
          return of(TypeTag::date, sc_->as_of);
        case Ref::decision_status:
        case Ref::decision_mmi_date:
        case Ref::decision_basis:
          if (!out_->decision_poison.empty()) throw Unsupported(out_->decision_poison);
          return e.ref == Ref::decision_status     ? out_->status
                 : e.ref == Ref::decision_mmi_date ? out_->mmi_date
                                                   : out_->basis;
        case Ref::decision_cutoff:
          if (!out_->cutoff_poison.empty()) throw Unsupported(out_->cutoff_poison);
          return out_->cutoff;
        case Ref::output:
          if (!out_->output_poison.at(e.index).empty())
            throw Unsupported(out_->output_poison[e.index]);
          return out_->outputs.at(e.index);
        default:
          throw Unsupported("name `" + e.name + "`");
      }
    case ExprKind::field: {
      Sym base = enc(e.args[0]);
      auto field_of = [&](const Sym& rec) {
        if (rec.fields.empty()) return missing();
        Sym f = rec.fields[e.index];
        f.present = f.present && rec.present;
        return f;
      };
      if (base.list) {  // project: a list of the field
        Sym r = base;
        const TypeDesc& t = p_.types[e.type_id];
        r.tag = t.tag;
        r.record = t.record;
        for (auto& item : r.items) item = field_of(item);
        return r;
      }
      Sym f = field_of(base);
      f.err = f.err || base.err;
      return f;
    }
    case ExprKind::neg: {
      Sym v = enc(e.args[0]);
      if (v.tag == TypeTag::any) return v;
      v.v = -v.v;
      return v;
    }
    case ExprKind::not_: {
      Sym v = enc(e.args[0]);
      if (v.tag == TypeTag::any) return v;
      v.v = !v.v;
      return v;
    }
    case ExprKind::and_:
    case ExprKind::or_: {
      bool is_and = e.kind == ExprKind::and_;
      Sym x = enc(e.args[0]), y = enc(e.args[1]);
      auto deciding = [&](const Sym& s) { return is_and ? is_false(s) : is_true(s); };
      z3::expr xv = x.tag == TypeTag::any ? c_.bool_val(false) : x.v;
      z3::expr yv = y.tag == TypeTag::any ? c_.bool_val(false) : y.v;
      z3::expr xt = x.tag == TypeTag::any ? c_.bool_val(false) : x.present && !x.err;
      z3::expr yt = y.tag == TypeTag::any ? c_.bool_val(false) : y.present && !y.err;
      z3::expr x_decides = x.tag == TypeTag::any ? c_.bool_val(false) : deciding(x);
      z3::expr y_decides = y.tag == TypeTag::any ? c_.bool_val(false) : deciding(y);
      Sym r = boolean(c_.bool_val(true), c_.bool_val(!is_and));
      // x error or deciding → x; y error or deciding → y; both decided the other way → x; else
      // missing.
      r.err = x.err || (!x_decides && y.err);
      r.present = r.err || x_decides || y_decides || (xt && yt);
      r.v = is_and ? (xt && yt && xv && yv) : (x_decides || y_decides);
      return r;
    }
    case ExprKind::coalesce: {
      Sym x = enc(e.args[0]), y = enc(e.args[1]);
      if (x.tag == TypeTag::any) {
        Sym r = y;
        r.err = r.err || x.err;
        return r;
      }
      return merge(x.present || x.err, x, y);
    }
    case ExprKind::if_: {
      Sym cnd = enc(e.args[0]);
      Sym a = enc(e.args[1]), b = enc(e.args[2]);
      if (cnd.tag == TypeTag::any) return cnd;
      Sym r = merge(cnd.v, a, b);
      r.present = cnd.present && !cnd.err && r.present;
      r.err = cnd.err || (cnd.present && r.err);
      return r;
    }
    case ExprKind::eq:
    case ExprKind::ne: {
      Sym x = enc(e.args[0]), y = enc(e.args[1]);
      z3::expr eq = equal(x, y);
      return strict2(x, y, TypeTag::boolean, e.kind == ExprKind::eq ? eq : !eq);
    }
    case ExprKind::lt:
    case ExprKind::le:
    case ExprKind::gt:
    case ExprKind::ge: {
      Sym x = enc(e.args[0]), y = enc(e.args[1]);
      return strict2(x, y, TypeTag::boolean, compare(e.kind, x, y));
    }
    case ExprKind::add:
    case ExprKind::sub:
    case ExprKind::mul:
    case ExprKind::div:
      return arithmetic(e, enc(e.args[0]), enc(e.args[1]));
    case ExprKind::in:
    case ExprKind::not_in: {
      Sym x = enc(e.args[0]), l = enc(e.args[1]);
      std::vector<z3::expr> hits;
      for (std::size_t k = 0; k < l.items.size(); ++k)
        hits.push_back(l.len > static_cast<int>(k) && l.items[k].present && !l.items[k].err &&
                       equal(l.items[k], x));
      z3::expr found = any_of(c_, hits);
      return strict2(x, l, TypeTag::boolean, e.kind == ExprKind::in ? found : !found);
    }
    case ExprKind::between: {
      Sym x = enc(e.args[0]), lo = enc(e.args[1]), hi = enc(e.args[2]);
      Sym r = boolean(x.present && lo.present && hi.present,
                      compare(ExprKind::le, lo, x) && compare(ExprKind::le, x, hi));
      r.err = x.err || lo.err || hi.err;
      return r;
    }
    case ExprKind::is_missing:
    case ExprKind::is_present: {
      Sym v = enc(e.args[0]);
      Sym r = boolean(c_.bool_val(true), e.kind == ExprKind::is_present ? v.present : !v.present);
      r.err = v.err;
      return r;
    }
    case ExprKind::where: {
      Sym l = enc(e.args[0]);
      std::vector<z3::expr> keep, errs;
      for (std::size_t k = 0; k < l.items.size(); ++k) {
        items_.push_back(l.items[k]);
        Sym cond = enc(e.args[1]);
        items_.pop_back();
        z3::expr in = l.len > static_cast<int>(k);
        keep.push_back(in && is_true(cond));
        errs.push_back(in && cond.err);
      }
      Sym r = compact(l, keep);
      r.err = l.err || (l.present && any_of(c_, errs));
      return r;
    }
    case ExprKind::list: {
      Sym r(c_);
      r.list = true;
      r.present = c_.bool_val(true);
      r.len = c_.int_val(static_cast<int>(e.args.size()));
      for (const auto& a : e.args) {
        Sym item = enc(a);
        r.tag = item.tag == TypeTag::any ? r.tag : item.tag;
        r.err = r.err || item.err;
        r.items.push_back(item);
      }
      return r;
    }
    case ExprKind::call:
      return call(e);
    case ExprKind::at: {
      Sym d = enc(e.args[1]);
      Sym v = parameter(e.args[0].index, d.v);
      v.present = v.present && d.present && d.tag == TypeTag::date;
      v.err = v.err || d.err;
      return v;
    }
  }
  throw Unsupported(fmt::format("operator `{}`", expr_kind_symbol(e.kind)));
}

// builtins.cpp merged_spans() + days_before(): the union of [from, to] spans cut at `before`,
// measured by inclusion-exclusion over the (at most max_items) items.
z3::expr Encoder::covered_before(const Expr& e, const Sym& list, const z3::expr& before) {
  const RecordLayout& r = p_.records[static_cast<std::size_t>(list.record)];
  int from = -1, to = -1;
  for (std::size_t k = 0; k < r.names.size(); ++k) {
    if (r.names[k] == "from") from = static_cast<int>(k);
    if (r.names[k] == "to") to = static_cast<int>(k);
  }
  if (from < 0 || to < 0) throw Unsupported("intervals without `from`/`to`");
  std::size_t n = list.items.size();
  if (n > 4) throw Unsupported("interval built-ins over more than 4 items");
  std::vector<z3::expr> counted, lo, hi;
  for (std::size_t k = 0; k < n; ++k) {
    const Sym& item = list.items[k];
    const Sym& f = item.fields[from];
    const Sym& t = item.fields[to];
    z3::expr end = z3::ite(t.present, t.v, c_.int_val(kOpenEnd));
    counted.push_back(list.len > static_cast<int>(k) && item.present && f.present && end >= f.v);
    lo.push_back(f.v);
    hi.push_back(z3::ite(end < before - 1, end, before - 1));
  }
  z3::expr total = c_.int_val(0);
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    z3::expr all = c_.bool_val(true);
    z3::expr a = c_.int_val(0), b = c_.int_val(0);
    bool first = true;
    int bits = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (!(mask & (1u << k))) continue;
      ++bits;
      all = all && counted[k];
      if (first) {
        a = lo[k];
        b = hi[k];
        first = false;
      } else {
        a = z3::ite(lo[k] > a, lo[k], a);
        b = z3::ite(hi[k] < b, hi[k], b);
      }
    }
    z3::expr size = z3::ite(all && b >= a, b - a + 1, c_.int_val(0));
    total = bits % 2 ? total + size : total - size;
  }
  return total;
}

Sym Encoder::call(const Expr& e) {
  if ((e.ref == Ref::rule_fired || e.ref == Ref::rule_date) && !out_->rule_poison[e.index].empty())
    throw Unsupported(out_->rule_poison[e.index]);
  if (e.ref == Ref::rule_fired) {
    const SymRule& r = out_->rules[e.index];
    return boolean(r.fired || r.not_fired, r.fired);
  }
  if (e.ref == Ref::rule_date) return out_->rules[e.index].date;
  if (e.ref != Ref::builtin) throw Unsupported("call `" + e.name + "`");
  auto id = static_cast<Builtin>(e.index);
  const BuiltinSpec& spec = builtin_spec(id);
  auto list_arg = [&]() { return enc(e.args[0]); };
  auto in_list = [&](const Sym& l, std::size_t k) { return l.len > static_cast<int>(k); };
  // Aggregates over a list that is missing give missing; an error item gives the error.
  auto aggregate = [&](const Sym& l, TypeTag tag, const z3::expr& v) {
    Sym r = of(tag, v);
    r.present = l.present;
    r.err = l.err;
    for (std::size_t k = 0; k < l.items.size(); ++k)
      r.err = r.err || (in_list(l, k) && l.items[k].err);
    return r;
  };
  switch (id) {
    case Builtin::count:
    case Builtin::any:
    case Builtin::none:
    case Builtin::sum:
    case Builtin::avg: {
      Sym l = list_arg();
      if (!l.list) throw Unsupported(fmt::format("`{}` of a single value", spec.name));
      z3::expr count = c_.int_val(0);
      z3::expr total = c_.real_val(0);
      for (std::size_t k = 0; k < l.items.size(); ++k) {
        z3::expr here = in_list(l, k) && l.items[k].present;
        count = count + z3::ite(here, c_.int_val(1), c_.int_val(0));
        if (l.items[k].tag == TypeTag::number)
          total = total + z3::ite(here, l.items[k].v, c_.real_val(0));
      }
      if (id == Builtin::count) return aggregate(l, TypeTag::number, z3::to_real(count));
      if (id == Builtin::any) return aggregate(l, TypeTag::boolean, count > 0);
      if (id == Builtin::none) return aggregate(l, TypeTag::boolean, count == 0);
      if (id == Builtin::sum) return aggregate(l, TypeTag::number, total);
      // avg (builtins.cpp avg_fn()): the sum over the count of present items.
      // Decimal::divide is exact for 1, 2 and 4 items. For 3 it rounds to 34 significant digits:
      // a fresh value within that rounding of total / 3 (every value the engine can give is
      // among them, so a proof holds; a counterexample the rounding makes up fails the replay).
      z3::expr third = c_.real_const(fresh_name("avg").c_str());
      z3::expr gap = 3 * third - total;
      z3::expr size =
          z3::ite(total < 0, -total, total) * c_.real_val("1/1000000000000000000000000000000000");
      // A quotient with at most 20 decimals and 13 whole digits is exact (34 digits at most).
      z3::expr exact =
          z3::expr(c_, Z3_mk_is_int(c_, total * c_.real_val("100000000000000000000") / 3)) &&
          total < c_.real_val("3000000000000") && total > c_.real_val("-3000000000000");
      side_.push_back(z3::ite(exact, gap == 0, gap <= size && -gap <= size));
      z3::expr mean = z3::ite(count == 3, third,
                              total / z3::to_real(z3::ite(count == 0, c_.int_val(1), count)));
      Sym r = aggregate(l, TypeTag::number, mean);
      r.present = l.present && count > 0;
      return r;
    }
    case Builtin::min:
    case Builtin::max:
    case Builtin::earliest:
    case Builtin::latest: {
      bool want_min = id == Builtin::min || id == Builtin::earliest;
      std::vector<std::pair<Sym, z3::expr>> candidates;  // value, counts
      z3::expr err = c_.bool_val(false);
      z3::expr present = c_.bool_val(true);
      if (e.args.size() == 1) {
        Sym l = enc(e.args[0]);
        if (l.list) {
          present = l.present;
          err = l.err;
          for (std::size_t k = 0; k < l.items.size(); ++k) {
            candidates.push_back({l.items[k], in_list(l, k) && l.items[k].present});
            err = err || (in_list(l, k) && l.items[k].err);
          }
        } else {
          candidates.push_back({l, l.present});
          err = l.err;
        }
      } else {
        for (const auto& a : e.args) {
          Sym v = enc(a);
          candidates.push_back({v, v.present});
          err = err || v.err;
        }
      }
      Sym best = missing();
      for (const auto& [v, counts] : candidates) {
        if (v.tag == TypeTag::any) continue;
        if (best.tag == TypeTag::any) {
          best = merge(counts, v, best);
          continue;
        }
        z3::expr better =
            want_min ? compare(ExprKind::lt, v, best) : compare(ExprKind::gt, v, best);
        best = merge(counts && (!best.present || better), v, best);
      }
      best.present = best.present && present;
      best.err = err;
      return best;
    }
    case Builtin::first:
    case Builtin::last: {
      Sym l = list_arg();
      Sym r = missing();
      if (id == Builtin::first) {
        if (!l.items.empty()) r = merge(l.len > 0, l.items[0], missing());
      } else {
        for (std::size_t k = 0; k < l.items.size(); ++k)
          r = merge(l.len == static_cast<int>(k + 1), l.items[k], r);
      }
      r.present = r.present && l.present;
      r.err = l.err;
      return r;
    }
    case Builtin::first_by:
    case Builtin::last_by: {
      Sym l = list_arg();
      std::size_t field = e.args[1].index;
      std::vector<z3::expr> keep;
      for (std::size_t k = 0; k < l.items.size(); ++k) {
        const Sym& key = l.items[k].fields[field];
        z3::expr shadowed = c_.bool_val(false);
        std::size_t from = id == Builtin::last_by ? k + 1 : 0;
        std::size_t to = id == Builtin::last_by ? l.items.size() : k;
        for (std::size_t j = from; j < to; ++j) {
          const Sym& other = l.items[j].fields[field];
          shadowed =
              shadowed || (in_list(l, j) && ((!key.present && !other.present) ||
                                             (key.present && other.present && equal(key, other))));
        }
        keep.push_back(in_list(l, k) && !shadowed);
      }
      Sym r = compact(l, keep);
      return r;
    }
    case Builtin::days_between:
    case Builtin::weeks_between: {
      Sym a = enc(e.args[0]), b = enc(e.args[1]);
      z3::expr days = b.v - a.v;
      z3::expr v = id == Builtin::days_between ? days : days / 7;  // Z3 div: floor for 7 > 0
      return strict2(a, b, TypeTag::number, z3::to_real(v));
    }
    case Builtin::floor:
    case Builtin::ceil:
    case Builtin::abs: {
      Sym x = enc(e.args[0]);
      if (x.tag == TypeTag::duration) {
        x.v = z3::ite(x.v < 0, -x.v, x.v);  // builtins.cpp: a duration's abs for all three
        return x;
      }
      if (x.tag != TypeTag::number) return x;
      if (id == Builtin::floor)
        x.v = z3::to_real(floor_int(x.v));
      else if (id == Builtin::ceil)
        x.v = -z3::to_real(floor_int(-x.v));
      else
        x.v = z3::ite(x.v < 0, -x.v, x.v);
      return x;
    }
    case Builtin::median: {  // builtins.cpp median_fn(): the middle present number, or the mean
      Sym l = list_arg();    // of the two middle ones
      if (!l.list) throw Unsupported("`median` of a single value");
      std::size_t n = l.items.size();
      std::vector<z3::expr> counted, rank;
      for (std::size_t k = 0; k < n; ++k)
        counted.push_back(in_list(l, k) && l.items[k].present &&
                          c_.bool_val(l.items[k].tag == TypeTag::number));
      z3::expr count = c_.int_val(0);
      for (std::size_t k = 0; k < n; ++k) {
        count = count + z3::ite(counted[k], c_.int_val(1), c_.int_val(0));
        z3::expr below = c_.int_val(0);  // the item's place in the stable ascending order
        for (std::size_t j = 0; j < n; ++j) {
          if (j == k || l.items[j].tag != TypeTag::number || l.items[k].tag != TypeTag::number)
            continue;
          z3::expr before =
              l.items[j].v < l.items[k].v || (l.items[j].v == l.items[k].v && c_.bool_val(j < k));
          below = below + z3::ite(counted[j] && before, c_.int_val(1), c_.int_val(0));
        }
        rank.push_back(below);
      }
      auto at_rank = [&](const z3::expr& r) {
        z3::expr v = c_.real_val(0);
        for (std::size_t k = 0; k < n; ++k)
          if (l.items[k].tag == TypeTag::number)
            v = z3::ite(counted[k] && rank[k] == r, l.items[k].v, v);
        return v;
      };
      z3::expr half = count / 2;
      z3::expr middle =
          z3::ite(count % 2 == 1, at_rank(half), (at_rank(half - 1) + at_rank(half)) / 2);
      Sym r = aggregate(l, TypeTag::number, middle);
      r.present = l.present && count > 0;
      return r;
    }
    case Builtin::year:
    case Builtin::month: {  // builtins.cpp date_part_fn(): the civil year or month
      Sym d = enc(e.args[0]);
      if (d.tag != TypeTag::date) return d;
      const Civil& c = civil(d.v);
      Sym r = of(TypeTag::number, z3::to_real(id == Builtin::year ? c.year : c.month));
      r.present = d.present;
      r.err = d.err;
      return r;
    }
    case Builtin::round: {  // builtins.cpp round_fn(), Decimal::round(): half away from zero
      Sym x = enc(e.args[0]), places = enc(e.args[1]);
      if (x.tag != TypeTag::number || places.tag != TypeTag::number) {
        Sym r = missing();
        r.err = x.err || places.err;
        return r;
      }
      z3::expr k = places.v.simplify();
      if (!k.is_numeral()) throw Unsupported("`round` with places that are not a constant");
      bool whole = k.denominator().get_numeral_int64() == 1;
      std::int64_t p = whole ? k.numerator().get_numeral_int64() : 0;
      bool bad_places = !whole || p > 30 || p < -30;
      z3::expr scale = c_.real_val(1);
      for (std::int64_t i = 0; i < (p < 0 ? -p : p); ++i) scale = scale * 10;
      scale = (p < 0 ? 1 / scale : scale).simplify();
      z3::expr half = c_.real_val(1, 2);
      z3::expr scaled = x.v * scale;
      z3::expr rounded = z3::ite(x.v >= 0, z3::to_real(floor_int(scaled + half)),
                                 -z3::to_real(floor_int(-scaled + half)));
      Sym r = strict2(x, places, TypeTag::number, bad_places ? x.v : rounded / scale);
      r.err = x.err || places.err || (x.present && places.present && c_.bool_val(bad_places));
      return r;
    }
    case Builtin::change: {
      Sym l = list_arg();
      std::size_t field = e.args[1].index;
      Sym first = missing(), last = missing();
      for (std::size_t k = l.items.size(); k-- > 0;) {
        const Sym& f = l.items[k].fields[field];
        first = merge(in_list(l, k) && f.present, f, first);
      }
      for (std::size_t k = 0; k < l.items.size(); ++k) {
        const Sym& f = l.items[k].fields[field];
        last = merge(in_list(l, k) && f.present, f, last);
      }
      Sym r = of(TypeTag::number, last.v - first.v);
      r.present = l.present && first.present;
      r.err = l.err;
      return r;
    }
    case Builtin::covers: {
      Sym l = list_arg(), day = enc(e.args[1]);
      const RecordLayout& rl = p_.records[static_cast<std::size_t>(l.record)];
      int from = -1, to = -1;
      for (std::size_t k = 0; k < rl.names.size(); ++k) {
        if (rl.names[k] == "from") from = static_cast<int>(k);
        if (rl.names[k] == "to") to = static_cast<int>(k);
      }
      std::vector<z3::expr> hits;
      for (std::size_t k = 0; k < l.items.size(); ++k) {
        const Sym& f = l.items[k].fields[from];
        const Sym& t = l.items[k].fields[to];
        hits.push_back(in_list(l, k) && l.items[k].present && f.present && f.v <= day.v &&
                       (!t.present || day.v <= t.v));
      }
      return strict2(l, day, TypeTag::boolean, any_of(c_, hits));
    }
    case Builtin::covered_days: {
      Sym l = list_arg(), before = enc(e.args[1]);
      return strict2(l, before, TypeTag::number, z3::to_real(covered_before(e, l, before.v)));
    }
    case Builtin::exhausted_on: {
      Sym l = list_arg(), length = enc(e.args[1]), from = enc(e.args[2]);
      z3::expr ok = l.present && length.present && from.present && length.v > 0;
      z3::expr paid = covered_before(e, l, from.v);
      // Projection: the rest paid from `from` on. Otherwise the length-th covered day D, the one
      // day with covered(D + 1) >= length > covered(D) (covered days only grow with D).
      z3::expr d = c_.int_const(fresh_name("exhausted_on").c_str());
      z3::expr settled = ok && paid >= length.v;
      side_.push_back(z3::implies(
          settled, covered_before(e, l, d + 1) >= length.v && covered_before(e, l, d) < length.v));
      Sym projected = date_checked(from.v + (length.v - paid - 1));
      Sym r = merge(paid < length.v, projected, of(TypeTag::date, d));
      r.present = ok;
      r.err = l.err || length.err || from.err || (ok && paid < length.v && projected.err);
      return r;
    }
    case Builtin::combined_rating: {  // builtins.cpp combined_rating_fn(), as a sound bound:
      // with every rating within 0-100, each step c + r(100 - c)/100 (rounded) stays within
      // 0-100 and nothing can fail; outside that range the value is free and an error possible.
      Sym l = list_arg();
      if (!l.list) throw Unsupported("`combined_rating` of a single value");
      z3::expr count = c_.int_val(0);
      z3::expr in_range = c_.bool_val(true);
      for (std::size_t k = 0; k < l.items.size(); ++k) {
        if (l.items[k].tag != TypeTag::number) continue;
        z3::expr counted = in_list(l, k) && l.items[k].present;
        count = count + z3::ite(counted, c_.int_val(1), c_.int_val(0));
        in_range = in_range && z3::implies(counted, l.items[k].v >= 0 && l.items[k].v <= 100);
      }
      z3::expr value = c_.real_const(fresh_name("combined_rating").c_str());
      z3::expr may_fail = c_.bool_const(fresh_name("combined_rating_fails").c_str());
      side_.push_back(z3::implies(in_range, value >= 0 && value <= 100 && !may_fail));
      if (std::find(bounded_.begin(), bounded_.end(), spec.name) == bounded_.end())
        bounded_.emplace_back(spec.name);
      Sym r = aggregate(l, TypeTag::number, value);
      r.present = l.present && count > 0;
      r.err = r.err || (r.present && may_fail);
      return r;
    }
    default:
      break;
  }
  throw Unsupported(fmt::format("built-in `{}`", spec.name));
}

void Encoder::rule(std::uint32_t index) {
  const CheckedRule& r = p_.rules[index];
  SymRule& out = out_->rules[index];
  Sym w = enc(r.when.expr);
  z3::expr w_false = w.tag == TypeTag::any ? c_.bool_val(false) : is_false(w);
  z3::expr w_true = w.tag == TypeTag::any ? c_.bool_val(false) : is_true(w);
  Sym u = r.unless ? enc(r.unless->expr) : boolean(c_.bool_val(true), c_.bool_val(false));
  z3::expr u_true = u.tag == TypeTag::any ? c_.bool_val(false) : is_true(u);
  z3::expr u_false = u.tag == TypeTag::any ? c_.bool_val(false) : is_false(u);
  z3::expr fired = !w.err && w_true && !u.err && u_false;
  Sym date = enc(r.mmi_date.expr);
  z3::expr date_err = fired && date.err;
  out.err = w.err || (!w_false && u.err) || date_err;
  out.not_fired = !w.err && (w_false || (!u.err && u_true));
  out.fired = fired && !date.err;
  Sym d = date.tag == TypeTag::date ? date : missing();
  d.present = d.present && out.fired;
  d.err = c_.bool_val(false);
  d.tag = TypeTag::date;
  if (date.tag != TypeTag::date) d.v = c_.int_val(0);
  out.date = d;
}

void Encoder::decide() {
  const auto& prec = p_.precedence;
  std::vector<z3::expr> dated, wins;
  for (auto r : prec) dated.push_back(out_->rules[r].date.present);
  z3::expr all_not_fired = c_.bool_val(true);
  z3::expr blocked = c_.bool_val(false);
  z3::expr none_before = c_.bool_val(true);  // hit first: every earlier rule not fired
  for (std::size_t i = 0; i < prec.size(); ++i) {
    const SymRule& r = out_->rules[prec[i]];
    all_not_fired = all_not_fired && r.not_fired;
    if (p_.hit == HitPolicy::first) {
      z3::expr unknown = !r.fired && !r.not_fired;
      blocked = blocked || (none_before && (unknown || (r.fired && !dated[i])));
      wins.push_back(none_before && dated[i]);
      none_before = none_before && r.not_fired;
    } else {
      z3::expr w = dated[i];
      for (std::size_t j = 0; j < prec.size(); ++j) {
        if (j == i) continue;
        const z3::expr& dj = out_->rules[prec[j]].date.v;
        const z3::expr& di = r.date.v;
        w = w && !(dated[j] && (j < i ? dj <= di : dj < di));
      }
      wins.push_back(w);
    }
  }
  z3::expr reached = !blocked && any_of(c_, wins);
  z3::expr not_reached = !blocked && !reached && all_not_fired;
  Sym status = of(TypeTag::enumeration, z3::ite(reached, c_.string_val("reached"),
                                                z3::ite(not_reached, c_.string_val("not_reached"),
                                                        c_.string_val("undetermined"))));
  Sym date = missing(), basis = missing();
  for (std::size_t i = prec.size(); i-- > 0;) {
    date = merge(reached && wins[i], out_->rules[prec[i]].date, date);
    basis =
        merge(reached && wins[i], of(TypeTag::text, c_.string_val(p_.rules[prec[i]].id)), basis);
  }
  out_->status = status;
  out_->mmi_date = date;
  out_->basis = basis;
}

SymOutcome Encoder::run(const SymCase& sc) {
  SymOutcome out(c_);
  sc_ = &sc;
  out_ = &out;
  out.lets.assign(p_.lets.size(), missing());
  out.rules.assign(p_.rules.size(), SymRule(c_));
  out.let_poison.assign(p_.lets.size(), "");
  out.rule_poison.assign(p_.rules.size(), "");
  out.output_poison.assign(p_.outputs.size(), "");
  z3::expr rules_err = c_.bool_val(false);
  auto first_poison = [&](std::string& into, const std::string& why) {
    if (into.empty()) into = why;
  };
  for (const GraphStep& step : p_.order) {
    try {
      if (step.kind == GraphStep::Kind::let) {
        out.lets[step.index] = enc(p_.lets[step.index].expr.expr);
      } else {
        rule(step.index);
        rules_err = rules_err || out.rules[step.index].err;
      }
    } catch (const Unsupported& u) {
      if (step.kind == GraphStep::Kind::let) {
        out.let_poison[step.index] = u.what();
      } else {
        out.rule_poison[step.index] = u.what();
        first_poison(out.decision_poison, u.what());
        first_poison(out.error_poison, u.what());
      }
    }
  }
  if (out.decision_poison.empty()) decide();
  z3::expr err = rules_err;
  if (p_.coverage_cutoff) {
    try {
      if (!out.decision_poison.empty()) throw Unsupported(out.decision_poison);
      out.cutoff = enc(p_.coverage_cutoff->expr);
      err = err || out.cutoff.err;
    } catch (const Unsupported& u) {
      out.cutoff_poison = u.what();
      first_poison(out.error_poison, u.what());
    }
  }
  out.outputs.clear();
  for (std::size_t k = 0; k < p_.outputs.size(); ++k) {
    try {
      out.outputs.push_back(enc(p_.outputs[k].expr.expr));
      err = err || out.outputs.back().err;
    } catch (const Unsupported& u) {
      out.outputs.push_back(missing());
      out.output_poison[k] = u.what();
      first_poison(out.error_poison, u.what());
    }
  }
  out.error = err;
  // A case in error: status `error`, no date, basis or cutoff (evaluator.cpp run()).
  auto cleared = [&](Sym s) {
    s.present = s.present && !err;
    s.err = c_.bool_val(false);
    return s;
  };
  if (out.decision_poison.empty()) {
    out.status = merge(err, of(TypeTag::enumeration, c_.string_val("error")), out.status);
    out.status.err = c_.bool_val(false);
  }
  out.mmi_date = cleared(out.mmi_date);
  out.basis = cleared(out.basis);
  out.cutoff = cleared(out.cutoff);
  for (auto& o : out.outputs) o = cleared(o);
  return out;
}

Sym Encoder::eval(const Expr& e, const SymCase& sc, const SymOutcome& out) {
  sc_ = &sc;
  out_ = const_cast<SymOutcome*>(&out);
  return enc(e);
}

}  // namespace mmi::verify
