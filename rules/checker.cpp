// Stages 3 and 4: parse every expression of a merged policy, resolve every name, type every
// expression (language.md §3–§7), order lets and rules topologically (naming any cycle), and
// warn about unused declarations and suspicious rules.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "rules/builtins.hpp"
#include "rules/checked_policy.hpp"
#include "rules/yaml_util.hpp"

namespace mmi {


std::string CheckedPolicy::type_name(std::uint32_t id) const {
  if (id >= types.size()) return "?";
  const TypeDesc& t = types[id];
  std::string base;
  switch (t.tag) {
    case TypeTag::error:
      base = "error";
      break;
    case TypeTag::any:
      base = "missing";
      break;
    case TypeTag::boolean:
      base = "bool";
      break;
    case TypeTag::number:
      base = "number";
      break;
    case TypeTag::text:
      base = "text";
      break;
    case TypeTag::date:
      base = "date";
      break;
    case TypeTag::duration:
      base = "duration";
      break;
    case TypeTag::period:
      base = "period";
      break;
    case TypeTag::enumeration: {
      base = "enum(";
      const auto& values = enums[static_cast<std::size_t>(t.enumeration)];
      for (std::size_t i = 0; i < values.size(); ++i) base += (i ? ", " : "") + values[i];
      base += ")";
      break;
    }
    case TypeTag::record:
      base = "record " + records[static_cast<std::size_t>(t.record)].path;
      break;
  }
  return t.list ? "list of " + base : base;
}

namespace {

std::string literal_to_string(const Literal& l) {
  switch (l.kind) {
    case LiteralKind::number:
      return l.number.to_string();
    case LiteralKind::text:
      return "\"" + l.text + "\"";
    case LiteralKind::boolean:
      return l.integer ? "true" : "false";
    case LiteralKind::date:
      return format_date(static_cast<DayNumber>(l.integer));
    case LiteralKind::duration:
      return fmt::format("{} days", l.integer);
    case LiteralKind::period:
      return fmt::format("{} months", l.integer);
    case LiteralKind::missing:
      return "missing";
  }
  return "?";
}

}  // namespace

std::string expr_to_string(const Expr& e) {
  auto arg = [&](std::size_t i) {
    const Expr& a = e.args[i];
    bool simple = a.kind == ExprKind::literal || a.kind == ExprKind::name ||
                  a.kind == ExprKind::field || a.kind == ExprKind::call || a.kind == ExprKind::list;
    return simple ? expr_to_string(a) : "(" + expr_to_string(a) + ")";
  };
  switch (e.kind) {
    case ExprKind::literal:
      return literal_to_string(e.literal);
    case ExprKind::name:
      return e.name;
    case ExprKind::field:
      return arg(0) + "." + e.name;
    case ExprKind::call: {
      std::string s = e.name + "(";
      for (std::size_t i = 0; i < e.args.size(); ++i)
        s += (i ? ", " : "") + expr_to_string(e.args[i]);
      return s + ")";
    }
    case ExprKind::list: {
      std::string s = "[";
      for (std::size_t i = 0; i < e.args.size(); ++i)
        s += (i ? ", " : "") + expr_to_string(e.args[i]);
      return s + "]";
    }
    case ExprKind::neg:
      return "-" + arg(0);
    case ExprKind::not_:
      return "not " + arg(0);
    case ExprKind::if_:
      return "if " + arg(0) + " then " + arg(1) + " else " + arg(2);
    case ExprKind::between:
      return arg(0) + " between " + arg(1) + " and " + arg(2);
    case ExprKind::is_missing:
      return arg(0) + " is missing";
    case ExprKind::is_present:
      return arg(0) + " is present";
    default:
      return arg(0) + " " + expr_kind_symbol(e.kind) + " " + arg(1);
  }
}

namespace {

struct Scope {
  std::vector<std::uint32_t> items;  // record index of each enclosing `where` item, outermost first
  bool decision = false;
};

class Checker {
 public:
  Checker(const MergedPolicy& merged, const CheckOptions& options, DiagnosticList& diags)
      : m_(merged), options_(options), diags_(diags) {}

