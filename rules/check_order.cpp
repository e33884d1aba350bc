// Parsing every body, then ordering lets and rules by their dependencies (naming any cycle);
// typing the bodies in that order and the decision.
#include "rules/checker_impl.hpp"

#include <string_view>

namespace mmi::check {

std::optional<CheckedExpr> Checker::parse(const ExprSource& src) {
  auto r = parse_expression(src, diags_);
  if (!r.ok) {
    unparsed_.push_back(src.text());
    return std::nullopt;
  }
  return CheckedExpr{std::move(r.expr), src, type_id::error};
}

void Checker::parse_bodies() {
  // Texts that parsed already, each to its tree: a generated policy repeats expressions (the
  // same `mmi_date:` in many rules), and a tree depends on its text alone (offsets are into the
  // text; the location stays with each body's own source). Trees are not yet annotated here.
  std::unordered_map<std::string_view, const Expr*> parsed;
  auto parse_once = [&](const ExprSource& src) -> std::optional<CheckedExpr> {
    auto [at, fresh] = parsed.emplace(src.text(), nullptr);
    if (!fresh && at->second) return CheckedExpr{*at->second, src, type_id::error};
    return parse(src);
  };
  auto remember = [&](const std::optional<CheckedExpr>& body) {
    if (body) parsed[body->source.text()] = &body->expr;
  };
  let_bodies_.reserve(m_.lets.size());  // the cache points into these
  rule_bodies_.reserve(m_.rules.size());
  for (std::uint32_t i = 0; i < m_.lets.size(); ++i) {
    let_[m_.lets[i].name] = i;
    let_bodies_.push_back(parse_once(m_.lets[i].expr));
    remember(let_bodies_.back());
  }
  for (std::uint32_t i = 0; i < m_.rules.size(); ++i) {
    const RuleDecl& r = m_.rules[i];
    rule_[r.id] = i;
    RuleBodies& b = rule_bodies_.emplace_back();
    if (r.when) remember(b.when = parse_once(*r.when));
    if (r.mmi_date) remember(b.date = parse_once(*r.mmi_date));
    if (r.unless) remember(b.unless = parse_once(*r.unless));
  }
  let_ok_.assign(m_.lets.size(), true);
  let_typed_.assign(m_.lets.size(), false);
  let_used_.assign(m_.lets.size(), false);
  for (std::uint32_t i = 0; i < m_.lets.size(); ++i) let_ok_[i] = let_bodies_[i].has_value();
}

// Names of lets and rules an expression mentions (syntactically), for the evaluation order.
void Checker::collect_deps(const Expr& e, std::vector<std::uint32_t>& out) const {
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

std::string Checker::node_name(std::uint32_t n) const {
  return n < m_.lets.size() ? "let " + m_.lets[n].name : "rule " + m_.rules[n - m_.lets.size()].id;
}

SourceLocation Checker::node_at(std::uint32_t n) const {
  return n < m_.lets.size() ? m_.lets[n].at : m_.rules[n - m_.lets.size()].at;
}

void Checker::order_graph() {
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
std::uint32_t Checker::let_type(std::uint32_t i) {
  if (!let_ok_[i] || !let_typed_[i]) return type_id::error;
  return let_bodies_[i]->type_id;
}

void Checker::check_bodies() {
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
  // The typed bodies move into the checked policy: later stages read only their type_id (which a
  // move leaves in place) and whether they parsed.
  p_.lets.reserve(m_.lets.size());
  for (std::uint32_t i = 0; i < m_.lets.size(); ++i) {
    CheckedLet l;
    l.name = m_.lets[i].name;
    l.description = m_.lets[i].description;
    l.at = m_.lets[i].at;
    if (let_bodies_[i]) l.expr = std::move(*let_bodies_[i]);
    p_.lets.push_back(std::move(l));
  }
  p_.rules.reserve(m_.rules.size());
  for (std::uint32_t i = 0; i < m_.rules.size(); ++i) {
    const RuleDecl& d = m_.rules[i];
    CheckedRule r;
    r.id = d.id;
    r.description = d.description;
    r.cites = d.cites;
    r.at = d.at;
    auto& b = rule_bodies_[i];
    if (b.when) r.when = std::move(*b.when);
    if (b.date) r.mmi_date = std::move(*b.date);
    if (b.unless) r.unless = std::move(*b.unless);
    p_.rules.push_back(std::move(r));
  }
}

void Checker::check_rule(std::uint32_t i) {
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

void Checker::expect_type(const CheckedExpr& ce, std::uint32_t want, const std::string& what) {
  if (is_error(ce.type_id) || is_any(ce.type_id) || ce.type_id == want) return;
  diags_.error(
      Code::E205,
      fmt::format("{} must be {}, but this expression is {}", what, name(want), name(ce.type_id)),
      ce.source.location_of(ce.expr.begin, ce.expr.end - ce.expr.begin));
}

void Checker::check_decision() {
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
    auto decision_date = [&](const ExprSource& src,
                             const char* what) -> std::optional<CheckedExpr> {
      auto ce = parse(src);
      if (!ce) return std::nullopt;
      Scope scope;
      scope.decision = true;
      ce->type_id = check(ce->expr, *ce, scope);
      expect_type(*ce, type_id::date, what);
      return ce;
    };
    if (m_.decision->coverage_cutoff)
      p_.coverage_cutoff = decision_date(*m_.decision->coverage_cutoff, "`coverage_cutoff`");
    if (m_.decision->covered_from) {
      p_.covered_from = decision_date(*m_.decision->covered_from, "`covered_from`");
    } else if (fact_by_path_.count("injury.date") &&
               fact_by_path_.count("benefits.disability_start")) {
      // The documented default for the standard case model (docs/language.md §9).
      ExprSource def = ExprSource::detached("benefits.disability_start ?? injury.date",
                                            "covered_from (default)");
      p_.covered_from = decision_date(def, "`covered_from`");
    }
  }
  for (const auto& o : m_.outputs) {
    auto ce = parse(o.expr);
    if (!ce) continue;
    Scope scope;
    scope.decision = true;
    scope.output = true;
    ce->type_id = check(ce->expr, *ce, scope);
    p_.outputs.push_back({o.name, std::move(*ce), o.at});
  }
}

void Checker::check_properties() {
  for (const auto& decl : m_.properties) {
    if (!decl.holds) continue;
    auto ce = parse(*decl.holds);
    if (!ce) continue;
    Scope scope;
    scope.decision = true;
    scope.property = true;
    ce->type_id = check(ce->expr, *ce, scope);
    expect_type(*ce, type_id::boolean, fmt::format("property `{}`", decl.id));
    p_.properties.push_back(
        {decl.id, decl.description, decl.cites, std::move(*ce), decl.known_violation, decl.at});
  }
  for (const auto& src : m_.assumptions) {
    auto ce = parse(src);
    if (!ce) continue;
    Scope scope;
    ce->type_id = check(ce->expr, *ce, scope);
    expect_type(*ce, type_id::boolean, "an assumption");
    p_.assumptions.push_back(std::move(*ce));
  }
}

}  // namespace mmi::check
