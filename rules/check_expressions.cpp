// Typing expressions: names, fields, operators, `where`, `at` and calls (built-ins through
// rules/builtins.hpp).
#include "rules/checker_impl.hpp"

#include <cctype>

namespace mmi::check {

// What a built-in's typing rule sees of a call (rules/builtins.hpp).
class Checker::BuiltinCall final : public CallTyping {
 public:
  BuiltinCall(Checker& c, const Expr& e, const CheckedExpr& ce) : c_(c), e_(e), ce_(ce) {}
  std::vector<std::uint32_t> types;

  std::string_view function() const override { return e_.name; }
  std::size_t arg_count() const override { return e_.args.size(); }
  std::string arg_name(std::size_t i) const override { return e_.args[i].name; }
  std::uint32_t arg(std::size_t i) const override { return types[i]; }
  const TypeDesc& desc(std::uint32_t t) const override { return c_.T(t); }
  std::string type_name(std::uint32_t t) const override { return c_.name(t); }
  std::uint32_t list_of(std::uint32_t t) override { return c_.list_of(t); }
  std::uint32_t element_of(std::uint32_t t) override { return c_.element_of(t); }
  std::uint32_t unify(std::uint32_t a, std::uint32_t b) override { return c_.unify(a, b); }
  std::optional<std::uint32_t> item_field(std::size_t i, std::string_view field) const override {
    const TypeDesc& t = c_.T(types[i]);
    if (!t.list || t.tag != TypeTag::record) return std::nullopt;
    const RecordLayout& r = c_.p_.records[static_cast<std::size_t>(t.record)];
    for (std::size_t f = 0; f < r.names.size(); ++f)
      if (r.names[f] == field) return r.type_ids[f];
    return std::nullopt;
  }
  std::uint32_t fail(std::size_t i, std::string message) override {
    c_.error(ce_, i == npos ? e_ : e_.args[i], Code::E204, message);
    return type_id::error;
  }