  std::optional<CheckedPolicy> run() {
    p_.path = m_.path;
    p_.at = m_.at;
    p_.policy_id = m_.policy_id;
    p_.title = m_.title;
    p_.insurer = m_.insurer;
    p_.jurisdiction = m_.jurisdiction;
    p_.line = m_.line;
    p_.version = m_.version;
    p_.definition = m_.definition;
    p_.digest = m_.digest;
    p_.effective = m_.effective;
    p_.expires = m_.expires;
    p_.is_module = m_.is_module;
    p_.types.resize(8);
    const TypeTag basics[] = {TypeTag::error, TypeTag::any,  TypeTag::boolean,  TypeTag::number,
                              TypeTag::text,  TypeTag::date, TypeTag::duration, TypeTag::period};
    for (int i = 0; i < 8; ++i) p_.types[i].tag = basics[i];
    p_.status_enum_type = enum_type({"reached", "not_reached", "undetermined", "error"});

    build_facts();
    build_parameters();
    apply_overrides();
    check_name_clashes();
    parse_bodies();
    order_graph();
    check_bodies();
    check_decision();
    if (options_.warnings) warn();
    if (diags_.has_errors() && !options_.keep_on_errors) return std::nullopt;
    return std::move(p_);
  }

 private:
  const MergedPolicy& m_;
  const CheckOptions& options_;
  DiagnosticList& diags_;
  CheckedPolicy p_;
  std::unordered_map<std::string, std::uint32_t> fact_by_path_, top_fact_, param_, let_, rule_;
  std::vector<bool> fact_used_, param_used_, let_used_;
  std::vector<bool> let_ok_;  // parsed and not in a cycle
  std::vector<bool> let_typed_;

  // ---- types ----------------------------------------------------------------------------
  std::uint32_t intern(TypeDesc t) {
    for (std::uint32_t i = 0; i < p_.types.size(); ++i) {
      const TypeDesc& u = p_.types[i];
      if (u.tag == t.tag && u.list == t.list && u.record == t.record &&
          u.enumeration == t.enumeration)
        return i;
    }
    p_.types.push_back(t);
    return static_cast<std::uint32_t>(p_.types.size() - 1);
  }
  std::uint32_t enum_type(const std::vector<std::string>& values) {
    std::int32_t idx = -1;
    for (std::size_t i = 0; i < p_.enums.size(); ++i)
      if (p_.enums[i] == values) idx = static_cast<std::int32_t>(i);
    if (idx < 0) {
      p_.enums.push_back(values);
      idx = static_cast<std::int32_t>(p_.enums.size() - 1);
    }
    return intern({TypeTag::enumeration, false, -1, idx});
  }
  const TypeDesc& T(std::uint32_t id) const { return p_.types[id]; }
  std::uint32_t list_of(std::uint32_t id) {
    TypeDesc t = T(id);
    if (t.tag == TypeTag::any) return type_id::any;
    t.list = true;
    return intern(t);
  }
  std::uint32_t element_of(std::uint32_t id) {
    TypeDesc t = T(id);
    t.list = false;
    return intern(t);
  }
  bool is(std::uint32_t id, TypeTag tag) const { return !T(id).list && T(id).tag == tag; }
  bool is_any(std::uint32_t id) const { return T(id).tag == TypeTag::any; }
  bool is_error(std::uint32_t id) const { return T(id).tag == TypeTag::error; }
  bool is_list(std::uint32_t id) const { return T(id).list; }
  bool is_textual(std::uint32_t id) const {
    return is(id, TypeTag::text) || is(id, TypeTag::enumeration);
  }
  std::string name(std::uint32_t id) const { return p_.type_name(id); }

  // The common type of two operands, or error.
  std::uint32_t unify(std::uint32_t a, std::uint32_t b) {
    if (is_any(a)) return b;
    if (is_any(b)) return a;
    if (a == b) return a;
    if (is_error(a) || is_error(b)) return type_id::error;
    if (is_textual(a) && is_textual(b)) return type_id::text;
    return type_id::error;
  }

  static std::uint32_t scalar_type(const FactDecl& f) {
    switch (f.type) {
      case ScalarType::boolean:
        return type_id::boolean;
      case ScalarType::number:
        return type_id::number;
      case ScalarType::text:
        return type_id::text;
      case ScalarType::date:
        return type_id::date;
      case ScalarType::duration:
        return type_id::duration;
      case ScalarType::period:
        return type_id::period;
      case ScalarType::enumeration:
        return 0;
    }
    return 0;
  }
  std::uint32_t fact_scalar_type(const FactDecl& f) {
    return f.type == ScalarType::enumeration ? enum_type(f.enum_values) : scalar_type(f);
  }

