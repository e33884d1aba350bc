// Warnings: unused declarations, rules that can never fire or always do, identical rules.
#include "rules/checker_impl.hpp"

#include <cctype>

namespace mmi::check {

std::optional<bool> Checker::constant_bool(const Expr& e) {
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

void Checker::mark_names_in_unparsed() {
  for (const auto& text : unparsed_) {
    std::size_t k = 0;
    while (k < text.size()) {
      unsigned char c = static_cast<unsigned char>(text[k]);
      if (!(std::isalpha(c) || c == '_')) {
        ++k;
        continue;
      }
      std::size_t end = k;
      while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                   text[end] == '_' || text[end] == '.'))
        ++end;
      std::string word = text.substr(k, end - k);
      k = end;
      // `a.b.c`: the name `a`, and the fact paths `a`, `a.b`, `a.b.c`.
      std::string head = word.substr(0, word.find('.'));
      if (auto it = param_.find(head); it != param_.end()) param_used_[it->second] = true;
      if (auto it = let_.find(head); it != let_.end()) let_used_[it->second] = true;
      for (std::size_t dot = 0; dot != std::string::npos;) {
        dot = word.find('.', dot + 1);
        std::string path = word.substr(0, dot);
        if (auto it = fact_by_path_.find(path); it != fact_by_path_.end())
          mark_fact_used(it->second);
      }
    }
  }
}

void Checker::warn() {
  mark_names_in_unparsed();
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
      diags_.warning(Code::W303,
                     fmt::format("rule `{}` can never fire: its `when` is always false", r.id), at);
    if (c && *c)
      diags_.warning(Code::W304, fmt::format("rule `{}` has a `when` that is always true", r.id),
                     at);
    std::string key = expr_to_string(r.when.expr);
    if (r.unless) key += " unless " + expr_to_string(r.unless->expr);
    auto [it, fresh] = seen.emplace(key, r.id);
    if (!fresh)
      diags_.warning(Code::W305,
                     fmt::format("rules `{}` and `{}` have identical conditions", it->second, r.id),
                     at);
  }
}

}  // namespace mmi::check