 private:
  Checker& c_;
  const Expr& e_;
  const CheckedExpr& ce_;
};

void Checker::error(const CheckedExpr& ce, const Expr& e, Code code, const std::string& msg,
                    const std::string& help) {
  diags_.error(code, msg,
               ce.source.location_of(e.begin, std::max<std::uint32_t>(1, e.end - e.begin)), help);
}

void Checker::spread_fact_use() {
  std::vector<bool> direct = fact_used_;
  for (std::uint32_t i = 0; i < p_.facts.size(); ++i) {
    if (!direct[i]) continue;
    const std::string& path = p_.facts[i].path;
    for (std::uint32_t j = 0; j < p_.facts.size(); ++j) {
      if (fact_used_[j]) continue;
      const std::string& q = p_.facts[j].path;
      bool below =
          q.size() > path.size() && q.compare(0, path.size(), path) == 0 && q[path.size()] == '.';
      bool above =
          path.size() > q.size() && path.compare(0, q.size(), q) == 0 && path[q.size()] == '.';
      if (below || above) fact_used_[j] = true;
    }
  }
}

std::vector<std::string> Checker::names_in_scope(const Scope& scope) const {
  std::vector<std::string> out = {"as_of"};
  for (auto r : scope.items)
    for (const auto& n : p_.records[r].names) out.push_back(n);
  if (scope.decision) out.insert(out.end(), {"status", "mmi_date", "basis"});
  if (scope.property) {
    out.push_back("coverage_cutoff");
    for (const auto& o : p_.outputs) out.push_back(o.name);
  }
  for (const auto& [n, i] : let_) out.push_back(n);
  for (const auto& [n, i] : param_) out.push_back(n);
  for (const auto& [n, i] : top_fact_) out.push_back(n);
  return out;
}

std::uint32_t Checker::check_name(Expr& e, const CheckedExpr& ce, const Scope& scope) {
  for (std::size_t k = scope.items.size(); k-- > 0;) {
    const RecordLayout& r = p_.records[scope.items[k]];
    for (std::uint32_t f = 0; f < r.names.size(); ++f) {
      if (r.names[f] == e.name) {
        e.ref = Ref::item_field;
        e.scope = static_cast<std::uint32_t>(scope.items.size() - 1 - k);
        e.index = f;
        return r.type_ids[f];
      }
    }
  }
  if (scope.decision) {
    if (e.name == "status") return e.ref = Ref::decision_status, p_.status_enum_type;
    if (e.name == "mmi_date") return e.ref = Ref::decision_mmi_date, type_id::date;
    if (e.name == "basis") return e.ref = Ref::decision_basis, type_id::text;
    if (scope.output && e.name == "coverage_cutoff" && p_.coverage_cutoff)
      return e.ref = Ref::decision_coverage_cutoff, type_id::date;
  }
  if (scope.property) {
    if (e.name == "coverage_cutoff") return e.ref = Ref::decision_cutoff, type_id::date;
    for (std::uint32_t o = 0; o < p_.outputs.size(); ++o)
      if (p_.outputs[o].name == e.name) {
        e.ref = Ref::output;
        e.index = o;
        return p_.outputs[o].expr.type_id;
      }
  }
  if (e.name == "as_of") return e.ref = Ref::as_of, type_id::date;
  if (auto it = let_.find(e.name); it != let_.end()) {
    e.ref = Ref::let;
    e.index = it->second;
    let_used_[it->second] = true;
    return let_type(it->second);
  }
  if (auto it = param_.find(e.name); it != param_.end()) {
    e.ref = Ref::parameter;
    e.index = it->second;
    param_used_[it->second] = true;
    return p_.parameters[it->second].type_id;
  }
  if (auto it = top_fact_.find(e.name); it != top_fact_.end()) {
    e.ref = Ref::fact;
    e.index = it->second;
    mark_fact_used(it->second);
    return p_.facts[it->second].type_id;
  }
  std::string help = did_you_mean(e.name, names_in_scope(scope));
  if (help.empty() && rule_.count(e.name))
    help = fmt::format("`{}` is a rule: use `fired({})` or `mmi_date({})`", e.name, e.name, e.name);
  // After a failed include (E016), an unknown name is most likely one it would have declared.
  if (!m_.include_failed) error(ce, e, Code::E200, fmt::format("unknown name `{}`", e.name), help);
  return type_id::error;
}

std::uint32_t Checker::check_field(Expr& e, const CheckedExpr& ce, Scope& scope) {
  std::uint32_t base = check(e.args[0], ce, scope);
  if (is_error(base)) return type_id::error;
  if (is_any(base)) return type_id::any;
  const TypeDesc& t = T(base);
  if (t.tag != TypeTag::record) {
    error(ce, e, Code::E202,
          fmt::format("`{}` is {}, which has no fields", expr_to_string(e.args[0]), name(base)));
    return type_id::error;
  }
  const RecordLayout& r = p_.records[static_cast<std::size_t>(t.record)];
  for (std::uint32_t f = 0; f < r.names.size(); ++f) {
    if (r.names[f] != e.name) continue;
    // A field of a top-level record is itself a fact: resolve `injury.date` to its slot.
    if (!t.list && e.args[0].ref == Ref::fact && e.args[0].kind == ExprKind::name &&
        r.facts[f] >= 0) {
      std::uint32_t fact = static_cast<std::uint32_t>(r.facts[f]);
      e.kind = ExprKind::name;
      e.name = p_.facts[fact].path;
      e.args.clear();
      e.ref = Ref::fact;
      e.index = fact;
      mark_fact_used(fact);
      return p_.facts[fact].type_id;
    }
    e.index = f;
    return t.list ? list_of(r.type_ids[f]) : r.type_ids[f];
  }
  error(ce, e, Code::E202,
        fmt::format("{} has no field `{}`",
                    t.list           ? "an item of " + r.path
                    : r.path.empty() ? "the case"
                                     : r.path,
                    e.name),
        did_you_mean(e.name, r.names));
  return type_id::error;
}

bool Checker::orderable(std::uint32_t t) const {
  return is(t, TypeTag::number) || is(t, TypeTag::date) || is(t, TypeTag::duration) ||
         is(t, TypeTag::period) || is_any(t);
}

bool Checker::scalar(std::uint32_t t) const {
  return !is_list(t) && T(t).tag != TypeTag::record && T(t).tag != TypeTag::error;
}

// Enum comparisons against text literals must name one of the enum's values.
void Checker::check_enum_literal(const CheckedExpr& ce, std::uint32_t enum_t, const Expr& other) {
  if (!is(enum_t, TypeTag::enumeration)) return;
  const auto& values = p_.enums[static_cast<std::size_t>(T(enum_t).enumeration)];
  auto check_one = [&](const Expr& lit) {
    if (lit.kind != ExprKind::literal || lit.literal.kind != LiteralKind::text) return;
    if (std::find(values.begin(), values.end(), lit.literal.text) != values.end()) return;
    error(ce, lit, Code::E203,
          fmt::format("\"{}\" is not one of {}", lit.literal.text, name(enum_t)),
          did_you_mean(lit.literal.text, values));
  };
  if (other.kind == ExprKind::list)
    for (const auto& item : other.args) check_one(item);
  else
    check_one(other);
}

namespace {
// YYYY-MM-DD, digits in place (whether it is a real date the literal would then check).
bool looks_like_date(const std::string& t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (std::size_t k : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(t[k]))) return false;
  return true;
}
}  // namespace