  // ---- facts ----------------------------------------------------------------------------
  std::uint32_t build_record(const std::vector<FactDecl>& fields, const std::string& path,
                             std::uint32_t& next_slot, bool top_level, const std::string& prefix) {
    std::uint32_t index = static_cast<std::uint32_t>(p_.records.size());
    p_.records.emplace_back();
    p_.records[index].path = path;
    std::uint32_t base = next_slot;
    for (const auto& f : fields) {
      std::uint32_t type = 0;
      std::uint32_t offset = next_slot - base;
      std::int32_t fact_index = -1;
      std::string fpath = prefix + f.name;
      if (top_level) {
        fact_index = static_cast<std::int32_t>(p_.facts.size());
        FactInfo info;
        info.path = fpath;
        info.shape = f.shape;
        info.required = f.required;
        info.at = f.at;
        info.from_top = f.at.path == m_.path;
        p_.facts.push_back(info);
        fact_by_path_[fpath] = static_cast<std::uint32_t>(fact_index);
      }
      if (f.shape == FactDecl::Shape::scalar) {
        type = fact_scalar_type(f);
        ++next_slot;
      } else if (f.shape == FactDecl::Shape::record) {
        std::uint32_t sub = build_record(f.fields, fpath, next_slot, top_level, fpath + ".");
        type = intern({TypeTag::record, false, static_cast<std::int32_t>(sub), -1});
      } else {
        std::uint32_t item_slots = 0;
        std::uint32_t sub = build_record(f.fields, fpath + "[]", item_slots, false, "");
        type = intern({TypeTag::record, true, static_cast<std::int32_t>(sub), -1});
        offset = 0;
        if (top_level) {
          p_.facts[static_cast<std::size_t>(fact_index)].list_index =
              static_cast<std::uint32_t>(p_.lists.size());
          p_.lists.push_back({fpath, sub, static_cast<std::uint32_t>(fact_index)});
        }
      }
      if (top_level) {
        FactInfo& info = p_.facts[static_cast<std::size_t>(fact_index)];
        info.type_id = type;
        info.slot = base + offset;
      }
      RecordLayout& r = p_.records[index];
      r.names.push_back(f.name);
      r.type_ids.push_back(type);
      r.offsets.push_back(offset);
      r.facts.push_back(fact_index);
      r.required.push_back(f.required);
      if (f.name == "date" && type == type_id::date)
        r.date_field = static_cast<std::int32_t>(r.names.size() - 1);
    }
    p_.records[index].width = next_slot - base;
    return index;
  }

  void build_facts() {
    std::uint32_t slots = 0;
    p_.root_record = build_record(m_.facts, "", slots, true, "");
    p_.slot_count = slots;
    for (std::uint32_t i = 0; i < p_.facts.size(); ++i)
      if (p_.facts[i].path.find('.') == std::string::npos) top_fact_[p_.facts[i].path] = i;
    fact_used_.assign(p_.facts.size(), false);
  }

  // ---- parameters -----------------------------------------------------------------------
  static std::uint32_t literal_type(const Literal& l) {
    switch (l.kind) {
      case LiteralKind::number:
        return type_id::number;
      case LiteralKind::text:
        return type_id::text;
      case LiteralKind::boolean:
        return type_id::boolean;
      case LiteralKind::date:
        return type_id::date;
      case LiteralKind::duration:
        return type_id::duration;
      case LiteralKind::period:
        return type_id::period;
      case LiteralKind::missing:
        return type_id::any;
    }
    return type_id::error;
  }

  // A parameter value: a literal expression, or YAML-quoted text.
  std::optional<Literal> parameter_literal(const ExprSource& src, const std::string& what) {
    DiagnosticList local;
    auto parsed = parse_expression(src, local);
    bool yaml_quoted = false;
    if (src.file()) {
      SourceLocation at = src.location();
      auto line = src.file()->line(at.line);
      if (at.column >= 1 && at.column <= line.size()) {
        char c = line[at.column - 1];
        yaml_quoted = c == '"' || c == '\'';
      }
    }
    if (parsed.ok && parsed.expr.kind == ExprKind::literal &&
        parsed.expr.literal.kind != LiteralKind::missing)
      return parsed.expr.literal;
    if (yaml_quoted || (!src.file() && !parsed.ok)) {
      Literal l;
      l.kind = LiteralKind::text;
      l.text = src.text();
      return l;
    }
    if (!parsed.ok) {
      diags_.append(local);
      return std::nullopt;
    }
    diags_.error(Code::E015,
                 fmt::format("{} must be a literal (a number, percent, duration, period, date, "
                             "bool or quoted text)",
                             what),
                 src.location());
    return std::nullopt;
  }

