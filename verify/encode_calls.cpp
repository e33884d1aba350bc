// Built-in calls: each built-in of the table as Z3 terms, or Unsupported naming it. Part of the
// encoder (encoder.hpp); each case names the evaluator code it mirrors: keep them in step.
#include <fmt/format.h>

#include "rules/builtins.hpp"
#include "verify/encoder.hpp"
#include "verify/encoder_util.hpp"

namespace mmi::verify {

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

}  // namespace mmi::verify