std::uint32_t Checker::binary_error(const CheckedExpr& ce, const Expr& e, std::uint32_t a,
                                    std::uint32_t b) {
  std::string help;
  if (e.kind == ExprKind::add || e.kind == ExprKind::sub) {
    if ((is(a, TypeTag::date) && is(b, TypeTag::number)))
      help = "add a duration or period with a unit, e.g. `+ 3 days`";
    if ((is(a, TypeTag::duration) && is(b, TypeTag::period)) ||
        (is(a, TypeTag::period) && is(b, TypeTag::duration)))
      help = "periods (months) and durations (days) do not mix";
  }
  // `date > "2024-01-01"`: a quoted date is text. Say how to write it.
  for (std::size_t k = 0; k < 2 && help.empty() && e.args.size() == 2; ++k) {
    const Expr& quoted = e.args[k];
    if (is(k == 0 ? b : a, TypeTag::date) && quoted.kind == ExprKind::literal &&
        quoted.literal.kind == LiteralKind::text && looks_like_date(quoted.literal.text))
      help = fmt::format("dates are written without quotes: `{}`, not `\"{}\"`",
                         quoted.literal.text, quoted.literal.text);
  }
  error(ce, e, Code::E201,
        fmt::format("cannot apply `{}` to {} and {}", expr_kind_symbol(e.kind), name(a), name(b)),
        help);
  return type_id::error;
}

