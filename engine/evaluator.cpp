// The interpreter: evaluates graph nodes with Kleene logic over `missing`, exact decimals and
// calendar arithmetic; runs the rules in order and decides. Errors (division by zero, dates out of
// range) are values that propagate to the result; nothing here throws. Built-ins are in
// builtins.cpp, missing-fact tracing in missing.cpp, explanations in explain.cpp.
#include "engine/evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/eval_state.hpp"

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

int compare_values(const Value& a, const Value& b) {
  if (a.kind == Kind::number) return compare(a.as_number(), b.as_number());
  if (a.kind == Kind::text) return a.as_text().compare(b.as_text());
  if (a.kind == Kind::boolean) return static_cast<int>(a.b) - static_cast<int>(b.b);
  return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
}

EvalState::EvalState(std::shared_ptr<const Graph> gr) : graph(std::move(gr)), g(*graph) {
  lets.resize(g.let_roots.size());
  memo.resize(g.memo_count);
  memo_gen.assign(g.memo_count, 0);
  items.reserve(16);
  out.outputs.resize(g.output_roots.size());
  out.rules.resize(g.rule_roots.size());
  out.rule_dates.resize(g.rule_roots.size());
}

Value EvalState::param_value(std::uint32_t p, std::int64_t day) const {
  const ParameterValues& pv = g.parameters[p];
  if (pv.series.empty()) return pv.value;
  const Value* found = nullptr;
  for (const auto& [from, v] : pv.series) {
    if (from > day) break;
    found = &v;
  }
  return found ? *found : Value::missing();
}

Value EvalState::checked_date(std::int64_t day, std::uint32_t node) {
  if (!day_in_range(day)) return fail(node, Code::E501, "date out of range (years 0001-9999)");
  return Value::date(day);
}

