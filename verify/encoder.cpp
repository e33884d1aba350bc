// The encoding of a checked policy into Z3 (see encoder.hpp). Each case below names the evaluator
// code it mirrors; keep them in step.
#include "verify/encoder.hpp"

#include "verify/encoder_util.hpp"

#include <fmt/format.h>

#include "rules/builtins.hpp"

namespace mmi::verify {

std::optional<std::string> decimal_text_or_throw(const z3::expr& q);

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