  void build_parameters() {
    for (const auto& decl : m_.parameters) {
      CheckedParameter p;
      p.name = decl.name;
      p.description = decl.description;
      p.at = decl.at;
      bool ok = true;
      if (decl.value) {
        auto lit = parameter_literal(*decl.value, "parameter `" + decl.name + "`");
        if (!lit)
          ok = false;
        else {
          p.value = *lit;
          p.type_id = literal_type(*lit);
        }
      } else {
        std::uint32_t type = type_id::any;
        for (const auto& step : decl.series) {
          auto lit = parameter_literal(step.value, "parameter `" + decl.name + "`");
          if (!lit) {
            ok = false;
            continue;
          }
          std::uint32_t t = literal_type(*lit);
          if (type != type_id::any && t != type) {
            diags_.error(Code::E015,
                         fmt::format("every value of the series `{}` must have one type; this is "
                                     "{} but earlier values are {}",
                                     decl.name, name(t), name(type)),
                         step.value.location());
            ok = false;
          }
          type = t;
          p.series.push_back({step.from, *lit});
        }
        p.type_id = type;
      }
      if (!ok) p.type_id = type_id::error;
      param_[p.name] = static_cast<std::uint32_t>(p_.parameters.size());
      p_.parameters.push_back(std::move(p));
    }
    param_used_.assign(p_.parameters.size(), false);
  }

  void apply_overrides() {
    std::vector<std::string> names;
    for (const auto& p : p_.parameters) names.push_back(p.name);
    for (const auto& [pname, text] : options_.overrides) {
      auto it = param_.find(pname);
      SourceLocation at{nullptr, "--set " + pname};
      if (it == param_.end()) {
        diags_.error(Code::E405, fmt::format("no parameter `{}` to set", pname), at,
                     did_you_mean(pname, names));
        continue;
      }
      CheckedParameter& p = p_.parameters[it->second];
      std::optional<Literal> lit;
      if (p.type_id == type_id::text) {
        // A text parameter takes the value as written (quotes optional on the command line).
        DiagnosticList ignored;
        auto parsed = parse_expression_text(text, "--set", ignored);
        lit.emplace();
        lit->kind = LiteralKind::text;
        lit->text = parsed.ok && parsed.expr.kind == ExprKind::literal &&
                            parsed.expr.literal.kind == LiteralKind::text
                        ? parsed.expr.literal.text
                        : text;
      } else {
        lit = parameter_literal(ExprSource::detached(text, "--set " + pname),
                                "the value of `" + pname + "`");
      }
      if (!lit) continue;
      std::uint32_t t = literal_type(*lit);
      if (t != p.type_id && !is_error(p.type_id)) {
        diags_.error(
            Code::E405, fmt::format("`{}` is {} but `{}` is {}", pname, name(p.type_id), text, name(t)),
            at);
        continue;
      }
      p.value = *lit;
      p.series.clear();
      p.overridden = true;
    }
  }

  void check_name_clashes() {
    auto clash = [&](const std::string& n, const SourceLocation& at, const char* what) {
      std::vector<std::string> owners;
      if (top_fact_.count(n)) owners.push_back("a fact");
      if (param_.count(n)) owners.push_back("a parameter");
      if (n == "as_of") owners.push_back("the evaluation date");
      if (owners.size() > 0)
        diags_.error(Code::E022, fmt::format("{} `{}` has the name of {}", what, n, owners.front()),
                     at);
    };
    for (const auto& p : p_.parameters) {
      if (p.name == "as_of")
        diags_.error(Code::E022, "parameter `as_of` has the name of the evaluation date", p.at);
      else if (top_fact_.count(p.name))
        diags_.error(Code::E022, fmt::format("parameter `{}` has the name of a fact", p.name), p.at);
    }
    for (const auto& l : m_.lets) clash(l.name, l.at, "let");
  }

  // ---- expressions ----------------------------------------------------------------------
  std::optional<CheckedExpr> parse(const ExprSource& src) {
    auto r = parse_expression(src, diags_);
    if (!r.ok) return std::nullopt;
    return CheckedExpr{std::move(r.expr), src, type_id::error};
  }

  std::vector<std::optional<CheckedExpr>> let_bodies_;
  struct RuleBodies {
    std::optional<CheckedExpr> when, date, unless;
  };
  std::vector<RuleBodies> rule_bodies_;