Value EvalState::compute(const Node& n, std::uint32_t i) {
  switch (n.op) {
    case Op::constant:
      return n.constant;
    case Op::fact:
      return c->slots[n.index];
    case Op::fact_list: {
      const CaseList& l = c->lists[n.index];
      return Value::list(l.items.data(), static_cast<std::uint32_t>(l.items.size()));
    }
    case Op::benefit_periods:
      return benefit_periods(n);
    case Op::fact_record:
      return Value::record(c->slots.data() + n.index, n.layout, -1);
    case Op::item_field: {
      const Value& item = items[items.size() - 1 - n.scope];
      if (n.layout != kNone) return Value::record(item.items + n.index, n.layout, -1);
      return item.items[n.index];
    }
    case Op::parameter:
      return param_value(n.index, as_of);
    case Op::parameter_at: {
      Value d = operand(n, 0);
      if (d.kind != Kind::date) return d.kind == Kind::error ? d : Value::missing();
      return param_value(n.index, d.i);
    }
    case Op::let:
      return lets[n.index];
    case Op::rule_fired: {
      RuleState s = out.rules[n.index];
      if (s == RuleState::unknown) return Value::missing();
      return Value::boolean(s == RuleState::fired);
    }
    case Op::rule_date:
      return out.rule_dates[n.index];
    case Op::as_of:
      return Value::date(as_of);
    case Op::status:
      return status_v;
    case Op::decision_date:
      return date_v;
    case Op::basis:
      return basis_v;
    case Op::coverage_cutoff:
      return out.coverage_cutoff;
    case Op::field: {
      Value r = operand(n, 0);
      if (r.kind != Kind::record) return r.kind == Kind::error ? r : Value::missing();
      if (n.layout != kNone) return Value::record(r.items + n.index, n.layout, -1);
      return r.items[n.index];
    }
    case Op::project: {
      Value l = operand(n, 0);
      if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
      Value* dst = arena.alloc(l.aux);
      for (std::uint32_t k = 0; k < l.aux; ++k) {
        const Value& rec = l.items[k];
        if (rec.kind != Kind::record)
          dst[k] = Value::missing();
        else if (n.layout != kNone)
          dst[k] = Value::record(rec.items + n.index, n.layout, -1);
        else
          dst[k] = rec.items[n.index];
      }
      return Value::list(dst, l.aux);
    }
    case Op::neg: {
      Value v = operand(n, 0);
      if (v.kind == Kind::number) return Value::number(-v.as_number());
      if (v.kind == Kind::duration || v.kind == Kind::period) return Value::integral(v.kind, -v.i);
      return v;
    }
    case Op::not_: {
      Value v = operand(n, 0);
      if (v.kind == Kind::boolean) return Value::boolean(!v.b);
      return v;
    }
    case Op::and_: {
      Value x = operand(n, 0);
      if (x.kind == Kind::error || x.is_false()) return x;
      Value y = operand(n, 1);
      if (y.kind == Kind::error || y.is_false()) return y;
      if (x.is_true() && y.is_true()) return x;
      return Value::missing();
    }
    case Op::or_: {
      Value x = operand(n, 0);
      if (x.kind == Kind::error || x.is_true()) return x;
      Value y = operand(n, 1);
      if (y.kind == Kind::error || y.is_true()) return y;
      if (x.is_false() && y.is_false()) return x;
      return Value::missing();
    }
    case Op::coalesce: {
      Value x = operand(n, 0);
      if (x.kind != Kind::missing) return x;
      return operand(n, 1);
    }
    case Op::if_: {
      Value cond = operand(n, 0);
      if (cond.kind == Kind::boolean) return operand(n, cond.b ? 1 : 2);
      return cond;
    }
    case Op::eq:
    case Op::ne: {
      Value x = operand(n, 0), y = operand(n, 1), r;
      if (absent(x, y, r)) return r;
      bool eq = scalar_equal(x, y);
      return Value::boolean(n.op == Op::eq ? eq : !eq);
    }
    case Op::lt:
    case Op::le:
    case Op::gt:
    case Op::ge: {
      Value x = operand(n, 0), y = operand(n, 1), r;
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
      Value x = operand(n, 0), y = operand(n, 1), r;
      if (absent(x, y, r)) return r;
      return arithmetic(n.op, x, y, i);
    }
    case Op::in:
    case Op::not_in: {
      Value x = operand(n, 0), l = operand(n, 1), r;
      if (absent(x, l, r)) return r;
      bool found = false;
      for (std::uint32_t k = 0; k < l.aux && !found; ++k)
        found = l.items[k].kind == x.kind && scalar_equal(l.items[k], x);
      return Value::boolean(n.op == Op::in ? found : !found);
    }
    case Op::between: {
      // A comparison: any missing operand makes it missing (language.md §4).
      Value x = operand(n, 0), lo = operand(n, 1), hi = operand(n, 2);
      if (x.kind == Kind::error) return x;
      if (lo.kind == Kind::error) return lo;
      if (hi.kind == Kind::error) return hi;
      if (x.is_missing() || lo.is_missing() || hi.is_missing()) return Value::missing();
      return Value::boolean(compare_values(lo, x) <= 0 && compare_values(x, hi) <= 0);
    }
    case Op::is_missing:
    case Op::is_present: {
      Value v = operand(n, 0);
      if (v.kind == Kind::error) return v;
      return Value::boolean((v.kind == Kind::missing) == (n.op == Op::is_missing));
    }
    case Op::where: {
      Value l = operand(n, 0);
      if (l.kind != Kind::list) return l.kind == Kind::error ? l : Value::missing();
      Value* dst = arena.alloc(l.aux);
      std::uint32_t kept = 0;
      for (std::uint32_t k = 0; k < l.aux; ++k) {
        items.push_back(l.items[k]);
        Value keep = operand(n, 1);
        items.pop_back();
        if (keep.kind == Kind::error) return keep;
        if (keep.is_true()) dst[kept++] = l.items[k];
      }
      return Value::list(dst, kept);
    }
    case Op::list: {
      Value* dst = arena.alloc(n.operand_count);
      for (std::uint32_t k = 0; k < n.operand_count; ++k) {
        dst[k] = operand(n, k);
        if (dst[k].kind == Kind::error) return dst[k];
      }
      return Value::list(dst, n.operand_count);
    }
    case Op::call:
      return call(n, i);
  }
  return Value::missing();
}

