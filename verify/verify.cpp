// `mmi verify` (verify.hpp): builds one query per finding over the symbolic case, asks Z3, and
// replays every counterexample through the engine before calling anything violated: a model the
// engine disagrees with is reported as `unknown` (an encoding gap), never as a finding.
#include "verify/verify.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>

#include "engine/mmi.hpp"
#include "verify/encoder.hpp"

namespace mmi::verify {

namespace {

namespace fs = std::filesystem;

struct Finding {
  std::string policy;  // path
  std::string id;      // "property:cutoff_after_injury", "fires:statutory", …
  std::string title;
  std::string at;      // file:line:col
  std::string result;  // proved | violated | unknown | known_violation
  std::string detail;
  std::string cites;
  std::string case_yaml;                // the counterexample
  std::string case_path;                // where it was written
  std::string suite_entry;              // --suggest-tests
  std::vector<std::string> conditions;  // --against: the kinds of difference found
  double seconds = 0;
};

// One policy, checked and compiled, with its symbolic case and outcome.
struct Subject {
  std::string path;
  CheckedPolicy policy;
  std::shared_ptr<const Graph> graph;
};

std::string yaml_quote(const std::string& s) {
  return nlohmann::json(s).dump();
}

// The model's value of a scalar as YAML text, or nullopt when it cannot be written as a case value.
std::optional<std::string> scalar_text(const z3::model& m, const Sym& s, TypeTag tag) {
  z3::expr v = m.eval(s.v, true);
  switch (tag) {
    case TypeTag::boolean:
      return v.is_true() ? "true" : "false";
    case TypeTag::number:
      return decimal_text(v);
    case TypeTag::text:
    case TypeTag::enumeration:
      return yaml_quote(v.get_string());
    case TypeTag::date:
      return format_date(static_cast<DayNumber>(v.get_numeral_int64()));
    case TypeTag::duration:
      return std::to_string(v.get_numeral_int64());
    case TypeTag::period:
      return format_period(v.get_numeral_int64());
    default:
      return std::nullopt;
  }
}

// Writes the model as a case in the standard case model: only the facts it makes present.
std::optional<std::string> case_from_model(const z3::model& m, const CheckedPolicy& p,
                                           const SymCase& sc, const std::string& id) {
  YAML::Emitter unused;
  std::string out =
      fmt::format("id: {}\nas_of: {}\n", id,
                  format_date(static_cast<DayNumber>(m.eval(sc.as_of, true).get_numeral_int64())));
  // Group scalar facts by their top-level record.
  std::map<std::string, std::vector<std::string>> groups;
  std::vector<std::string> order;
  bool ok = true;
  auto field_lines = [&](const Sym& rec, std::uint32_t record, const std::string& indent) {
    std::string text;
    const RecordLayout& r = p.records[record];
    for (std::size_t f = 0; f < r.names.size(); ++f) {
      const Sym& s = rec.fields[f];
      if (!m.eval(s.present, true).is_true()) continue;
      auto v = scalar_text(m, s, p.types[r.type_ids[f]].tag);
      if (!v) ok = false;
      text += fmt::format("{}{}: {}\n", indent, r.names[f], v.value_or("?"));
    }
    return text;
  };
  for (std::size_t k = 0; k < p.facts.size(); ++k) {
    const FactInfo& f = p.facts[k];
    const Sym& s = sc.facts[k];
    if (f.shape == FactDecl::Shape::record) {
      std::string lines =
          field_lines(s, static_cast<std::uint32_t>(p.types[f.type_id].record), "  ");
      if (!lines.empty() && f.path.find('.') == std::string::npos)
        out += fmt::format("{}:\n{}", f.path, lines);
    } else if (f.shape == FactDecl::Shape::list) {
      auto len = m.eval(s.len, true).get_numeral_int64();
      if (len == 0) continue;
      out += f.path + ":\n";
      for (std::int64_t i = 0; i < len; ++i) {
        std::string lines = field_lines(s.items[static_cast<std::size_t>(i)],
                                        static_cast<std::uint32_t>(s.record), "    ");
        if (lines.empty()) lines = "    {}\n";
        lines.replace(0, 4, "  - ");
        out += lines;
      }
    } else if (f.path.find('.') == std::string::npos && m.eval(s.present, true).is_true()) {
      auto v = scalar_text(m, s, p.types[f.type_id].tag);
      if (!v) ok = false;
      out += fmt::format("{}: {}\n", f.path, v.value_or("?"));
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::string value_text(const Value& v) {
  switch (v.kind) {
    case Kind::date:
      return format_date(static_cast<DayNumber>(v.i));
    case Kind::text:
      return std::string(v.text, v.aux);
    case Kind::boolean:
      return v.b ? "true" : "false";
    case Kind::number:
      return v.as_number().to_string();
    case Kind::duration:
      return format_duration(v.i);
    case Kind::period:
      return format_period(v.i);
    case Kind::missing:
      return "null";
    default:
      return "?";
  }
}

// The model's prediction of the decision, in the engine's words.
struct Prediction {
  std::string status, mmi_date = "null", basis = "null", cutoff = "null";
};

std::string model_text(const z3::model& m, const Sym& s) {
  if (!m.eval(s.present, true).is_true()) return "null";
  if (s.tag == TypeTag::date)
    return format_date(static_cast<DayNumber>(m.eval(s.v, true).get_numeral_int64()));
  return m.eval(s.v, true).get_string();
}

Prediction predict(const z3::model& m, const SymOutcome& o) {
  Prediction p;
  p.status = m.eval(o.status.v, true).get_string();
  p.mmi_date = model_text(m, o.mmi_date);
  p.basis = model_text(m, o.basis);
  p.cutoff = model_text(m, o.cutoff);
  return p;
}

// Replaces `coverage_cutoff` and outputs named in a property by their expressions, so that the
// engine can evaluate the property as one more output.
void inline_decision_names(Expr& e, const CheckedPolicy& p) {
  if (e.kind == ExprKind::name && e.ref == Ref::decision_cutoff) {
    if (p.coverage_cutoff) {
      e = p.coverage_cutoff->expr;
    } else {
      e = Expr{};
      e.literal.kind = LiteralKind::missing;
    }
    return;
  }
  if (e.kind == ExprKind::name && e.ref == Ref::output) {
    e = p.outputs[e.index].expr.expr;
    return;
  }
  for (auto& a : e.args) inline_decision_names(a, p);
}

struct Replay {
  Outcome outcome;
  std::string error_at;
  std::optional<bool> property;  // the property's value under the engine (true/false/missing)
  Value property_value;
  std::string json;
};

// Runs the engine on a case text; with `holds`, also evaluates that property.
std::optional<Replay> replay(const Subject& s, const std::string& case_yaml, const Expr* holds) {
  std::shared_ptr<const Graph> graph = s.graph;
  if (holds) {
    CheckedPolicy copy = s.policy;
    CheckedExpr ce;
    ce.expr = *holds;
    inline_decision_names(ce.expr, s.policy);
    ce.type_id = type_id::boolean;
    copy.outputs.push_back({"__property", ce, {}});
    graph = compile_graph(std::move(copy));
  }
  Session session(graph);
  YAML::Node node = YAML::Load(case_yaml);
  CaseData& c = session.load_yaml(node);
  if (c.error) return std::nullopt;
  Replay r;
  r.outcome = session.evaluate();
  r.json = session.result_json();
  if (r.outcome.error) r.error_at = r.outcome.error->at + " " + r.outcome.error->message;
  if (holds) {
    r.property_value = r.outcome.outputs.back();
    if (r.property_value.kind == Kind::boolean) r.property = r.property_value.b;
  }
  return r;
}

std::string engine_text(const Subject& s, const Outcome& o) {
  return fmt::format("{} {} {} {}", to_string(o.status), value_text(o.mmi_date),
                     o.basis >= 0 ? s.policy.rules[static_cast<std::size_t>(o.basis)].id : "null",
                     value_text(o.coverage_cutoff));
}

std::string suite_entry(const Subject& s, const Finding& f, const Outcome& o,
                        const std::string& case_yaml) {
  std::string out = fmt::format("  - name: \"verify: {}\"\n    # {}\n    case:\n", f.id, f.detail);
  std::size_t start = 0;
  while (start < case_yaml.size()) {
    std::size_t end = case_yaml.find('\n', start);
    if (end == std::string::npos) end = case_yaml.size();
    out += "      " + case_yaml.substr(start, end - start) + "\n";
    start = end + 1;
  }
  out += fmt::format("    expect:\n      status: {}\n", to_string(o.status));
  if (o.status != Status::error) {
    out += fmt::format("      mmi_date: {}\n      basis: {}\n      coverage_cutoff: {}\n",
                       value_text(o.mmi_date),
                       o.basis >= 0 ? s.policy.rules[static_cast<std::size_t>(o.basis)].id : "null",
                       value_text(o.coverage_cutoff));
  }
  return out;
}

// The case's optional presences, list lengths, numbers and dates (each with when it is written),
// for a small, round counterexample.
struct Shape {
  std::vector<z3::expr> presences, lengths;
  std::vector<std::pair<z3::expr, z3::expr>> numbers, dates;  // value, written
};

void collect(const Sym& s, const z3::expr& written, Shape& out) {
  if (s.list) {
    out.lengths.push_back(s.len);
    for (std::size_t k = 0; k < s.items.size(); ++k)
      collect(s.items[k], written && s.len > static_cast<int>(k), out);
    return;
  }
  if (!s.fields.empty()) {
    for (const auto& f : s.fields) collect(f, written, out);
    return;
  }
  if (!s.present.is_true()) out.presences.push_back(s.present);
  if (s.tag == TypeTag::number) out.numbers.push_back({s.v, written && s.present});
  if (s.tag == TypeTag::date) out.dates.push_back({s.v, written && s.present});
}

z3::expr integral(const z3::expr& x) {
  Z3_ast a = Z3_mk_is_int(x.ctx(), x);
  x.check_error();
  return z3::expr(x.ctx(), a);
}

// Shrinks the solver's model (the solver has just answered sat) within `budget` seconds: first
// as few facts and list items as the solver allows, by unsat cores over "absent" / "at most k
// items" assumptions, then each number made whole or hundredths and each written date moved to
// the first of its year or month, where the solver still finds a case. Every step keeps the last
// satisfying model, so the result is always a model of the query.
z3::model small_model(z3::solver& solver, const SymCase& sc, double budget) {
  z3::context& c = solver.ctx();
  z3::model best = solver.get_model();
  auto t0 = std::chrono::steady_clock::now();
  auto left_ms = [&]() -> unsigned {
    double left =
        budget - std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return left <= 0 ? 0u : static_cast<unsigned>(left * 1000) + 1;
  };
  auto check = [&](const z3::expr_vector& assumptions) {
    unsigned ms = left_ms();
    if (ms == 0) return z3::unknown;
    z3::params params(c);
    params.set("timeout", ms);
    solver.set(params);
    return solver.check(assumptions);
  };
  Shape shape;
  for (const auto& f : sc.facts) collect(f, c.bool_val(true), shape);
  solver.push();
  // Phase 1: each wish (a fact absent, a list at most k items long) is assumed through its own
  // flag; an unsat core names wishes that cannot all hold, and one of them is given up (a list
  // then wishes for one item more).
  struct Wish {
    z3::expr flag;
    const z3::expr* length;  // a list's length, or null for a presence
    int items;
  };
  std::vector<Wish> wishes;
  auto wish = [&](const z3::expr& length_or_presence, bool is_length, int items) {
    z3::expr flag = c.bool_const(fmt::format("small#{}", wishes.size()).c_str());
    solver.add(z3::implies(flag, is_length ? length_or_presence <= items : !length_or_presence));
    wishes.push_back({flag, is_length ? &length_or_presence : nullptr, items});
  };
  for (const auto& l : shape.lengths) wish(l, true, 0);
  for (const auto& p : shape.presences) wish(p, false, 0);
  std::vector<bool> active(wishes.size(), true);
  for (;;) {
    z3::expr_vector assumptions(c);
    for (std::size_t k = 0; k < wishes.size(); ++k)
      if (active[k]) assumptions.push_back(wishes[k].flag);
    z3::check_result r = check(assumptions);
    if (r == z3::sat) {
      best = solver.get_model();
      for (std::size_t k = 0; k < wishes.size(); ++k)
        if (active[k]) solver.add(wishes[k].flag);
      break;
    }
    if (r != z3::unsat) break;
    z3::expr_vector core = solver.unsat_core();
    if (core.empty()) break;
    // Prefer giving up a presence over an item (an item costs more than a fact).
    std::size_t drop = wishes.size();
    for (const auto& lit : core)
      for (std::size_t k = 0; k < wishes.size(); ++k)
        if (active[k] && z3::eq(lit, wishes[k].flag) &&
            (drop == wishes.size() || (wishes[drop].length && !wishes[k].length)))
          drop = k;
    if (drop == wishes.size()) break;
    active[drop] = false;
    if (const z3::expr* length = wishes[drop].length; length && wishes[drop].items < 4)
      wish(*length, true, wishes[drop].items + 1), active.push_back(true);
  }
  // Phase 2: round values, one at a time, kept when the solver still finds a case.
  auto try_fix = [&](const z3::expr& condition) {
    z3::expr flag = c.bool_const(fmt::format("round#{}", wishes.size()).c_str());
    wishes.push_back({flag, nullptr, 0});
    solver.add(z3::implies(flag, condition));
    z3::expr_vector assumptions(c);
    assumptions.push_back(flag);
    if (check(assumptions) != z3::sat) return false;
    best = solver.get_model();
    solver.add(flag);
    return true;
  };
  // Numbers first: a number that is not a terminating decimal cannot be written as a case.
  for (const auto& [number, written] : shape.numbers) {
    if (left_ms() == 0) break;
    if (!best.eval(written, true).is_true()) continue;
    // Small whole numbers first, then hundredths; large ones only if nothing small will do.
    z3::expr small = number >= -1000000 && number <= 1000000;
    if (try_fix(small && integral(number)) || try_fix(small && integral(number * 100))) continue;
    if (!try_fix(integral(number))) try_fix(integral(number * 100));
  }
  std::vector<std::pair<z3::expr, z3::expr>> dates = shape.dates;
  dates.insert(dates.begin(), {sc.as_of, c.bool_val(true)});
  for (const auto& [date, written] : dates) {
    if (left_ms() == 0) break;
    if (!best.eval(written, true).is_true()) continue;
    auto day = static_cast<DayNumber>(best.eval(date, true).get_numeral_int64());
    CivilDate civil = civil_from_days(day);
    DayNumber year_start = days_from_civil(civil.year, 1, 1);  // the year the solver chose
    DayNumber month_start = days_from_civil(civil.year, civil.month, 1);
    // A value kept is fixed, so that the later steps' models do not move it again.
    if (try_fix(date == c.int_val(year_start)) || try_fix(date == c.int_val(month_start))) continue;
    solver.add(date == c.int_val(day));
  }
  // Out of budget with a number still unwritable: one last try, whatever the budget, for a
  // case whose written numbers all have at most six decimals.
  bool writable = true;
  z3::expr all_short = c.bool_val(true);
  for (const auto& [number, written] : shape.numbers) {
    if (!best.eval(written, true).is_true()) continue;
    all_short = all_short && z3::implies(written, integral(number * 1000000));
    writable = writable && best.eval(integral(number * 1000000), true).is_true();
  }
  if (!writable) {
    z3::params params(c);
    params.set("timeout", 2000u);
    solver.set(params);
    solver.add(all_short);
    if (solver.check() == z3::sat) best = solver.get_model();
  }
  solver.pop();
  return best;
}

// Throws Unsupported when a part the goal reads is not encoded.
void encoded(const std::string& poison) {
  if (!poison.empty()) throw Unsupported(poison);
}

class Verifier {
 public:
  Verifier(const VerifyOptions& o, Bounds b) : o_(o), b_(b) {}

  std::vector<Finding> findings;

  bool verify(const Subject& s, const Subject* other) {
    z3::context c;
    Encoder enc(c, s.policy, b_);
    SymCase sc(c);
    std::optional<SymOutcome> out;
    std::string setup_error;
    try {
      sc = enc.make_case();
      out = enc.run(sc);
    } catch (const Unsupported& u) {
      setup_error = u.what();
    }
    // What every query assumes: a loadable case within bounds, no assumption false.
    z3::expr_vector base(c);
    for (const auto& d : sc.domain) base.push_back(d);
    for (const auto& d : enc.side()) base.push_back(d);
    z3::expr_vector assumed(c);
    if (setup_error.empty()) {
      try {
        for (const auto& a : s.policy.assumptions) {
          Sym v = enc.eval(a.expr, sc, *out);
          assumed.push_back(!enc.is_false(v));
        }
      } catch (const Unsupported& u) {
        setup_error = std::string("in `assume`: ") + u.what();
      }
    }
    for (const auto& d : enc.side()) base.push_back(d);

    // Why a solver's case may not replay: the built-ins encoded by a bound, not exactly.
    auto bounded_note = [&]() {
      std::string note;
      for (const auto& name : enc.bounded())
        note += (note.empty() ? "; bounded, not encoded exactly: built-in `" : ", `") + name + "`";
      return note;
    };
    auto query = [&](Finding f, const std::function<z3::expr()>& goal, bool goal_is_violation,
                     const Expr* holds, const std::function<std::string(const Replay&)>& confirm) {
      auto t0 = std::chrono::steady_clock::now();
      if (!setup_error.empty()) {
        f.result = "unknown";
        f.detail = "not encoded: " + setup_error;
        return finish(f, t0);
      }
      z3::expr g(c);
      try {
        g = goal();
      } catch (const Unsupported& u) {
        f.result = "unknown";
        f.detail = std::string("not encoded: ") + u.what();
        return finish(f, t0);
      }
      z3::solver solver(c);
      z3::params params(c);
      params.set("timeout", static_cast<unsigned>(o_.timeout_seconds * 1000));
      solver.set(params);
      for (const auto& d : base) solver.add(d);
      for (const auto& d : enc.side()) solver.add(d);
      for (const auto& a : assumed) solver.add(a);
      solver.add(g);
      z3::check_result r = solver.check();
      if (r == z3::unknown) {
        f.result = "unknown";
        f.detail = "the solver gave up (" + solver.reason_unknown() + ")";
        return finish(f, t0);
      }
      if (r == z3::unsat) {
        f.result = goal_is_violation ? "proved" : "violated";
        if (!goal_is_violation) f.detail = "no case within the bounds can do this";
        return finish(f, t0);
      }
      // A witness (proved) is only replayed, never shown: shrunk only if it cannot be written.
      z3::model m =
          goal_is_violation ? small_model(solver, sc, minimise_budget()) : solver.get_model();
      auto text = case_from_model(m, s.policy, sc, "verify-" + sanitize(f.id));
      if (!text && !goal_is_violation) {
        m = small_model(solver, sc, minimise_budget());
        text = case_from_model(m, s.policy, sc, "verify-" + sanitize(f.id));
      }
      if (!text) {
        f.result = "unknown";
        f.detail = "the solver's case needs a number that is not a terminating decimal";
        return finish(f, t0);
      }
      Prediction p = predict(m, *out);
      auto rep = replay(s, *text, holds);
      if (!rep) {
        f.result = "unknown";
        f.detail = "the solver's case does not load (encoding gap)" + bounded_note();
        f.case_yaml = *text;
        return finish(f, t0);
      }
      // Compare only what is encoded: a part not encoded is taken from the engine.
      if (!out->cutoff_poison.empty()) p.cutoff = value_text(rep->outcome.coverage_cutoff);
      std::string engine = engine_text(s, rep->outcome);
      std::string model = fmt::format("{} {} {} {}", p.status, p.mmi_date, p.basis, p.cutoff);
      if (engine != model) {
        f.result = "unknown";
        f.detail = fmt::format("encoding gap: the solver predicted `{}`, the engine gives `{}`",
                               model, engine) +
                   bounded_note();
        f.case_yaml = *text;
        return finish(f, t0);
      }
      if (!goal_is_violation) {
        f.result = "proved";
        f.detail = "witness: " + model;
        return finish(f, t0);
      }
      std::string why = confirm(*rep);
      if (why.empty()) {
        f.result = "unknown";
        f.detail = "encoding gap: the engine does not show the violation on the solver's case" +
                   bounded_note();
        f.case_yaml = *text;
        return finish(f, t0);
      }
      f.result = "violated";
      f.detail = why;
      f.case_yaml = "# " + why + "\n# predicted: " + model + "\n" + *text;
      if (o_.suggest_tests) f.suite_entry = suite_entry(s, f, rep->outcome, *text);
      return finish(f, t0);
    };

    const CheckedPolicy& p = s.policy;
    // Built-in checks.
    for (std::uint32_t r = 0; r < p.rules.size(); ++r) {
      const CheckedRule& rule = p.rules[r];
      Finding f = base_finding(s, "fires:" + rule.id, "rule `" + rule.id + "` can fire",
                               rule.at.to_string());
      query(
          f,
          [&] {
            encoded(out->rule_poison[r]);
            return out->rules[r].fired;
          },
          false, nullptr, nullptr);
      Finding d = base_finding(s, "decides:" + rule.id, "rule `" + rule.id + "` can decide",
                               rule.at.to_string());
      query(
          d,
          [&] {
            encoded(out->decision_poison);
            return out->basis.present && out->basis.v == c.string_val(rule.id);
          },
          false, nullptr, nullptr);
    }
    std::optional<std::size_t> injury;
    for (std::size_t k = 0; k < p.facts.size(); ++k)
      if (p.facts[k].path == "injury.date" && p.facts[k].shape == FactDecl::Shape::scalar)
        injury = k;
    // A declared property with the check's id replaces it (and may carry cites and a mark).
    bool declared =
        std::any_of(p.properties.begin(), p.properties.end(),
                    [](const CheckedProperty& q) { return q.id == "cutoff_not_before_injury"; });
    if (p.coverage_cutoff && injury && !declared) {
      Finding f =
          base_finding(s, "cutoff_not_before_injury", "coverage_cutoff is never before injury.date",
                       p.coverage_cutoff->source.location().to_string());
      query(
          f,
          [&] {
            encoded(out->cutoff_poison);
            const Sym& inj = sc.facts[*injury];
            return out->cutoff.present && inj.present && out->cutoff.v < inj.v;
          },
          true, nullptr,
          [&](const Replay& r) -> std::string {
            const Value& cut = r.outcome.coverage_cutoff;
            if (cut.kind != Kind::date) return "";
            return fmt::format("coverage_cutoff {} is before injury.date", value_text(cut));
          });
    }
    Finding e = base_finding(s, "no_evaluation_error", "no evaluation error is reachable",
                             p.at.to_string());
    query(
        e,
        [&] {
          encoded(out->error_poison);
          return out->error;
        },
        true, nullptr,
        [&](const Replay& r) -> std::string {
          if (!r.outcome.error) return "";
          return fmt::format("{} at {}", r.outcome.error->message, r.outcome.error->at);
        });
    // Declared properties.
    for (const auto& prop : p.properties) {
      Finding f =
          base_finding(s, "property:" + prop.id,
                       prop.description.empty() ? prop.id : prop.description, prop.at.to_string());
      f.cites = prop.cites;
      std::size_t before = findings.size();
      query(
          f,
          [&] {
            Sym v = enc.eval(prop.holds.expr, sc, *out);
            return !enc.is_true(v);
          },
          true, &prop.holds.expr,
          [&](const Replay& r) -> std::string {
            if (r.property && *r.property) return "";
            return fmt::format("`{}` is {} ({})", prop.id, value_text(r.property_value),
                               engine_text(s, r.outcome));
          });
      if (prop.known_violation && findings.size() > before) {
        Finding& last = findings.back();
        if (last.result == "violated") {
          last.result = "known_violation";
          last.detail += " — known: " + *prop.known_violation;
        } else if (last.result == "proved") {
          last.result = "violated";
          last.detail = "marked known_violation but no longer violated: remove the mark";
        }
      }
    }
    if (other) diff(c, s, sc, *out, *other, base, assumed, enc);
    return true;
  }

 private:
  const VerifyOptions& o_;
  Bounds b_;

  // Seconds spent shrinking one counterexample: a bounded share of the finding's timeout.
  double minimise_budget() const { return std::min(o_.timeout_seconds / 2, 3.0); }

  static std::string sanitize(const std::string& id) {
    std::string out;
    for (char ch : id)
      out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') ? ch : '-';
    return out;
  }

  Finding base_finding(const Subject& s, std::string id, std::string title, std::string at) {
    Finding f;
    f.policy = s.path;
    f.id = std::move(id);
    f.title = std::move(title);
    f.at = std::move(at);
    return f;
  }

  void finish(Finding f, std::chrono::steady_clock::time_point t0) {
    f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!f.case_yaml.empty() && !o_.counterexamples.empty() && f.result != "proved") {
      fs::create_directories(o_.counterexamples);
      fs::path file = fs::path(o_.counterexamples) /
                      (fs::path(f.policy).stem().string() + "." + sanitize(f.id) +
                       (f.result == "unknown" ? ".unknown.yaml" : ".yaml"));  // a gap's case
      std::ofstream(file) << f.case_yaml;
      f.case_path = file.string();
    }
    findings.push_back(std::move(f));
  }

  // --against: the kinds of a difference, each a condition in words: the status and deciding rule
  // under each policy (and, for the cutoff, which one is earlier or missing). Enumerated by
  // blocking each kind found until the solver finds no other (the list is then complete) or the
  // budget runs out.
  std::vector<std::string> difference_kinds(z3::solver& solver, z3::model m, const SymOutcome& a,
                                            const SymOutcome& b, int kind,
                                            const std::string& other_path) {
    z3::context& c = solver.ctx();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> kinds;
    auto same = [&](const Sym& s) {
      if (!m.eval(s.present, true).is_true()) return !s.present;
      return s.present && s.v == m.eval(s.v, true);
    };
    auto decided = [&](const SymOutcome& o) {
      std::string status = m.eval(o.status.v, true).get_string();
      std::string basis = model_text(m, o.basis);
      return basis == "null" ? status : fmt::format("{} by `{}`", status, basis);
    };
    const Sym& ca = a.cutoff;
    const Sym& cb = b.cutoff;
    z3::expr relations[] = {ca.present && cb.present && ca.v < cb.v,
                            ca.present && cb.present && ca.v > cb.v, ca.present && !cb.present,
                            !ca.present && cb.present};
    const char* relation_text[] = {"earlier here", "later here", "only here",
                                   "only under the other"};
    for (int n = 0; n < 8; ++n) {
      std::string text = fmt::format("{} here, {} under {}", decided(a), decided(b), other_path);
      z3::expr block = same(a.status) && same(a.basis) && same(b.status) && same(b.basis);
      if (kind == 2) {
        for (int r = 0; r < 4; ++r) {
          if (!m.eval(relations[r], true).is_true()) continue;
          text = fmt::format("coverage_cutoff {}: {}", relation_text[r], text);
          block = block && relations[r];
        }
      }
      kinds.push_back(text);
      solver.add(!block);
      double left = minimise_budget() -
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      z3::params params(c);
      params.set("timeout", static_cast<unsigned>(std::max(left, 0.0) * 1000) + 1);
      solver.set(params);
      z3::check_result r = left > 0 ? solver.check() : z3::unknown;
      if (r == z3::unsat) return kinds;  // every kind is listed
      if (r != z3::sat) break;
      m = solver.get_model();
    }
    kinds.push_back("(maybe more: the search stopped)");
    return kinds;
  }

  // --against: one query per kind of difference (status, basis, cutoff).
  void diff(z3::context& c, const Subject& s, const SymCase& sc, const SymOutcome& out,
            const Subject& other, const z3::expr_vector& base, const z3::expr_vector& assumed,
            Encoder& enc) {
    Encoder enc2(c, other.policy, b_);
    std::optional<SymCase> sc2;
    std::optional<SymOutcome> out2;
    std::string why;
    try {
      sc2 = enc2.make_case();  // facts are Z3 constants named by path: shared with `sc`
      out2 = enc2.run(*sc2);
      encoded(out.decision_poison);
      encoded(out.cutoff_poison);
      encoded(out2->decision_poison);
      encoded(out2->cutoff_poison);
    } catch (const Unsupported& u) {
      why = u.what();
    }
    auto differs = [&](const Sym& a, const Sym& b) {
      return a.present != b.present || (a.present && b.present && a.v != b.v);
    };
    const char* kinds[] = {"status", "basis", "coverage_cutoff"};
    for (int k = 0; k < 3; ++k) {
      auto t0 = std::chrono::steady_clock::now();
      Finding f = base_finding(s, std::string("differs:") + kinds[k],
                               fmt::format("{} is the same under {}", kinds[k], other.path),
                               s.policy.at.to_string());
      if (!why.empty()) {
        f.result = "unknown";
        f.detail = "not encoded: " + why;
        finish(f, t0);
        continue;
      }
      z3::solver solver(c);
      z3::params params(c);
      params.set("timeout", static_cast<unsigned>(o_.timeout_seconds * 1000));
      solver.set(params);
      for (const auto& d : base) solver.add(d);
      for (const auto& d : sc2->domain) solver.add(d);
      for (const auto& d : enc2.side()) solver.add(d);
      for (const auto& a : assumed) solver.add(a);
      const Sym* a[] = {&out.status, &out.basis, &out.cutoff};
      const Sym* b[] = {&out2->status, &out2->basis, &out2->cutoff};
      solver.add(differs(*a[k], *b[k]));
      auto r = solver.check();
      if (r == z3::unsat) {
        f.result = "proved";
      } else if (r == z3::unknown) {
        f.result = "unknown";
        f.detail = "the solver gave up (" + solver.reason_unknown() + ")";
      } else {
        z3::model m = small_model(solver, sc, minimise_budget());
        auto text = case_from_model(m, s.policy, sc, "verify-differs-" + std::string(kinds[k]));
        auto r1 = text ? replay(s, *text, nullptr) : std::nullopt;
        auto r2 = text ? replay(other, *text, nullptr) : std::nullopt;
        if (!r1 || !r2) {
          f.result = "unknown";
          f.detail = "the solver's case cannot be written or loaded";
        } else {
          std::string e1 = engine_text(s, r1->outcome), e2 = engine_text(other, r2->outcome);
          f.result = e1 != e2 ? "violated" : "unknown";
          f.detail = fmt::format("{}: `{}` vs `{}`", e1 != e2 ? "differs" : "encoding gap", e1, e2);
          f.case_yaml = "# " + f.detail + "\n" + *text;
          if (e1 != e2) f.conditions = difference_kinds(solver, m, out, *out2, k, other.path);
        }
      }
      finish(f, t0);
    }
  }
};

std::optional<Bounds> parse_bounds(const VerifyOptions& o, std::string& error) {
  Bounds b;
  b.max_items = o.max_items;
  auto dots = o.date_range.find("..");
  if (dots == std::string::npos) return error = "--date-range must be FROM..TO", std::nullopt;
  auto from = parse_iso_date(o.date_range.substr(0, dots));
  auto to = parse_iso_date(o.date_range.substr(dots + 2));
  if (!from || !to || *from > *to)
    return error = "--date-range must be FROM..TO with ISO dates, FROM <= TO", std::nullopt;
  if (o.max_items < 0 || o.max_items > 4) return error = "--max-items must be 0 to 4", std::nullopt;
  b.first_day = *from;
  b.last_day = *to;
  return b;
}

std::optional<Subject> load_subject(const std::string& path) {
  DiagnosticList diags;
  auto checked = load_checked_policy(path, {}, diags);
  if (!checked || checked->is_module) {
    std::cerr << render_text(diags);
    if (checked) std::cerr << "mmi: " << path << " is a module (no `decision:`)\n";
    return std::nullopt;
  }
  Subject s{path, *checked, compile_graph(*checked)};
  return s;
}

void print_text(const std::vector<Finding>& fs, bool suggest) {
  int counts[4] = {0, 0, 0, 0};
  for (const auto& f : fs) {
    std::cout << fmt::format("{}: {}: {} — {}", f.at, f.result, f.id, f.title);
    if (!f.detail.empty()) std::cout << "\n    " << f.detail;
    if (!f.cites.empty()) std::cout << "\n    cites: " << f.cites;
    for (const auto& when : f.conditions) std::cout << "\n    when: " << when;
    if (!f.case_path.empty()) std::cout << "\n    counterexample: " << f.case_path;
    std::cout << "\n";
    if (!f.case_yaml.empty() && f.result != "proved") {
      std::size_t start = 0;
      while (start < f.case_yaml.size()) {
        std::size_t end = f.case_yaml.find('\n', start);
        if (end == std::string::npos) end = f.case_yaml.size();
        std::cout << "      | " << f.case_yaml.substr(start, end - start) << "\n";
        start = end + 1;
      }
    }
    if (suggest && !f.suite_entry.empty()) std::cout << "    suggested test:\n" << f.suite_entry;
    counts[f.result == "proved" ? 0 : f.result == "violated" ? 1 : f.result == "unknown" ? 2 : 3]++;
  }
  std::cout << fmt::format("{} proved, {} violated, {} unknown, {} known violations\n", counts[0],
                           counts[1], counts[2], counts[3]);
}

nlohmann::json to_json(const Finding& f) {
  nlohmann::json j = {{"policy", f.policy},  {"id", f.id},         {"title", f.title},
                      {"at", f.at},          {"result", f.result}, {"detail", f.detail},
                      {"seconds", f.seconds}};
  if (!f.cites.empty()) j["cites"] = f.cites;
  if (!f.conditions.empty()) j["conditions"] = f.conditions;
  if (!f.case_yaml.empty()) j["counterexample"] = f.case_yaml;
  if (!f.case_path.empty()) j["counterexample_file"] = f.case_path;
  if (!f.suite_entry.empty()) j["suggested_test"] = f.suite_entry;
  return j;
}

nlohmann::json to_sarif(const std::vector<Finding>& fs) {
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : fs) {
    if (f.result == "proved" || f.result == "known_violation") continue;
    // "file:line:col"
    std::string file = f.at;
    int line = 1, col = 1;
    auto c2 = file.rfind(':');
    auto c1 = c2 == std::string::npos ? c2 : file.rfind(':', c2 - 1);
    if (c1 != std::string::npos) {
      line = std::atoi(file.substr(c1 + 1, c2 - c1 - 1).c_str());
      col = std::atoi(file.substr(c2 + 1).c_str());
      file = file.substr(0, c1);
    }
    std::string message = f.result + ": " + f.title + ". " + f.detail;
    for (const auto& when : f.conditions) message += "\nwhen: " + when;
    results.push_back(
        {{"ruleId", f.id},
         {"level", f.result == "violated" ? "error" : "warning"},
         {"message", {{"text", message}}},
         {"locations",
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", file}}},
              {"region",
               {{"startLine", std::max(line, 1)}, {"startColumn", std::max(col, 1)}}}}}}}}});
  }
  return {{"version", "2.1.0"},
          {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"runs", {{{"tool", {{"driver", {{"name", "mmi verify"}}}}}, {"results", results}}}}};
}

}  // namespace

int run_verify(const VerifyOptions& options) {
  std::string error;
  auto bounds = parse_bounds(options, error);
  if (!bounds) {
    std::cerr << "mmi: " << error << "\n";
    return 2;
  }
  std::optional<Subject> other;
  if (!options.against.empty()) {
    other = load_subject(options.against);
    if (!other) return 2;
  }
  Verifier v(options, *bounds);
  for (const auto& path : options.policies) {
    auto s = load_subject(path);
    if (!s) return 2;
    v.verify(*s, other ? &*other : nullptr);
  }
  if (options.format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& f : v.findings) j.push_back(to_json(f));
    std::cout << j.dump(2) << "\n";
  } else if (options.format == "sarif") {
    std::cout << to_sarif(v.findings).dump(2) << "\n";
  } else {
    print_text(v.findings, options.suggest_tests);
  }
  for (const auto& f : v.findings)
    if (f.result == "violated" || f.result == "unknown") return 1;
  return 0;
}

}  // namespace mmi::verify
