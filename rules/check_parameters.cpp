// Parameters (literals and dated series), --set overrides and name clashes.
#include "rules/checker_impl.hpp"

namespace mmi::check {

std::uint32_t Checker::literal_type(const Literal& l) {
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
std::optional<Literal> Checker::parameter_literal(const ExprSource& src, const std::string& what) {
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

void Checker::build_parameters() {
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

void Checker::apply_overrides() {
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
      diags_.error(Code::E405,
                   fmt::format("`{}` is {} but `{}` is {}", pname, name(p.type_id), text, name(t)),
                   at);
      continue;
    }
    p.value = *lit;
    p.series.clear();
    p.overridden = true;
  }
}

void Checker::check_name_clashes() {
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

}  // namespace mmi::check