Value EvalState::arithmetic(Op op, const Value& x, const Value& y, std::uint32_t node) {
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
        if (y.coef == 0) return fail(node, Code::E500, "division by zero");
        if (a == Kind::number) return Value::number(Decimal::divide(x.as_number(), y.as_number()));
        Decimal q = Decimal::divide(Decimal::from_int(x.i), y.as_number()).floor();
        auto whole = q.to_int64_floor();
        if (!whole) return fail(node, Code::E501, "duration out of range");
        return Value::integral(a, *whole);
      }
      if (y.i == 0) return fail(node, Code::E500, "division by zero");
      return Value::number(Decimal::divide(Decimal::from_int(x.i), Decimal::from_int(y.i)));
    default:
      break;
  }
  return fail(node, Code::E201, "operator applied to values of the wrong kinds");
}

// Durations and periods added or subtracted: hostile policies could otherwise overflow.
Value EvalState::checked_span(Kind kind, std::int64_t x, std::int64_t y, bool subtract,
                              std::uint32_t node) {
  std::int64_t r;
  bool overflow = subtract ? __builtin_sub_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r);
  if (overflow || r > 1'000'000'000'000 || r < -1'000'000'000'000)
    return fail(node, Code::E501,
                kind == Kind::period ? "period out of range" : "duration out of range");
  return Value::integral(kind, r);
}

Value EvalState::add_period(std::int64_t day, std::int64_t months, std::uint32_t node) {
  if (months > 120000 || months < -120000) return fail(node, Code::E501, "date out of range");
  auto d = add_months(static_cast<DayNumber>(day), months);
  if (!d) return fail(node, Code::E501, "date out of range (years 0001-9999)");
  return Value::date(*d);
}

// duration × number and period × number, rounded down to whole days / months.
Value EvalState::scale(const Value& span, const Decimal& factor, std::uint32_t node) {
  std::int64_t whole_factor;
  if (factor.exponent() == 0 && factor.coefficient() >= -1'000'000 &&
      factor.coefficient() <= 1'000'000) {
    // Whole factors (the common `3 * 1 week`) need no decimal arithmetic.
    whole_factor = static_cast<std::int64_t>(factor.coefficient());
    std::int64_t v = span.i * whole_factor;
    if (v > 4'000'000 || v < -4'000'000) return fail(node, Code::E501, "duration out of range");
    return Value::integral(span.kind, v);
  }
  Decimal product = (Decimal::from_int(span.i) * factor).floor();
  auto whole = product.to_int64_floor();
  if (!whole || *whole > 4'000'000 || *whole < -4'000'000)
    return fail(node, Code::E501, "duration out of range");
  return Value::integral(span.kind, *whole);
}

void EvalState::reset_for(const CaseData& data, const EvalOptions& options) {
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

void EvalState::set_error(const Value& v) {
  if (out.error || v.kind != Kind::error) return;
  out.error = errors[v.aux];
}

void EvalState::eval_rule(std::uint32_t r) {
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

void EvalState::decide() {
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

const Outcome& EvalState::run(const CaseData& data, const EvalOptions& options) {
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

Evaluator::Evaluator(std::shared_ptr<const Graph> graph)
    : s_(std::make_unique<EvalState>(std::move(graph))) {}
Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;

const Outcome& Evaluator::evaluate(const CaseData& c, const EvalOptions& options) {
  return s_->run(c, options);
}
const Outcome& Evaluator::outcome() const {
  return s_->out;
}
Value Evaluator::covered_from() {
  const Graph& g = s_->g;
  if (g.covered_from_root == kNone || s_->out.status == Status::error) return Value::missing();
  return s_->eval(g.covered_from_root);
}
const Graph& Evaluator::graph() const {
  return s_->g;
}
std::vector<std::string> Evaluator::missing_facts() {
  return s_->missing_facts();
}

}  // namespace mmi