std::uint32_t Checker::arithmetic(const CheckedExpr& ce, const Expr& e, std::uint32_t a,
                                  std::uint32_t b) {
  if (is_error(a) || is_error(b)) return type_id::error;
  using TT = TypeTag;
  auto both = [&](TT x, TT y) { return (is(a, x) || is_any(a)) && (is(b, y) || is_any(b)); };
  if (is_any(a) && is_any(b)) return type_id::any;
  switch (e.kind) {
    case ExprKind::add:
      if (both(TT::number, TT::number)) return type_id::number;
      if (both(TT::date, TT::duration) || both(TT::duration, TT::date)) return type_id::date;
      if (both(TT::date, TT::period) || both(TT::period, TT::date)) return type_id::date;
      if (both(TT::duration, TT::duration)) return type_id::duration;
      if (both(TT::period, TT::period)) return type_id::period;
      break;
    case ExprKind::sub:
      if (both(TT::number, TT::number)) return type_id::number;
      if (both(TT::date, TT::date)) return type_id::duration;
      if (both(TT::date, TT::duration)) return type_id::date;
      if (both(TT::date, TT::period)) return type_id::date;
      if (both(TT::duration, TT::duration)) return type_id::duration;
      if (both(TT::period, TT::period)) return type_id::period;
      break;
    case ExprKind::mul:
      if (both(TT::number, TT::number)) return type_id::number;
      if (both(TT::duration, TT::number) || both(TT::number, TT::duration))
        return type_id::duration;
      if (both(TT::period, TT::number) || both(TT::number, TT::period)) return type_id::period;
      break;
    case ExprKind::div:
      if (both(TT::number, TT::number)) return type_id::number;
      if (both(TT::duration, TT::duration)) return type_id::number;
      if (both(TT::duration, TT::number)) return type_id::duration;
      if (both(TT::period, TT::period)) return type_id::number;
      break;
    default:
      break;
  }
  return binary_error(ce, e, a, b);
}

std::uint32_t Checker::check(Expr& e, const CheckedExpr& ce, Scope& scope) {
  std::uint32_t t = check_inner(e, ce, scope);
  e.type_id = t;
  return t;
}