  void parse_bodies() {
    for (std::uint32_t i = 0; i < m_.lets.size(); ++i) {
      let_[m_.lets[i].name] = i;
      let_bodies_.push_back(parse(m_.lets[i].expr));
    }
    for (std::uint32_t i = 0; i < m_.rules.size(); ++i) {
      const RuleDecl& r = m_.rules[i];
      rule_[r.id] = i;
      RuleBodies b;
      if (r.when) b.when = parse(*r.when);
      if (r.mmi_date) b.date = parse(*r.mmi_date);
      if (r.unless) b.unless = parse(*r.unless);
      rule_bodies_.push_back(std::move(b));
    }
    let_ok_.assign(m_.lets.size(), true);
    let_typed_.assign(m_.lets.size(), false);
    let_used_.assign(m_.lets.size(), false);
    for (std::uint32_t i = 0; i < m_.lets.size(); ++i) let_ok_[i] = let_bodies_[i].has_value();
  }

  // Names of lets and rules an expression mentions (syntactically), for the evaluation order.
  void collect_deps(const Expr& e, std::vector<std::uint32_t>& out) const {
    if (e.kind == ExprKind::name) {
      auto it = let_.find(e.name);
      if (it != let_.end()) out.push_back(it->second);
    } else if (e.kind == ExprKind::call && (e.name == "fired" || e.name == "mmi_date") &&
               e.args.size() == 1 && e.args[0].kind == ExprKind::name) {
      auto it = rule_.find(e.args[0].name);
      if (it != rule_.end()) out.push_back(static_cast<std::uint32_t>(m_.lets.size()) + it->second);
      return;
    }
    for (const auto& a : e.args) collect_deps(a, out);
  }

  std::string node_name(std::uint32_t n) const {
    return n < m_.lets.size() ? "let " + m_.lets[n].name
                              : "rule " + m_.rules[n - m_.lets.size()].id;
  }
  SourceLocation node_at(std::uint32_t n) const {
    return n < m_.lets.size() ? m_.lets[n].at : m_.rules[n - m_.lets.size()].at;
  }

  void order_graph() {
    std::uint32_t nl = static_cast<std::uint32_t>(m_.lets.size());
    std::uint32_t n = nl + static_cast<std::uint32_t>(m_.rules.size());
    std::vector<std::vector<std::uint32_t>> deps(n);
    for (std::uint32_t i = 0; i < nl; ++i)
      if (let_bodies_[i]) collect_deps(let_bodies_[i]->expr, deps[i]);
    for (std::uint32_t i = 0; i < m_.rules.size(); ++i) {
      auto& d = deps[nl + i];
      const auto& b = rule_bodies_[i];
      if (b.when) collect_deps(b.when->expr, d);
      if (b.date) collect_deps(b.date->expr, d);
      if (b.unless) collect_deps(b.unless->expr, d);
    }
    for (auto& d : deps) {
      std::sort(d.begin(), d.end());
      d.erase(std::unique(d.begin(), d.end()), d.end());
      // A let named by another is used, even when a cycle stops it being type-checked.
      for (auto x : d)
        if (x < nl) let_used_[x] = true;
    }
    // Kahn's algorithm, iterative so that long chains cannot exhaust the stack.
    std::vector<std::vector<std::uint32_t>> users(n);
    std::vector<std::uint32_t> pending(n, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      pending[i] = static_cast<std::uint32_t>(deps[i].size());
      for (auto d : deps[i]) users[d].push_back(i);
    }
    std::deque<std::uint32_t> ready;
    for (std::uint32_t i = 0; i < n; ++i)
      if (pending[i] == 0) ready.push_back(i);
    std::vector<bool> placed(n, false);
    while (!ready.empty()) {
      std::uint32_t i = ready.front();
      ready.pop_front();
      placed[i] = true;
      if (i < nl)
        p_.order.push_back({GraphStep::Kind::let, i});
      else
        p_.order.push_back({GraphStep::Kind::rule, i - nl});
      for (auto u : users[i])
        if (--pending[u] == 0) ready.push_back(u);
    }
    // Whatever is left sits on or behind a cycle: report each cycle once, by walking it.
    std::vector<bool> reported(n, false);
    for (std::uint32_t start = 0; start < n; ++start) {
      if (placed[start] || reported[start]) continue;
      std::vector<std::uint32_t> path;
      std::unordered_map<std::uint32_t, std::size_t> seen;
      std::uint32_t cur = start;
      while (!seen.count(cur)) {
        seen[cur] = path.size();
        path.push_back(cur);
        std::uint32_t next = cur;
        for (auto d : deps[cur])
          if (!placed[d]) {
            next = d;
            break;
          }
        cur = next;
      }
      std::vector<std::uint32_t> cycle(path.begin() + static_cast<std::ptrdiff_t>(seen[cur]),
                                       path.end());
      bool fresh = std::none_of(cycle.begin(), cycle.end(), [&](auto c) { return reported[c]; });
      for (auto c : path) reported[c] = true;
      if (!fresh) continue;
      std::string text;
      for (auto c : cycle) text += node_name(c) + " → ";
      text += node_name(cycle.front());
      diags_.error(Code::E206, "cycle: " + text, node_at(cycle.front()));
    }
    for (std::uint32_t i = 0; i < nl; ++i)
      if (!placed[i]) let_ok_[i] = false;
  }

