// Internal to verify/: a checked policy as Z3 formulas over a symbolic case. Mirrors the evaluator
// (engine/evaluator.cpp, engine/builtins.cpp, engine/case_model.cpp) one construct at a time:
// every value is `present` + `err` + a value (Kleene logic over `missing`, errors propagated as
// the evaluator does), dates/durations/periods are integers, numbers are exact rationals, lists
// are at most `max_items` items with a length. A construct not encoded throws Unsupported naming
// it, so that a finding reads `unknown` rather than a wrong `proved`.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules/checked_policy.hpp"

namespace mmi::verify {

struct Bounds {
  int max_items = 3;
  DayNumber first_day = 0;  // dates of facts and as_of lie in [first_day, last_day]
  DayNumber last_day = 0;
};

struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A symbolic value of one type. Scalars use `v`; records `fields`; lists `items` and `len`.
struct Sym {
  TypeTag tag = TypeTag::any;
  bool list = false;
  std::int32_t record = -1;
  z3::expr present, err, v, len;
  std::vector<Sym> fields, items;
  explicit Sym(z3::context& c)
      : present(c.bool_val(false)),
        err(c.bool_val(false)),
        v(c.bool_val(false)),
        len(c.int_val(0)) {}
};

// The symbolic case: one Z3 constant per fact slot, shared by name across encoders (--against).
struct SymCase {
  z3::expr as_of;
  std::vector<Sym> facts;  // per CheckedPolicy::facts (scalars, records and lists)
  z3::expr_vector domain;  // what every loadable case satisfies
  explicit SymCase(z3::context& c) : as_of(c), domain(c) {}
};

// What a policy decides for the symbolic case.
struct SymRule {
  z3::expr fired, not_fired, err;
  Sym date;
  explicit SymRule(z3::context& c)
      : fired(c.bool_val(false)), not_fired(c.bool_val(false)), err(c.bool_val(false)), date(c) {}
};

struct SymOutcome {
  z3::expr error;  // the case's status is `error`
  Sym status, mmi_date, basis, cutoff;
  std::vector<Sym> lets, outputs;
  std::vector<SymRule> rules;
  // Parts the encoding does not cover (empty: encoded), named for `unknown` findings. Reading a
  // poisoned part throws Unsupported with its reason.
  std::vector<std::string> let_poison, rule_poison, output_poison;
  std::string decision_poison, cutoff_poison, error_poison;
  explicit SymOutcome(z3::context& c)
      : error(c.bool_val(false)), status(c), mmi_date(c), basis(c), cutoff(c) {}
};

class Encoder {
 public:
  Encoder(z3::context& c, const CheckedPolicy& p, Bounds b) : c_(c), p_(p), b_(b), side_(c) {}

  SymCase make_case();
  SymOutcome run(const SymCase& sc);
  // An expression of the policy (an assumption or a property) against a decided case.
  Sym eval(const Expr& e, const SymCase& sc, const SymOutcome& out);

  z3::expr is_true(const Sym& s) const { return s.present && !s.err && s.v; }
  z3::expr is_false(const Sym& s) const { return s.present && !s.err && !s.v; }
  z3::context& ctx() { return c_; }
  // Definitions of the helper constants some built-ins introduce; assert them with the case.
  const z3::expr_vector& side() const { return side_; }
  // Built-ins encoded by a sound bound rather than exactly (their value is any within it): a
  // proof still holds, a case that depends on the bound may not replay (then `unknown`).
  const std::vector<std::string>& bounded() const { return bounded_; }

 private:
  struct Civil {
    z3::expr year, month, day;
  };
  z3::context& c_;
  const CheckedPolicy& p_;
  Bounds b_;
  const SymCase* sc_ = nullptr;
  SymOutcome* out_ = nullptr;
  std::vector<Sym> items_;  // enclosing `where` items, innermost last
  int fresh_ = 0;
  int instance_ = -1;  // set on the first fresh name
  std::string fresh_name(const char* what);
  z3::expr_vector side_;
  std::vector<std::string> bounded_;
  std::map<unsigned, Civil> civil_;  // by the day term's id
  std::vector<z3::expr> civil_keys_;

  Sym scalar_var(const std::string& name, std::uint32_t type_id, bool required,
                 z3::expr_vector& domain);
  Sym record_var(const std::string& prefix, std::uint32_t record, z3::expr_vector& domain);
  Sym missing() { return Sym(c_); }
  Sym error_if(Sym s, const z3::expr& e);
  Sym merge(const z3::expr& cond, const Sym& a, const Sym& b);
  Sym boolean(const z3::expr& present, const z3::expr& v);
  Sym of(TypeTag tag, const z3::expr& v);
  Sym date_checked(const z3::expr& day);
  Sym benefit_periods(const FactInfo& f, const Sym& given);
  Sym parameter(std::uint32_t index, const z3::expr& day);
  z3::expr literal_value(const Literal& l, TypeTag& tag);
  z3::expr compare(ExprKind k, const Sym& x, const Sym& y);
  z3::expr equal(const Sym& x, const Sym& y);
  Sym strict2(const Sym& x, const Sym& y, TypeTag tag, const z3::expr& v);
  Sym arithmetic(const Expr& e, const Sym& x, const Sym& y);
  Sym scale(const Sym& span, const z3::expr& factor, TypeTag tag);
  z3::expr map_numerals(const z3::expr& x, const std::function<z3::expr(const z3::expr&)>& f,
                        const char* what);
  z3::expr leap_year(const z3::expr& year);
  z3::expr days_in_month(const z3::expr& year, const z3::expr& month);
  z3::expr days_from_civil_expr(const z3::expr& year, const z3::expr& month, const z3::expr& day);
  const Civil& civil(const z3::expr& day);
  Sym add_months(const z3::expr& day, const z3::expr& months);
  Sym compact(const Sym& list, const std::vector<z3::expr>& keep);
  Sym enc(const Expr& e);
  Sym call(const Expr& e);
  std::vector<Sym> elements(const Sym& s);  // a list's items or a scalar as one
  z3::expr covered_before(const Expr& e, const Sym& list, const z3::expr& before);
  void rule(std::uint32_t r);
  void decide();
};

// A Z3 rational as an exact decimal text, or nullopt if it does not terminate.
std::optional<std::string> decimal_text(const z3::expr& rational);

}  // namespace mmi::verify