std::uint32_t Checker::check_inner(Expr& e, const CheckedExpr& ce, Scope& scope) {
  switch (e.kind) {
    case ExprKind::literal:
      return literal_type(e.literal);
    case ExprKind::name:
      return check_name(e, ce, scope);
    case ExprKind::field:
      return check_field(e, ce, scope);
    case ExprKind::call:
      return check_call(e, ce, scope);
    case ExprKind::list: {
      std::uint32_t elem = type_id::any;
      for (auto& a : e.args) {
        std::uint32_t t = check(a, ce, scope);
        if (is_error(t)) return type_id::error;
        if (!scalar(t)) {
          error(ce, a, Code::E201, "list literals hold single values");
          return type_id::error;
        }
        std::uint32_t u = unify(elem, t);
        if (is_error(u)) {
          error(ce, a, Code::E201,
                fmt::format("list items must have one type: {} and {}", name(elem), name(t)));
          return type_id::error;
        }
        elem = u;
      }
      return is_any(elem) ? type_id::any : list_of(elem);
    }
    case ExprKind::neg: {
      std::uint32_t a = check(e.args[0], ce, scope);
      if (is_error(a)) return a;
      if (is(a, TypeTag::number) || is(a, TypeTag::duration) || is(a, TypeTag::period) || is_any(a))
        return a;
      error(ce, e, Code::E201, fmt::format("cannot negate {}", name(a)));
      return type_id::error;
    }
    case ExprKind::not_:
    case ExprKind::and_:
    case ExprKind::or_: {
      bool ok = true;
      for (auto& a : e.args) {
        std::uint32_t t = check(a, ce, scope);
        if (is_error(t))
          ok = false;
        else if (!is(t, TypeTag::boolean) && !is_any(t)) {
          error(ce, a, Code::E201,
                fmt::format("`{}` needs bool operands, but this is {}", expr_kind_symbol(e.kind),
                            name(t)));
          ok = false;
        }
      }
      return ok ? type_id::boolean : type_id::error;
    }
    case ExprKind::coalesce: {
      std::uint32_t a = check(e.args[0], ce, scope);
      std::uint32_t b = check(e.args[1], ce, scope);
      if (is_error(a) || is_error(b)) return type_id::error;
      std::uint32_t u = unify(a, b);
      if (is_error(u))
        error(ce, e, Code::E201,
              fmt::format("both sides of `??` must have one type: {} and {}", name(a), name(b)));
      return u;
    }
    case ExprKind::if_: {
      std::uint32_t c = check(e.args[0], ce, scope);
      std::uint32_t a = check(e.args[1], ce, scope);
      std::uint32_t b = check(e.args[2], ce, scope);
      if (!is_error(c) && !is(c, TypeTag::boolean) && !is_any(c))
        error(ce, e.args[0], Code::E205,
              fmt::format("the condition of `if` must be bool, not {}", name(c)));
      if (is_error(a) || is_error(b)) return type_id::error;
      std::uint32_t u = unify(a, b);
      if (is_error(u))
        error(ce, e, Code::E201,
              fmt::format("`then` and `else` must have one type: {} and {}", name(a), name(b)));
      return u;
    }
    case ExprKind::eq:
    case ExprKind::ne: {
      std::uint32_t a = check(e.args[0], ce, scope);
      std::uint32_t b = check(e.args[1], ce, scope);
      if (is_error(a) || is_error(b)) return type_id::error;
      if (!scalar(a) || !scalar(b) || is_error(unify(a, b))) return binary_error(ce, e, a, b);
      check_enum_literal(ce, a, e.args[1]);
      check_enum_literal(ce, b, e.args[0]);
      return type_id::boolean;
    }
    case ExprKind::lt:
    case ExprKind::le:
    case ExprKind::gt:
    case ExprKind::ge: {
      std::uint32_t a = check(e.args[0], ce, scope);
      std::uint32_t b = check(e.args[1], ce, scope);
      if (is_error(a) || is_error(b)) return type_id::error;
      if (!orderable(a) || !orderable(b) || is_error(unify(a, b))) return binary_error(ce, e, a, b);
      return type_id::boolean;
    }
    case ExprKind::between: {
      std::uint32_t a = check(e.args[0], ce, scope);
      std::uint32_t lo = check(e.args[1], ce, scope);
      std::uint32_t hi = check(e.args[2], ce, scope);
      if (is_error(a) || is_error(lo) || is_error(hi)) return type_id::error;
      if (!orderable(a) || is_error(unify(unify(a, lo), hi))) {
        error(ce, e, Code::E201,
              fmt::format("`between` needs three values of one ordered type: {}, {} and {}",
                          name(a), name(lo), name(hi)));
        return type_id::error;
      }
      return type_id::boolean;
    }
    case ExprKind::add:
    case ExprKind::sub:
    case ExprKind::mul:
    case ExprKind::div: {
      std::uint32_t a = check(e.args[0], ce, scope);
      std::uint32_t b = check(e.args[1], ce, scope);
      return arithmetic(ce, e, a, b);
    }
    case ExprKind::in:
    case ExprKind::not_in: {
      std::uint32_t a = check(e.args[0], ce, scope);
      std::uint32_t l = check(e.args[1], ce, scope);
      if (is_error(a) || is_error(l)) return type_id::error;
      if (is_any(l)) return type_id::boolean;
      if (!is_list(l) || !scalar(a) || is_error(unify(a, element_of(l)))) {
        error(ce, e, Code::E201,
              fmt::format("`{}` needs a value and a list of such values: {} and {}",
                          expr_kind_symbol(e.kind), name(a), name(l)));
        return type_id::error;
      }
      check_enum_literal(ce, a, e.args[1]);
      return type_id::boolean;
    }
    case ExprKind::is_missing:
    case ExprKind::is_present: {
      std::uint32_t a = check(e.args[0], ce, scope);
      return is_error(a) ? type_id::error : type_id::boolean;
    }
    case ExprKind::where: {
      std::uint32_t l = check(e.args[0], ce, scope);
      if (is_error(l)) return l;
      const TypeDesc& t = T(l);
      if (!t.list || t.tag != TypeTag::record) {
        error(ce, e.args[0], Code::E201,
              fmt::format("`where` filters a list of records, not {}", name(l)));
        return type_id::error;
      }
      scope.items.push_back(static_cast<std::uint32_t>(t.record));
      std::uint32_t c = check(e.args[1], ce, scope);
      scope.items.pop_back();
      if (!is_error(c) && !is(c, TypeTag::boolean) && !is_any(c))
        error(ce, e.args[1], Code::E205,
              fmt::format("the condition of `where` must be bool, not {}", name(c)));
      return l;
    }
    case ExprKind::at: {
      std::uint32_t p = check(e.args[0], ce, scope);
      std::uint32_t d = check(e.args[1], ce, scope);
      if (e.args[0].ref != Ref::parameter) {
        error(ce, e.args[0], Code::E207,
              "`at` reads a parameter's value on a date; this is not a parameter");
        return type_id::error;
      }
      if (!is_error(d) && !is(d, TypeTag::date) && !is_any(d))
        error(ce, e.args[1], Code::E201, fmt::format("`at` needs a date, not {}", name(d)));
      return p;
    }
  }
  return type_id::error;
}