  // Type of a let, checking it on first use (order_graph put dependencies first).
  std::uint32_t let_type(std::uint32_t i) {
    if (!let_ok_[i] || !let_typed_[i]) return type_id::error;
    return let_bodies_[i]->type_id;
  }

  void check_bodies() {
    // Lets and rules in dependency order, so every reference sees a typed target.
    std::vector<bool> rule_checked(m_.rules.size(), false);
    for (const auto& step : p_.order) {
      if (step.kind == GraphStep::Kind::let) {
        auto& body = let_bodies_[step.index];
        if (!body) continue;
        Scope scope;
        body->type_id = check(body->expr, *body, scope);
        let_typed_[step.index] = true;
        if (is_error(body->type_id)) let_ok_[step.index] = false;
      } else {
        check_rule(step.index);
        rule_checked[step.index] = true;
      }
    }
    for (std::uint32_t i = 0; i < m_.lets.size(); ++i) {
      CheckedLet l;
      l.name = m_.lets[i].name;
      l.description = m_.lets[i].description;
      l.at = m_.lets[i].at;
      if (let_bodies_[i]) l.expr = *let_bodies_[i];
      p_.lets.push_back(std::move(l));
    }
    for (std::uint32_t i = 0; i < m_.rules.size(); ++i) {
      const RuleDecl& d = m_.rules[i];
      CheckedRule r;
      r.id = d.id;
      r.description = d.description;
      r.cites = d.cites;
      r.at = d.at;
      auto& b = rule_bodies_[i];
      if (b.when) r.when = *b.when;
      if (b.date) r.mmi_date = *b.date;
      if (b.unless) r.unless = *b.unless;
      p_.rules.push_back(std::move(r));
    }
  }

  void check_rule(std::uint32_t i) {
    auto& b = rule_bodies_[i];
    const RuleDecl& d = m_.rules[i];
    Scope scope;
    if (b.when) {
      b.when->type_id = check(b.when->expr, *b.when, scope);
      expect_type(*b.when, type_id::boolean, "`when` of rule `" + d.id + "`");
    }
    if (b.unless) {
      b.unless->type_id = check(b.unless->expr, *b.unless, scope);
      expect_type(*b.unless, type_id::boolean, "`unless` of rule `" + d.id + "`");
    }
    if (b.date) {
      b.date->type_id = check(b.date->expr, *b.date, scope);
      expect_type(*b.date, type_id::date, "`mmi_date` of rule `" + d.id + "`");
    }
  }

  void expect_type(const CheckedExpr& ce, std::uint32_t want, const std::string& what) {
    if (is_error(ce.type_id) || is_any(ce.type_id) || ce.type_id == want) return;
    diags_.error(
        Code::E205,
        fmt::format("{} must be {}, but this expression is {}", what, name(want), name(ce.type_id)),
        ce.source.location_of(ce.expr.begin, ce.expr.end - ce.expr.begin));
  }

  void check_decision() {
    if (m_.decision) {
      p_.hit = m_.decision->hit;
      std::vector<bool> listed(m_.rules.size(), false);
      std::vector<std::string> ids;
      for (const auto& r : m_.rules) ids.push_back(r.id);
      for (const auto& [id, at] : m_.decision->order) {
        auto it = rule_.find(id);
        if (it == rule_.end()) {
          diags_.error(Code::E208, fmt::format("`order` names no rule `{}`", id), at,
                       did_you_mean(id, ids));
          continue;
        }
        if (listed[it->second]) {
          diags_.error(Code::E019, fmt::format("rule `{}` is listed twice in `order`", id), at);
          continue;
        }
        listed[it->second] = true;
        p_.precedence.push_back(it->second);
      }
      for (std::uint32_t i = 0; i < m_.rules.size(); ++i)
        if (!listed[i]) p_.precedence.push_back(i);
      if (m_.decision->coverage_cutoff) {
        auto ce = parse(*m_.decision->coverage_cutoff);
        if (ce) {
          Scope scope;
          scope.decision = true;
          ce->type_id = check(ce->expr, *ce, scope);
          expect_type(*ce, type_id::date, "`coverage_cutoff`");
          p_.coverage_cutoff = std::move(*ce);
        }
      }
    }
    for (const auto& o : m_.outputs) {
      auto ce = parse(o.expr);
      if (!ce) continue;
      Scope scope;
      scope.decision = true;
      ce->type_id = check(ce->expr, *ce, scope);
      p_.outputs.push_back({o.name, std::move(*ce), o.at});
    }
  }

