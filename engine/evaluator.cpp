// The interpreter: evaluates graph nodes with Kleene logic over `missing`, SQL-style aggregates,
// exact decimals and calendar arithmetic. Errors (division by zero, dates out of range) are
// values that propagate to the result; nothing here throws.
#include "engine/evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace mmi {

const char* to_string(RuleState s) {
  switch (s) {
    case RuleState::fired:
      return "fired";
    case RuleState::not_fired:
      return "not_fired";
    case RuleState::unknown:
      return "unknown";
  }
  return "unknown";
}

const char* to_string(Status s) {
  switch (s) {
    case Status::reached:
      return "reached";
    case Status::not_reached:
      return "not_reached";
    case Status::undetermined:
      return "undetermined";
    case Status::error:
      return "error";
  }
  return "error";
}

namespace {

// Chunked bump allocator for lists built while evaluating; reset per case, memory kept.
class Arena {
 public:
  Value* alloc(std::size_t n) {
    if (n == 0) n = 1;
    while (true) {
      if (block_ < blocks_.size()) {
        if (used_ + n <= sizes_[block_]) {
          Value* p = blocks_[block_].get() + used_;
          used_ += n;
          return p;
        }
        ++block_;
        used_ = 0;
        continue;
      }
      std::size_t size = std::max<std::size_t>(4096, n);
      blocks_.emplace_back(new Value[size]);
      sizes_.push_back(size);
    }
  }
  void reset() {
    block_ = 0;
    used_ = 0;
  }