std::uint32_t Checker::check_call(Expr& e, const CheckedExpr& ce, Scope& scope) {
  if (e.name == "fired" || e.name == "mmi_date") {
    if (e.args.size() != 1 || e.args[0].kind != ExprKind::name) {
      error(ce, e, Code::E204,
            fmt::format("`{}` takes one rule id, e.g. `{}(certified)`", e.name, e.name));
      return type_id::error;
    }
    auto it = rule_.find(e.args[0].name);
    if (it == rule_.end()) {
      std::vector<std::string> ids;
      for (const auto& r : m_.rules) ids.push_back(r.id);
      error(ce, e.args[0], Code::E208, fmt::format("no rule `{}`", e.args[0].name),
            did_you_mean(e.args[0].name, ids));
      return type_id::error;
    }
    e.ref = e.name == "fired" ? Ref::rule_fired : Ref::rule_date;
    e.index = it->second;
    return e.name == "fired" ? type_id::boolean : type_id::date;
  }
  const BuiltinSpec* spec = find_builtin(e.name);
  if (!spec) {
    std::vector<std::string> all;
    for (const auto& b : builtin_table()) all.emplace_back(b.name);
    all.push_back("fired");
    all.push_back("mmi_date");
    error(ce, e, Code::E204, fmt::format("unknown function `{}`", e.name),
          did_you_mean(e.name, all));
    return type_id::error;
  }
  e.ref = Ref::builtin;
  e.index = static_cast<std::uint32_t>(spec->id);

  BuiltinCall call(*this, e, ce);
  if (spec->shape == ArgumentShape::list_and_field) {
    // f(L, name): the second argument names a field of L's items.
    if (e.args.size() != 2 || e.args[1].kind != ExprKind::name) {
      error(ce, e, Code::E204,
            fmt::format("`{}` takes a list and a field name, e.g. "
                        "`{}(assessments, function)`",
                        e.name, e.name));
      return type_id::error;
    }
    std::uint32_t l = check(e.args[0], ce, scope);
    if (is_error(l)) return l;
    const TypeDesc& t = T(l);
    if (!t.list || t.tag != TypeTag::record) {
      error(ce, e.args[0], Code::E204,
            fmt::format("`{}` needs a list of records, not {}", e.name, name(l)));
      return type_id::error;
    }
    const RecordLayout& r = p_.records[static_cast<std::size_t>(t.record)];
    auto f = std::find(r.names.begin(), r.names.end(), e.args[1].name);
    if (f == r.names.end()) {
      error(ce, e.args[1], Code::E202,
            fmt::format("items of {} have no field `{}`", r.path, e.args[1].name),
            did_you_mean(e.args[1].name, r.names));
      return type_id::error;
    }
    std::uint32_t fi = static_cast<std::uint32_t>(f - r.names.begin());
    e.args[1].ref = Ref::item_field;
    e.args[1].index = fi;
    e.args[1].type_id = r.type_ids[fi];
    call.types = {l, r.type_ids[fi]};
  } else {
    for (auto& a : e.args) {
      call.types.push_back(check(a, ce, scope));
      if (is_error(call.types.back())) return type_id::error;
    }
  }
  return spec->type(call);
}

}  // namespace mmi::check
