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
#include "rules/checker_impl.hpp"
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

namespace {

// expr_to_string's text appended to `out`: one buffer for the whole tree (the identical-rules
// lint spells every rule's condition).
void append_expr(std::string& out, const Expr& e) {
  auto arg = [&](std::size_t i) {
    const Expr& a = e.args[i];
    bool simple = a.kind == ExprKind::literal || a.kind == ExprKind::name ||
                  a.kind == ExprKind::field || a.kind == ExprKind::call || a.kind == ExprKind::list;
    if (simple) return append_expr(out, a);
    out += '(';
    append_expr(out, a);
    out += ')';
  };
  auto items = [&](char open, char close) {
    out += open;
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      if (i) out += ", ";
      append_expr(out, e.args[i]);
    }
    out += close;
  };
  switch (e.kind) {
    case ExprKind::literal:
      out += literal_to_string(e.literal);
      return;
    case ExprKind::name:
      out += e.name;
      return;
    case ExprKind::field:
      arg(0);
      out += '.';
      out += e.name;
      return;
    case ExprKind::call:
      out += e.name;
      items('(', ')');
      return;
    case ExprKind::list:
      items('[', ']');
      return;
    case ExprKind::neg:
      out += '-';
      arg(0);
      return;
    case ExprKind::not_:
      out += "not ";
      arg(0);
      return;
    case ExprKind::if_:
      out += "if ";
      arg(0);
      out += " then ";
      arg(1);
      out += " else ";
      arg(2);
      return;
    case ExprKind::between:
      arg(0);
      out += " between ";
      arg(1);
      out += " and ";
      arg(2);
      return;
    case ExprKind::is_missing:
      arg(0);
      out += " is missing";
      return;
    case ExprKind::is_present:
      arg(0);
      out += " is present";
      return;
    default:
      arg(0);
      out += ' ';
      out += expr_kind_symbol(e.kind);
      out += ' ';
      arg(1);
      return;
  }
}

}  // namespace

std::string expr_to_string(const Expr& e) {
  std::string out;
  append_expr(out, e);
  return out;
}

namespace check {
std::optional<CheckedPolicy> Checker::run() {
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
  check_properties();
  if (options_.warnings) warn();
  if (diags_.has_errors() && !options_.keep_on_errors) return std::nullopt;
  return std::move(p_);
}

}  // namespace check

std::optional<CheckedPolicy> check_policy(const MergedPolicy& merged, const CheckOptions& options,
                                          DiagnosticList& diags) {
  return check::Checker(merged, options, diags).run();
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