 private:
  std::vector<std::unique_ptr<Value[]>> blocks_;
  std::vector<std::size_t> sizes_;
  std::size_t block_ = 0, used_ = 0;
};

int compare_values(const Value& a, const Value& b) {
  if (a.kind == Kind::number) return compare(a.as_number(), b.as_number());
  if (a.kind == Kind::text) return a.as_text().compare(b.as_text());
  if (a.kind == Kind::boolean) return static_cast<int>(a.b) - static_cast<int>(b.b);
  return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  // Copy runs of characters that need no escape in one append.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += fmt::format("\\u{:04x}", c);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

std::string value_to_string(const Value& v, const Graph& g) {
  switch (v.kind) {
    case Kind::missing:
      return "missing";
    case Kind::error:
      return "error";
    case Kind::boolean:
      return v.b ? "true" : "false";
    case Kind::number:
      return v.as_number().to_string();
    case Kind::text:
      return std::string(v.as_text());
    case Kind::date:
      return format_date(static_cast<DayNumber>(v.i));
    case Kind::duration:
      return format_duration(v.i);
    case Kind::period:
      return format_period(v.i);
    case Kind::list: {
      std::string s = "[";
      for (std::uint32_t k = 0; k < v.aux && k < 6; ++k) {
        if (k) s += ", ";
        s += k == 5 ? "…" : value_to_string(v.items[k], g);
      }
      return s + fmt::format("] ({} item{})", v.aux, v.aux == 1 ? "" : "s");
    }
    case Kind::record: {
      const RecordLayout& r = g.policy.records[v.aux];
      std::string s = "{";
      for (std::size_t f = 0; f < r.names.size(); ++f) {
        const Value& field = v.items[r.offsets[f]];
        if (field.is_missing() || g.policy.types[r.type_ids[f]].tag == TypeTag::record) continue;
        if (s.size() > 1) s += ", ";
        s += r.names[f] + ": " + value_to_string(field, g);
      }
      return s + "}";
    }
  }
  return "?";
}

void append_json_value(std::string& out, const Value& v, const Graph& g) {
  switch (v.kind) {
    case Kind::missing:
    case Kind::error:
      out += "null";
      return;
    case Kind::boolean:
      out += v.b ? "true" : "false";
      return;
    case Kind::number:
      v.as_number().append_to(out);
      return;
    case Kind::text:
      append_json_string(out, v.as_text());
      return;
    case Kind::date:
      out += '"';
      append_date(out, static_cast<DayNumber>(v.i));
      out += '"';
      return;
    case Kind::duration:
      append_json_string(out, format_duration(v.i));
      return;
    case Kind::period:
      append_json_string(out, format_period(v.i));
      return;
    case Kind::list:
      out += '[';
      for (std::uint32_t k = 0; k < v.aux; ++k) {
        if (k) out += ',';
        append_json_value(out, v.items[k], g);
      }
      out += ']';
      return;
    case Kind::record: {
      const RecordLayout& r = g.policy.records[v.aux];
      out += '{';
      for (std::size_t f = 0; f < r.names.size(); ++f) {
        if (f) out += ',';
        append_json_string(out, r.names[f]);
        out += ':';
        const TypeDesc& t = g.policy.types[r.type_ids[f]];
        if (t.tag == TypeTag::record && !t.list)
          append_json_value(
              out, Value::record(v.items + r.offsets[f], static_cast<std::uint32_t>(t.record), -1),
              g);
        else
          append_json_value(out, v.items[r.offsets[f]], g);
      }
      out += '}';
      return;
    }
  }
}

struct Evaluator::State {
  std::shared_ptr<const Graph> graph;
  const Graph& g;
  const CaseData* c = nullptr;
  DayNumber as_of = 0;
  std::vector<Value> lets;
  std::vector<Value> memo;
  std::vector<std::uint32_t> memo_gen;
  std::uint32_t gen = 0;
  std::vector<Value> items;  // enclosing `where` items, innermost last
  Arena arena;
  std::vector<EvalError> errors;
  Outcome out;
  Value status_v, date_v, basis_v;

  explicit State(std::shared_ptr<const Graph> gr) : graph(std::move(gr)), g(*graph) {
    lets.resize(g.let_roots.size());
    memo.resize(g.memo_count);
    memo_gen.assign(g.memo_count, 0);
    items.reserve(16);
    out.outputs.resize(g.output_roots.size());
    out.rules.resize(g.rule_roots.size());
    out.rule_dates.resize(g.rule_roots.size());
  }

  Value fail(std::uint32_t node, const char* code, std::string message) {
    errors.push_back({code, std::move(message), g.node_location(node).to_string()});
    return Value::error(static_cast<std::uint32_t>(errors.size() - 1));
  }

  Value param_value(std::uint32_t p, std::int64_t day) const {
    const ParameterValues& pv = g.parameters[p];
    if (pv.series.empty()) return pv.value;
    const Value* found = nullptr;
    for (const auto& [from, v] : pv.series) {
      if (from > day) break;
      found = &v;
    }
    return found ? *found : Value::missing();
  }

  Value checked_date(std::int64_t day, std::uint32_t node) {
    if (!day_in_range(day)) return fail(node, "E501", "date out of range (years 0001-9999)");
    return Value::date(day);
  }

  __attribute__((always_inline)) inline Value eval(std::uint32_t i) {
    const Node& n = g.nodes[i];
    // Leaves are half the nodes: answer them here, without a call into compute().
    switch (n.op) {
      case Op::constant:
        return n.constant;
      case Op::fact:
        return c->slots[n.aux];
      case Op::let:
        return lets[n.aux];
      default:
        break;
    }
    if (n.memo >= 0) {
      auto m = static_cast<std::size_t>(n.memo);
      if (memo_gen[m] == gen) return memo[m];
      Value v = compute(n, i);
      memo[m] = v;
      memo_gen[m] = gen;
      return v;
    }
    return compute(n, i);
  }

  // Propagation shared by strict operators: the first error, else missing if any is missing.
  static bool absent(const Value& x, const Value& y, Value& result) {
    if (x.kind == Kind::error) return result = x, true;
    if (y.kind == Kind::error) return result = y, true;
    if (x.kind == Kind::missing || y.kind == Kind::missing) return result = Value::missing(), true;
    return false;
  }

  Value compute(const Node& n, std::uint32_t i) {
    switch (n.op) {
      case Op::constant:
        return n.constant;
      case Op::fact:
        return c->slots[n.aux];
      case Op::fact_list: {
        const CaseList& l = c->lists[n.aux];
        return Value::list(l.items.data(), static_cast<std::uint32_t>(l.items.size()));
      }
      case Op::fact_record:
        return Value::record(c->slots.data() + n.aux, n.c, -1);
      case Op::item_field: {
        const Value& item = items[items.size() - 1 - n.scope];
        if (n.c != kNone) return Value::record(item.items + n.aux, n.c, -1);
        return item.items[n.aux];
      }
      case Op::parameter:
        return param_value(n.aux, as_of);
      case Op::parameter_at: {
        Value d = eval(n.a);
        if (d.kind != Kind::date) return d.kind == Kind::error ? d : Value::missing();
        return param_value(n.aux, d.i);
      }
      case Op::let:
        return lets[n.aux];
      case Op::rule_fired: {
        RuleState s = out.rules[n.aux];
        if (s == RuleState::unknown) return Value::missing();
        return Value::boolean(s == RuleState::fired);
      }
      case Op::rule_date:
        return out.rule_dates[n.aux];
      case Op::as_of:
        return Value::date(as_of);
      case Op::status:
        return status_v;
      case Op::decision_date:
        return date_v;
      case Op::basis:
        return basis_v;
      case Op::field: {
        Value r = eval(n.a);
        if (r.kind != Kind::record) return r.kind == Kind::error ? r : Value::missing();
        if (n.c != kNone) return Value::record(r.items + n.aux, n.c, -1);
        return r.items[n.aux];
      }
      case Op::project: {
        Value l = eval(n.a);
        if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
        Value* dst = arena.alloc(l.aux);
        for (std::uint32_t k = 0; k < l.aux; ++k) {
          const Value& rec = l.items[k];
          if (rec.kind != Kind::record)
            dst[k] = Value::missing();
          else if (n.c != kNone)
            dst[k] = Value::record(rec.items + n.aux, n.c, -1);
          else
            dst[k] = rec.items[n.aux];
        }
        return Value::list(dst, l.aux);
      }
      case Op::neg: {
        Value v = eval(n.a);
        if (v.kind == Kind::number) return Value::number(-v.as_number());
        if (v.kind == Kind::duration || v.kind == Kind::period)
          return Value::integral(v.kind, -v.i);
        return v;
      }
      case Op::not_: {
        Value v = eval(n.a);
        if (v.kind == Kind::boolean) return Value::boolean(!v.b);
        return v;
      }
      case Op::and_: {
        Value x = eval(n.a);
        if (x.kind == Kind::error || x.is_false()) return x;
        Value y = eval(n.b);
        if (y.kind == Kind::error || y.is_false()) return y;
        if (x.is_true() && y.is_true()) return x;
        return Value::missing();
      }
      case Op::or_: {
        Value x = eval(n.a);
        if (x.kind == Kind::error || x.is_true()) return x;
        Value y = eval(n.b);
        if (y.kind == Kind::error || y.is_true()) return y;
        if (x.is_false() && y.is_false()) return x;
        return Value::missing();
      }
      case Op::coalesce: {
        Value x = eval(n.a);
        if (x.kind != Kind::missing) return x;
        return eval(n.b);
      }
      case Op::if_: {
        Value cond = eval(n.a);
        if (cond.kind == Kind::boolean) return eval(cond.b ? n.b : n.c);
        return cond;
      }
      case Op::eq:
      case Op::ne: {
        Value x = eval(n.a), y = eval(n.b), r;
        if (absent(x, y, r)) return r;
        bool eq = scalar_equal(x, y);
        return Value::boolean(n.op == Op::eq ? eq : !eq);
      }
      case Op::lt:
      case Op::le:
      case Op::gt:
      case Op::ge: {
        Value x = eval(n.a), y = eval(n.b), r;
        if (absent(x, y, r)) return r;
        int c3 = compare_values(x, y);
        bool b = n.op == Op::lt   ? c3 < 0
                 : n.op == Op::le ? c3 <= 0
                 : n.op == Op::gt ? c3 > 0
                                  : c3 >= 0;
        return Value::boolean(b);
      }
      case Op::add:
      case Op::sub:
      case Op::mul:
      case Op::div: {
        Value x = eval(n.a), y = eval(n.b), r;
        if (absent(x, y, r)) return r;
        return arithmetic(n.op, x, y, i);
      }
      case Op::in:
      case Op::not_in: {
        Value x = eval(n.a), l = eval(n.b), r;
        if (absent(x, l, r)) return r;
        bool found = false;
        for (std::uint32_t k = 0; k < l.aux && !found; ++k)
          found = l.items[k].kind == x.kind && scalar_equal(l.items[k], x);
        return Value::boolean(n.op == Op::in ? found : !found);
      }
      case Op::between: {
        // A comparison: any missing operand makes it missing (language.md §4).
        Value x = eval(n.a), lo = eval(n.b), hi = eval(n.c);
        if (x.kind == Kind::error) return x;
        if (lo.kind == Kind::error) return lo;
        if (hi.kind == Kind::error) return hi;
        if (x.is_missing() || lo.is_missing() || hi.is_missing()) return Value::missing();
        return Value::boolean(compare_values(lo, x) <= 0 && compare_values(x, hi) <= 0);
      }
      case Op::is_missing:
      case Op::is_present: {
        Value v = eval(n.a);
        if (v.kind == Kind::error) return v;
        return Value::boolean((v.kind == Kind::missing) == (n.op == Op::is_missing));
      }
      case Op::where: {
        Value l = eval(n.a);
        if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
        Value* dst = arena.alloc(l.aux);
        std::uint32_t kept = 0;
        for (std::uint32_t k = 0; k < l.aux; ++k) {
          items.push_back(l.items[k]);
          Value keep = eval(n.b);
          items.pop_back();
          if (keep.kind == Kind::error) return keep;
          if (keep.is_true()) dst[kept++] = l.items[k];
        }
        return Value::list(dst, kept);
      }
      case Op::list: {
        Value* dst = arena.alloc(n.args_count);
        for (std::uint32_t k = 0; k < n.args_count; ++k) {
          dst[k] = eval(g.args[n.args_begin + k]);
          if (dst[k].kind == Kind::error) return dst[k];
        }
        return Value::list(dst, n.args_count);
      }
      case Op::call:
        return call(n, i);
    }
    return Value::missing();
  }

  Value arithmetic(Op op, const Value& x, const Value& y, std::uint32_t node) {
    Kind a = x.kind, b = y.kind;
    switch (op) {
      case Op::add:
        if (a == Kind::number) return Value::number(x.as_number() + y.as_number());
        if (a == Kind::date && b == Kind::duration) return checked_date(x.i + y.i, node);
        if (a == Kind::duration && b == Kind::date) return checked_date(x.i + y.i, node);
        if (a == Kind::date && b == Kind::period) return add_period(x.i, y.i, node);
        if (a == Kind::period && b == Kind::date) return add_period(y.i, x.i, node);
        if (a == b) return checked_span(a, x.i, y.i, false, node);
        break;
      case Op::sub:
        if (a == Kind::number) return Value::number(x.as_number() - y.as_number());
        if (a == Kind::date && b == Kind::date) return Value::duration(x.i - y.i);
        if (a == Kind::date && b == Kind::duration) return checked_date(x.i - y.i, node);
        if (a == Kind::date && b == Kind::period) return add_period(x.i, -y.i, node);
        if (a == b) return checked_span(a, x.i, y.i, true, node);
        break;
      case Op::mul:
        if (a == Kind::number && b == Kind::number)
          return Value::number(x.as_number() * y.as_number());
        if (b == Kind::number) return scale(x, y.as_number(), node);
        if (a == Kind::number) return scale(y, x.as_number(), node);
        break;
      case Op::div:
        if (b == Kind::number) {
          if (y.coef == 0) return fail(node, "E500", "division by zero");
          if (a == Kind::number)
            return Value::number(Decimal::divide(x.as_number(), y.as_number()));
          Decimal q = Decimal::divide(Decimal::from_int(x.i), y.as_number()).floor();
          auto whole = q.to_int64_floor();
          if (!whole) return fail(node, "E501", "duration out of range");
          return Value::integral(a, *whole);
        }
        if (y.i == 0) return fail(node, "E500", "division by zero");
        return Value::number(Decimal::divide(Decimal::from_int(x.i), Decimal::from_int(y.i)));
      default:
        break;
    }
    return fail(node, "E201", "operator applied to values of the wrong kinds");
  }

  // Durations and periods added or subtracted: hostile policies could otherwise overflow.
  Value checked_span(Kind kind, std::int64_t x, std::int64_t y, bool subtract, std::uint32_t node) {
    std::int64_t r;
    bool overflow = subtract ? __builtin_sub_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r);
    if (overflow || r > 1'000'000'000'000 || r < -1'000'000'000'000)
      return fail(node, "E501",
                  kind == Kind::period ? "period out of range" : "duration out of range");
    return Value::integral(kind, r);
  }

  Value add_period(std::int64_t day, std::int64_t months, std::uint32_t node) {
    if (months > 120000 || months < -120000) return fail(node, "E501", "date out of range");
    auto d = add_months(static_cast<DayNumber>(day), months);
    if (!d) return fail(node, "E501", "date out of range (years 0001-9999)");
    return Value::date(*d);
  }

  // duration × number and period × number, rounded down to whole days / months.
  Value scale(const Value& span, const Decimal& factor, std::uint32_t node) {
    std::int64_t whole_factor;
    if (factor.exponent() == 0 && factor.coefficient() >= -1'000'000 &&
        factor.coefficient() <= 1'000'000) {
      // Whole factors (the common `3 * 1 week`) need no decimal arithmetic.
      whole_factor = static_cast<std::int64_t>(factor.coefficient());
      std::int64_t v = span.i * whole_factor;
      if (v > 4'000'000 || v < -4'000'000) return fail(node, "E501", "duration out of range");
      return Value::integral(span.kind, v);
    }
    Decimal product = (Decimal::from_int(span.i) * factor).floor();
    auto whole = product.to_int64_floor();
    if (!whole || *whole > 4'000'000 || *whole < -4'000'000)
      return fail(node, "E501", "duration out of range");
    return Value::integral(span.kind, *whole);
  }

  // A list argument's present items, or scalar arguments with missing ones skipped.
  template <typename F>
  Value each_present(const Node& n, F&& f) {
    if (n.args_count == 1) {
      Value l = eval(g.args[n.args_begin]);
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
    for (std::uint32_t k = 0; k < n.args_count; ++k) {
      Value v = eval(g.args[n.args_begin + k]);
      if (v.kind == Kind::error) return v;
      if (v.kind != Kind::missing) f(v);
    }
    return Value::boolean(true);
  }

  Value call(const Node& n, std::uint32_t node) {
    Builtin fn = static_cast<Builtin>(n.aux);
    auto arg = [&](std::uint32_t k) { return eval(g.args[n.args_begin + k]); };
    switch (fn) {
      case Builtin::count:
      case Builtin::any:
      case Builtin::none:
      case Builtin::sum:
      case Builtin::avg: {
        Value l = arg(0);
        if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
        std::uint32_t count = 0;
        Decimal total{};
        for (std::uint32_t k = 0; k < l.aux; ++k) {
          const Value& v = l.items[k];
          if (v.kind == Kind::error) return v;
          if (v.kind == Kind::missing) continue;
          ++count;
          if (v.kind == Kind::number) total = total + v.as_number();
        }
        if (fn == Builtin::count) return Value::number(Decimal::from_int(count));
        if (fn == Builtin::any) return Value::boolean(count > 0);
        if (fn == Builtin::none) return Value::boolean(count == 0);
        if (fn == Builtin::sum) return Value::number(total);
        if (count == 0) return Value::missing();
        return Value::number(Decimal::divide(total, Decimal::from_int(count)));
      }
      case Builtin::min:
      case Builtin::max:
      case Builtin::earliest:
      case Builtin::latest: {
        bool want_min = fn == Builtin::min || fn == Builtin::earliest;
        Value best;
        Value status = each_present(n, [&](const Value& v) {
          if (best.is_missing() ||
              (want_min ? compare_values(v, best) < 0 : compare_values(v, best) > 0))
            best = v;
        });
        if (status.kind == Kind::error) return status;
        return best;
      }
      case Builtin::first:
      case Builtin::last: {
        Value l = arg(0);
        if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
        if (l.aux == 0) return Value::missing();
        return fn == Builtin::first ? l.items[0] : l.items[l.aux - 1];
      }
      case Builtin::days_between:
      case Builtin::weeks_between: {
        Value a = arg(0), b = arg(1), r;
        if (absent(a, b, r)) return r;
        std::int64_t days = b.i - a.i;
        if (fn == Builtin::days_between) return Value::number(Decimal::from_int(days));
        std::int64_t weeks = days >= 0 ? days / 7 : -((-days + 6) / 7);
        return Value::number(Decimal::from_int(weeks));
      }
      case Builtin::round: {
        Value x = arg(0), places = arg(1), r;
        if (absent(x, places, r)) return r;
        auto p = places.as_number().to_int64_floor();
        if (!p || !places.as_number().is_integer() || *p > 30 || *p < -30)
          return fail(node, "E400", "round needs a whole number of places between -30 and 30");
        return Value::number(x.as_number().round(static_cast<int>(*p)));
      }
      case Builtin::floor:
      case Builtin::ceil:
      case Builtin::abs: {
        Value x = arg(0);
        if (x.kind == Kind::duration) return Value::duration(x.i < 0 ? -x.i : x.i);
        if (x.kind != Kind::number) return x;
        Decimal d = x.as_number();
        return Value::number(fn == Builtin::floor  ? d.floor()
                             : fn == Builtin::ceil ? d.ceil()
                                                   : d.abs());
      }
      case Builtin::first_by:
      case Builtin::last_by: {
        // One item per distinct value of the field (missing values form one group): the first
        // or the last of each group, in list order.
        Value l = arg(0);
        if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
        Value* dst = arena.alloc(l.aux);
        std::uint32_t kept = 0;
        bool last = fn == Builtin::last_by;
        for (std::uint32_t k = 0; k < l.aux; ++k) {
          const Value& key = l.items[k].items[n.c];
          bool shadowed = false;
          std::uint32_t from = last ? k + 1 : 0, to = last ? l.aux : k;
          for (std::uint32_t j = from; j < to && !shadowed; ++j) {
            const Value& other = l.items[j].items[n.c];
            shadowed = other.kind == key.kind && (key.is_missing() || scalar_equal(other, key));
          }
          if (!shadowed) dst[kept++] = l.items[k];
        }
        return Value::list(dst, kept);
      }
      case Builtin::change:
      case Builtin::trend: {
        Value l = arg(0);
        if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
        if (fn == Builtin::change) {
          const Value* first = nullptr;
          const Value* last = nullptr;
          for (std::uint32_t k = 0; k < l.aux; ++k) {
            const Value& f = l.items[k].items[n.c];
            if (f.kind != Kind::number) continue;
            if (!first) first = &f;
            last = &f;
          }
          if (!first) return Value::missing();
          return Value::number(last->as_number() - first->as_number());
        }
        // Least-squares slope of the field against the item date, per week.
        std::int64_t count = 0, origin = 0;
        Decimal sx{}, sy{}, sxy{}, sxx{};
        for (std::uint32_t k = 0; k < l.aux; ++k) {
          const Value* fields = l.items[k].items;
          const Value& f = fields[n.c];
          const Value& d = fields[n.b];
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
    }
    return Value::missing();
  }

  void reset_for(const CaseData& data, const EvalOptions& options) {
    c = &data;
    as_of = options.as_of ? *options.as_of : data.as_of;
    if (++gen == 0) {
      std::fill(memo_gen.begin(), memo_gen.end(), 0);
      gen = 1;
    }
    arena.reset();
    errors.clear();
    items.clear();
    out.status = Status::undetermined;
    out.as_of = as_of;
    out.mmi_date = Value::missing();
    out.basis = -1;
    out.coverage_cutoff = Value::missing();
    out.error.reset();
    std::fill(out.rules.begin(), out.rules.end(), RuleState::unknown);
    std::fill(out.rule_dates.begin(), out.rule_dates.end(), Value::missing());
    std::fill(out.outputs.begin(), out.outputs.end(), Value::missing());
    status_v = date_v = basis_v = Value::missing();
  }

  void set_error(const Value& v) {
    if (out.error || v.kind != Kind::error) return;
    out.error = errors[v.aux];
  }

  void eval_rule(std::uint32_t r) {
    const RuleRoots& roots = g.rule_roots[r];
    Value when = eval(roots.when);
    if (when.kind == Kind::error) return set_error(when);
    RuleState state;
    if (when.is_false()) {
      state = RuleState::not_fired;
    } else {
      Value unless = roots.unless == kNone ? Value::boolean(false) : eval(roots.unless);
      if (unless.kind == Kind::error) return set_error(unless);
      if (unless.is_true())
        state = RuleState::not_fired;
      else if (when.is_true() && unless.is_false())
        state = RuleState::fired;
      else
        state = RuleState::unknown;
    }
    if (state == RuleState::fired) {
      // A rule that fires without a date stays fired but cannot decide (see decide()).
      Value date = eval(roots.date);
      if (date.kind == Kind::error) return set_error(date);
      if (date.kind == Kind::date) out.rule_dates[r] = date;
    }
    out.rules[r] = state;
  }

  void decide() {
    const CheckedPolicy& p = g.policy;
    std::int32_t winner = -1;
    bool all_not_fired = true;
    bool blocked = false;
    for (std::uint32_t r : p.precedence) {
      RuleState s = out.rules[r];
      if (s != RuleState::not_fired) all_not_fired = false;
      bool dated = out.rule_dates[r].kind == Kind::date;
      if (p.hit == HitPolicy::first) {
        // An unknown rule, or a fired one without a date, ahead of the winner leaves it open.
        if (s == RuleState::unknown || (s == RuleState::fired && !dated)) {
          blocked = true;
          break;
        }
        if (s == RuleState::fired) {
          winner = static_cast<std::int32_t>(r);
          break;
        }
      } else if (s == RuleState::fired && dated) {
        if (winner < 0 || out.rule_dates[r].i < out.rule_dates[static_cast<std::size_t>(winner)].i)
          winner = static_cast<std::int32_t>(r);
      }
    }
    if (!blocked && winner >= 0) {
      out.status = Status::reached;
      out.basis = winner;
      out.mmi_date = out.rule_dates[static_cast<std::size_t>(winner)];
    } else if (!blocked && all_not_fired) {
      out.status = Status::not_reached;
    } else {
      out.status = Status::undetermined;
    }
    status_v = Value::string(g.status_names[static_cast<int>(out.status)]);
    date_v = out.mmi_date;
    basis_v = out.basis >= 0 ? Value::string(g.rule_ids[static_cast<std::size_t>(out.basis)])
                             : Value::missing();
  }

  const Outcome& run(const CaseData& data, const EvalOptions& options) {
    reset_for(data, options);
    if (data.error) {
      out.status = Status::error;
      out.error = EvalError{data.error->code, data.error->message, data.error->at};
      return out;
    }
    for (const GraphStep& step : g.policy.order) {
      if (step.kind == GraphStep::Kind::let)
        lets[step.index] = eval(g.let_roots[step.index]);
      else
        eval_rule(step.index);
    }
    if (!out.error) decide();
    if (!out.error && g.cutoff_root != kNone) {
      out.coverage_cutoff = eval(g.cutoff_root);
      set_error(out.coverage_cutoff);
    }
    for (std::size_t k = 0; k < g.output_roots.size() && !out.error; ++k) {
      out.outputs[k] = eval(g.output_roots[k]);
      set_error(out.outputs[k]);
    }
    if (out.error) {
      out.status = Status::error;
      out.mmi_date = out.coverage_cutoff = Value::missing();
      out.basis = -1;
    }
    return out;
  }

  // ---- why is a rule unknown? -------------------------------------------------------------
  std::set<std::string> found;
  std::vector<bool> traced_rules, traced_lets;
  std::unordered_map<std::uint32_t, std::string> slot_paths;

  std::string item_path(const Value& record, std::uint32_t offset) {
    const CheckedPolicy& p = g.policy;
    std::string list;
    for (const auto& l : p.lists)
      if (l.item_record == record.aux) list = l.path;
    const RecordLayout& r = p.records[record.aux];
    std::string field = "?";
    for (std::size_t f = 0; f < r.offsets.size(); ++f)
      if (r.offsets[f] == offset && p.types[r.type_ids[f]].tag != TypeTag::record)
        field = r.names[f];
    return fmt::format("{}[{}].{}", list, record.exp, field);
  }

  void queue_rule(std::uint32_t r) {
    if (traced_rules[r]) return;
    traced_rules[r] = true;
    const RuleRoots& roots = g.rule_roots[r];
    push(roots.when);
    push(roots.unless);
    if (eval(roots.when).is_true()) push(roots.date);
  }

  // Nodes still to look at; a work list rather than recursion, because chains of lets can be
  // as long as a policy is.
  std::vector<std::uint32_t> pending;

  // Traces `start` (kNone: only what is already queued) until the work list is empty.
  void trace(std::uint32_t start) {
    push(start);
    while (!pending.empty()) {
      std::uint32_t i = pending.back();
      pending.pop_back();
      trace_one(i);
    }
  }

  void push(std::uint32_t i) {
    if (i != kNone) pending.push_back(i);
  }

  void trace_one(std::uint32_t i) {
    Value v = eval(i);
    if (v.kind != Kind::missing) return;
    const Node& n = g.nodes[i];
    switch (n.op) {
      case Op::fact: {
        auto it = slot_paths.find(n.aux);
        if (it != slot_paths.end()) found.insert(it->second);
        return;
      }
      case Op::let:
        if (!traced_lets[n.aux]) {
          traced_lets[n.aux] = true;
          push(g.let_roots[n.aux]);
        }
        return;
      case Op::rule_fired:
      case Op::rule_date:
        if (out.rules[n.aux] == RuleState::unknown) queue_rule(n.aux);
        return;
      case Op::field: {
        Value base = eval(n.a);
        if (base.kind == Kind::record && base.exp >= 0)
          found.insert(item_path(base, n.aux));
        else
          push(n.a);
        return;
      }
      case Op::if_: {
        Value cond = eval(n.a);
        push(cond.kind == Kind::boolean ? (cond.b ? n.b : n.c) : n.a);
        return;
      }
      case Op::where:
      case Op::item_field:
        return;
      case Op::call:
        if (n.aux == static_cast<std::uint32_t>(Builtin::change) ||
            n.aux == static_cast<std::uint32_t>(Builtin::trend)) {
          // No usable points: every item lacking the field is a fact we could ask for.
          Value l = eval(g.args[n.args_begin]);
          if (l.kind != Kind::list) return push(g.args[n.args_begin]);
          for (std::uint32_t k = 0; k < l.aux; ++k) {
            const Value& item = l.items[k];
            if (item.kind != Kind::record || item.exp < 0) continue;
            if (item.items[n.c].is_missing()) found.insert(item_path(item, n.c));
            if (n.aux == static_cast<std::uint32_t>(Builtin::trend) && n.b != kNone &&
                item.items[n.b].is_missing())
              found.insert(item_path(item, n.b));
          }
          return;
        }
        [[fallthrough]];
      default:
        push(n.a);
        push(n.b);
        if (n.op != Op::call) push(n.c);
        for (std::uint32_t k = 0; k < n.args_count; ++k) push(g.args[n.args_begin + k]);
    }
  }

  std::vector<std::string> missing_facts() {
    found.clear();
    traced_rules.assign(g.rule_roots.size(), false);
    traced_lets.assign(g.let_roots.size(), false);
    if (slot_paths.empty())
      for (const auto& f : g.policy.facts)
        if (f.shape == FactDecl::Shape::scalar) slot_paths[f.slot] = f.path;
    if (out.status != Status::error)
      for (std::uint32_t r = 0; r < out.rules.size(); ++r) {
        if (out.rules[r] == RuleState::unknown) {
          queue_rule(r);
          trace(kNone);  // drain
        }
        // A rule that fired without a date is waiting for whatever its date needs.
        if (out.rules[r] == RuleState::fired && out.rule_dates[r].is_missing())
          trace(g.rule_roots[r].date);
      }
    return {found.begin(), found.end()};
  }

  // ---- explanations -------------------------------------------------------------------------
  std::vector<bool> explained_lets;  // a let is unfolded once per explanation

  Explanation explain(std::uint32_t i, int depth) {
    Explanation e;
    const Node& n = g.nodes[i];
    e.text = g.node_text(i);
    e.value = value_to_string(eval(i), g);
    if (depth >= 8) return e;
    auto child = [&](std::uint32_t c) {
      if (c == kNone) return;
      const Node& k = g.nodes[c];
      if (k.op == Op::constant) return;
      e.parts.push_back(explain(c, depth + 1));
    };
    switch (n.op) {
      case Op::let: {
        if (explained_lets[n.aux]) return e;
        explained_lets[n.aux] = true;
        Explanation def = explain(g.let_roots[n.aux], depth + 1);
        def.text = g.policy.lets[n.aux].name + " = " + def.text;
        e.parts.push_back(std::move(def));
        return e;
      }
      case Op::fact:
      case Op::parameter:
      case Op::as_of:
      case Op::constant:
      case Op::rule_fired:
      case Op::rule_date:
      case Op::fact_list:
      case Op::status:
      case Op::decision_date:
      case Op::basis:
        return e;
      case Op::where:
        child(n.a);
        return e;
      case Op::if_: {
        child(n.a);
        Value cond = eval(n.a);
        if (cond.kind == Kind::boolean) child(cond.b ? n.b : n.c);
        return e;
      }
      case Op::and_:
      case Op::or_: {
        // Only the operands that decided the result.
        Value x = eval(n.a);
        bool short_circuit = n.op == Op::and_ ? x.is_false() : x.is_true();
        child(n.a);
        if (!short_circuit) child(n.b);
        return e;
      }
      case Op::call:
        if (takes_field_argument(static_cast<Builtin>(n.aux))) {
          child(g.args[n.args_begin]);
          return e;
        }
        break;
      default:
        break;
    }
    child(n.a);
    child(n.b);
    if (n.op != Op::field && n.op != Op::project && n.op != Op::call && n.op != Op::item_field)
      child(n.c);
    for (std::uint32_t k = 0; k < n.args_count; ++k) child(g.args[n.args_begin + k]);
    return e;
  }
};

Evaluator::Evaluator(std::shared_ptr<const Graph> graph)
    : s_(std::make_unique<State>(std::move(graph))) {}
Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;

const Outcome& Evaluator::evaluate(const CaseData& c, const EvalOptions& options) {
  return s_->run(c, options);
}
const Outcome& Evaluator::outcome() const {
  return s_->out;
}
const Graph& Evaluator::graph() const {
  return s_->g;
}
std::vector<std::string> Evaluator::missing_facts() {
  return s_->missing_facts();
}

Explanation Evaluator::explain_rule(std::uint32_t r) {
  const Graph& g = s_->g;
  const RuleRoots& roots = g.rule_roots[r];
  s_->explained_lets.assign(g.let_roots.size(), false);
  Explanation e;
  e.text = "rule " + g.policy.rules[r].id;
  e.value = to_string(s_->out.rules[r]);
  Explanation when = s_->explain(roots.when, 0);
  when.text = "when " + when.text;
  e.parts.push_back(std::move(when));
  if (roots.unless != kNone) {
    Explanation unless = s_->explain(roots.unless, 0);
    unless.text = "unless " + unless.text;
    e.parts.push_back(std::move(unless));
  }
  if (s_->out.rules[r] == RuleState::fired || s_->eval(roots.when).is_true()) {
    Explanation date = s_->explain(roots.date, 0);
    date.text = "mmi_date " + date.text;
    e.parts.push_back(std::move(date));
  }
  return e;
}

Explanation Evaluator::explain_decision() {
  const Graph& g = s_->g;
  s_->explained_lets.assign(g.let_roots.size(), false);
  Explanation e;
  e.text = "decision";
  e.value = to_string(s_->out.status);
  if (g.cutoff_root != kNone) {
    Explanation c = s_->explain(g.cutoff_root, 0);
    c.text = "coverage_cutoff " + c.text;
    e.parts.push_back(std::move(c));
  }
  return e;
}

}  // namespace mmi