  // ---- the type checker proper ----------------------------------------------------------
  void error(const CheckedExpr& ce, const Expr& e, Code code, const std::string& msg,
             const std::string& help = {}) {
    diags_.error(code, msg,
                 ce.source.location_of(e.begin, std::max<std::uint32_t>(1, e.end - e.begin)), help);
  }

  // Only the fact itself is marked here; warn() spreads use to records and their fields.
  void mark_fact_used(std::uint32_t f) { fact_used_[f] = true; }

  void spread_fact_use() {
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

  std::vector<std::string> names_in_scope(const Scope& scope) const {
    std::vector<std::string> out = {"as_of"};
    for (auto r : scope.items)
      for (const auto& n : p_.records[r].names) out.push_back(n);
    if (scope.decision) out.insert(out.end(), {"status", "mmi_date", "basis"});
    for (const auto& [n, i] : let_) out.push_back(n);
    for (const auto& [n, i] : param_) out.push_back(n);
    for (const auto& [n, i] : top_fact_) out.push_back(n);
    return out;
  }

  std::uint32_t check_name(Expr& e, const CheckedExpr& ce, const Scope& scope) {
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
      help =
          fmt::format("`{}` is a rule: use `fired({})` or `mmi_date({})`", e.name, e.name, e.name);
    error(ce, e, Code::E200, fmt::format("unknown name `{}`", e.name), help);
    return type_id::error;
  }

  std::uint32_t check_field(Expr& e, const CheckedExpr& ce, Scope& scope) {
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

  bool orderable(std::uint32_t t) const {
    return is(t, TypeTag::number) || is(t, TypeTag::date) || is(t, TypeTag::duration) ||
           is(t, TypeTag::period) || is_any(t);
  }
  bool scalar(std::uint32_t t) const {
    return !is_list(t) && T(t).tag != TypeTag::record && T(t).tag != TypeTag::error;
  }

  // Enum comparisons against text literals must name one of the enum's values.
  void check_enum_literal(const CheckedExpr& ce, std::uint32_t enum_t, const Expr& other) {
    if (!is(enum_t, TypeTag::enumeration)) return;
    const auto& values = p_.enums[static_cast<std::size_t>(T(enum_t).enumeration)];
    auto check_one = [&](const Expr& lit) {
      if (lit.kind != ExprKind::literal || lit.literal.kind != LiteralKind::text) return;
      if (std::find(values.begin(), values.end(), lit.literal.text) != values.end()) return;
      error(ce, lit, Code::E203, fmt::format("\"{}\" is not one of {}", lit.literal.text, name(enum_t)),
            did_you_mean(lit.literal.text, values));
    };
    if (other.kind == ExprKind::list)
      for (const auto& item : other.args) check_one(item);
    else
      check_one(other);
  }

  std::uint32_t binary_error(const CheckedExpr& ce, const Expr& e, std::uint32_t a,
                             std::uint32_t b) {
    std::string help;
    if (e.kind == ExprKind::add || e.kind == ExprKind::sub) {
      if ((is(a, TypeTag::date) && is(b, TypeTag::number)))
        help = "add a duration or period with a unit, e.g. `+ 3 days`";
      if ((is(a, TypeTag::duration) && is(b, TypeTag::period)) ||
          (is(a, TypeTag::period) && is(b, TypeTag::duration)))
        help = "periods (months) and durations (days) do not mix";
    }
    error(ce, e, Code::E201,
          fmt::format("cannot apply `{}` to {} and {}", expr_kind_symbol(e.kind), name(a), name(b)),
          help);
    return type_id::error;
  }

  std::uint32_t arithmetic(const CheckedExpr& ce, const Expr& e, std::uint32_t a, std::uint32_t b) {
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

  std::uint32_t check(Expr& e, const CheckedExpr& ce, Scope& scope) {
    std::uint32_t t = check_inner(e, ce, scope);
    e.type_id = t;
    return t;
  }

  std::uint32_t check_inner(Expr& e, const CheckedExpr& ce, Scope& scope) {
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
        if (is(a, TypeTag::number) || is(a, TypeTag::duration) || is(a, TypeTag::period) ||
            is_any(a))
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
        if (!orderable(a) || !orderable(b) || is_error(unify(a, b)))
          return binary_error(ce, e, a, b);
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

  std::uint32_t check_call(Expr& e, const CheckedExpr& ce, Scope& scope) {
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
      error(ce, e, Code::E204, fmt::format("unknown function `{}`", e.name), did_you_mean(e.name, all));
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

  // What a built-in's typing rule sees of a call (rules/builtins.hpp).
  class BuiltinCall final : public CallTyping {
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

  // ---- warnings -------------------------------------------------------------------------
  static std::optional<bool> constant_bool(const Expr& e) {
    switch (e.kind) {
      case ExprKind::literal:
        if (e.literal.kind == LiteralKind::boolean) return e.literal.integer != 0;
        return std::nullopt;
      case ExprKind::not_: {
        auto a = constant_bool(e.args[0]);
        if (a) return !*a;
        return std::nullopt;
      }
      case ExprKind::and_: {
        auto a = constant_bool(e.args[0]), b = constant_bool(e.args[1]);
        if ((a && !*a) || (b && !*b)) return false;
        if (a && b) return true;
        return std::nullopt;
      }
      case ExprKind::or_: {
        auto a = constant_bool(e.args[0]), b = constant_bool(e.args[1]);
        if ((a && *a) || (b && *b)) return true;
        if (a && b) return false;
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }

  void warn() {
    // A module's lets and parameters are there for the policies that include it.
    bool top = !m_.is_module;
    for (std::uint32_t i = 0; i < p_.parameters.size() && top; ++i)
      if (!param_used_[i] && p_.parameters[i].at.path == m_.path)
        diags_.warning(Code::W300, fmt::format("parameter `{}` is never used", p_.parameters[i].name),
                       p_.parameters[i].at);
    for (std::uint32_t i = 0; i < m_.lets.size() && top; ++i)
      if (!let_used_[i] && m_.lets[i].at.path == m_.path)
        diags_.warning(Code::W301, fmt::format("let `{}` is never used", m_.lets[i].name),
                       m_.lets[i].at);
    if (top) spread_fact_use();
    for (std::uint32_t i = 0; i < p_.facts.size() && top; ++i)
      if (!fact_used_[i] && p_.facts[i].from_top && p_.facts[i].shape != FactDecl::Shape::record)
        diags_.warning(Code::W302,
                       fmt::format("fact `{}` is declared but never used", p_.facts[i].path),
                       p_.facts[i].at);
    std::map<std::string, std::string> seen;
    for (std::size_t i = 0; i < p_.rules.size(); ++i) {
      const auto& r = p_.rules[i];
      if (!rule_bodies_[i].when) continue;  // its syntax error is reported already
      auto c = constant_bool(r.when.expr);
      SourceLocation at = r.when.source.location();
      if (c && !*c)
        diags_.warning(
            Code::W303, fmt::format("rule `{}` can never fire: its `when` is always false", r.id), at);
      if (c && *c)
        diags_.warning(Code::W304, fmt::format("rule `{}` has a `when` that is always true", r.id), at);
      std::string key = expr_to_string(r.when.expr);
      if (r.unless) key += " unless " + expr_to_string(r.unless->expr);
      auto [it, fresh] = seen.emplace(key, r.id);
      if (!fresh)
        diags_.warning(
            Code::W305, fmt::format("rules `{}` and `{}` have identical conditions", it->second, r.id),
            at);
    }
  }
};

}  // namespace

std::optional<CheckedPolicy> check_policy(const MergedPolicy& merged, const CheckOptions& options,
                                          DiagnosticList& diags) {
  return Checker(merged, options, diags).run();
}

std::optional<CheckedPolicy> load_checked_policy(const std::string& path,
                                                 const CheckOptions& options,
                                                 DiagnosticList& diags) {
  auto merged = load_and_merge(path, diags);
  if (!merged) return std::nullopt;
  auto checked = check_policy(*merged, options, diags);
  if (diags.has_errors()) return std::nullopt;
  return checked;
}

}  // namespace mmi
