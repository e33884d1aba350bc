// Lowers the X3 parse tree to mmi::Expr: literals get their values and units, operator chains
// become left-associative binary nodes, postfix operators become field/call/at nodes.
#include <boost/variant/apply_visitor.hpp>

#include "rules/calendar.hpp"
#include "rules/expr.hpp"
#include "rules/expr_source.hpp"
#include "rules/parser/ast.hpp"
#include "rules/parser/grammar.hpp"

namespace mmi {
namespace {

using namespace parser;

struct LowerError {
  Code code;
  std::uint32_t begin, end;
  std::string message;
};

class Lowerer {
 public:
  explicit Lowerer(std::vector<LowerError>& errors) : errors_(errors) {}

  Expr lower(const ast::Operand& op) {
    return boost::apply_visitor([this](const auto& node) { return this->visit(node); }, op);
  }

 private:
  std::vector<LowerError>& errors_;

  void fail(Code code, std::uint32_t b, std::uint32_t e, std::string msg) {
    errors_.push_back({std::move(code), b, e, std::move(msg)});
  }

  static Expr node(ExprKind k, std::uint32_t b, std::uint32_t e) {
    Expr x;
    x.kind = k;
    x.begin = b;
    x.end = e;
    return x;
  }
  static Expr binary(ExprKind k, Expr lhs, Expr rhs) {
    Expr x = node(k, lhs.begin, rhs.end);
    x.args.push_back(std::move(lhs));
    x.args.push_back(std::move(rhs));
    return x;
  }

  Expr visit(const ast::Nil&) { return Expr{}; }

  Expr visit(const ast::Atom& a) {
    Expr x = node(ExprKind::literal, a.begin, a.end);
    switch (a.kind) {
      case 'i':
        x.kind = ExprKind::name;
        x.name = a.text;
        return x;
      case 's':
        x.literal.kind = LiteralKind::text;
        x.literal.text = a.text;
        return x;
      case 'b':
        x.literal.kind = LiteralKind::boolean;
        x.literal.integer = a.text == "true";
        return x;
      case 'm':
        x.literal.kind = LiteralKind::missing;
        return x;
      case 'd': {
        auto day = parse_iso_date(a.text);
        if (!day) {
          fail(Code::E100, a.begin, a.end, "`" + a.text + "` is not a calendar date");
          return x;
        }
        x.literal.kind = LiteralKind::date;
        x.literal.integer = *day;
        return x;
      }
      case 'n':
      default:
        return number(a, x);
    }
  }

  Expr number(const ast::Atom& a, Expr x) {
    auto value = Decimal::parse(a.text);
    if (!value) {
      fail(Code::E100, a.begin, a.end, "`" + a.text + "` is not a number");
      return x;
    }
    const std::string& s = a.suffix;
    if (s.empty()) {
      x.literal.kind = LiteralKind::number;
      x.literal.number = *value;
      return x;
    }
    if (s == "%") {
      x.literal.kind = LiteralKind::number;
      x.literal.number = Decimal::divide(*value, Decimal::from_int(100));
      return x;
    }
    std::int64_t scale = 1;
    bool months = false;
    if (s == "week" || s == "weeks") scale = 7;
    if (s == "month" || s == "months") months = true;
    if (s == "year" || s == "years") months = true, scale = 12;
    Decimal scaled = *value * Decimal::from_int(scale);
    auto whole = scaled.is_integer() ? scaled.to_int64_floor() : std::nullopt;
    if (!scaled.is_integer()) {
      fail(Code::E100, a.begin, a.end,
           months ? "a period must be a whole number of months"
                  : "a duration must be a whole number of days");
      return x;
    }
    if (!whole || *whole > (months ? 120000 : 3650000)) {
      fail(Code::E100, a.begin, a.end,
           months ? "a period longer than 10,000 years" : "a duration longer than 10,000 years");
      return x;
    }
    x.literal.kind = months ? LiteralKind::period : LiteralKind::duration;
    x.literal.integer = *whole;
    return x;
  }

  static ExprKind chain_kind(const std::string& op) {
    if (op == "??") return ExprKind::coalesce;
    if (op == "or") return ExprKind::or_;
    if (op == "and") return ExprKind::and_;
    if (op == "+") return ExprKind::add;
    if (op == "-") return ExprKind::sub;
    if (op == "*") return ExprKind::mul;
    return ExprKind::div;
  }

  Expr visit(const ast::Chain& c) {
    if (!c.rest.empty() && c.rest.front().op == "implies") return implication(c);
    Expr acc = lower(c.first);
    for (const auto& op : c.rest) {
      acc = binary(chain_kind(op.op), std::move(acc), lower(op.operand));
      acc.begin = c.begin;  // include a parenthesised first operand in the range
    }
    return acc;
  }

  // `a implies b` is `not a or b` (Kleene), right-associative: folded from the last operand.
  Expr implication(const ast::Chain& c) {
    std::vector<Expr> operands;
    operands.push_back(lower(c.first));
    for (const auto& op : c.rest) operands.push_back(lower(op.operand));
    Expr acc = std::move(operands.back());
    for (std::size_t k = operands.size() - 1; k-- > 0;) {
      Expr premise = std::move(operands[k]);
      Expr negated = node(ExprKind::not_, premise.begin, premise.end);
      negated.args.push_back(std::move(premise));
      std::uint32_t begin = negated.begin, end = acc.end;
      acc = binary(ExprKind::or_, std::move(negated), std::move(acc));
      acc.begin = begin;
      acc.end = end;
    }
    return acc;
  }

  Expr visit(const ast::Unary& u) {
    Expr x = node(u.op == "not" ? ExprKind::not_ : ExprKind::neg, u.begin, u.end);
    x.args.push_back(lower(u.operand));
    if (x.kind == ExprKind::neg && x.args[0].kind == ExprKind::literal &&
        x.args[0].literal.kind != LiteralKind::text &&
        x.args[0].literal.kind != LiteralKind::date &&
        x.args[0].literal.kind != LiteralKind::boolean &&
        x.args[0].literal.kind != LiteralKind::missing) {
      // Fold `-5` and `-3 days` into literals so parameters can be negative constants.
      Expr lit = std::move(x.args[0]);
      lit.begin = u.begin;
      lit.literal.number = -lit.literal.number;
      lit.literal.integer = -lit.literal.integer;
      return lit;
    }
    return x;
  }

  Expr visit(const ast::IfExpr& i) {
    Expr x = node(ExprKind::if_, i.begin, i.end);
    x.args.push_back(lower(i.condition));
    x.args.push_back(lower(i.then_branch));
    x.args.push_back(lower(i.else_branch));
    return x;
  }

  Expr visit(const ast::Test& t) {
    Expr subject = lower(t.subject);
    if (!t.tail) return subject;
    const auto& tail = *t.tail;
    static const std::pair<const char*, ExprKind> kOps[] = {{"==", ExprKind::eq},
                                                            {"!=", ExprKind::ne},
                                                            {"<", ExprKind::lt},
                                                            {"<=", ExprKind::le},
                                                            {">", ExprKind::gt},
                                                            {">=", ExprKind::ge},
                                                            {"in", ExprKind::in},
                                                            {"not in", ExprKind::not_in},
                                                            {"between", ExprKind::between},
                                                            {"is missing", ExprKind::is_missing},
                                                            {"is present", ExprKind::is_present}};
    ExprKind kind = ExprKind::eq;
    for (const auto& [text, k] : kOps)
      if (tail.op == text) kind = k;
    Expr x = node(kind, t.begin, t.end);
    x.args.push_back(std::move(subject));
    if (kind != ExprKind::is_missing && kind != ExprKind::is_present)
      x.args.push_back(lower(tail.first));
    if (kind == ExprKind::between) x.args.push_back(lower(tail.second));
    return x;
  }

  Expr visit(const ast::Filter& f) {
    Expr list = lower(f.list);
    if (!f.condition) return list;
    Expr x = node(ExprKind::where, f.begin, f.end);
    x.args.push_back(std::move(list));
    x.args.push_back(lower(*f.condition));
    return x;
  }

  Expr visit(const ast::Postfix& p) {
    Expr acc = lower(p.base);
    for (const auto& op : p.ops) {
      if (op.kind == '.') {
        Expr x = node(ExprKind::field, acc.begin, op.end);
        x.name = op.name;
        x.args.push_back(std::move(acc));
        acc = std::move(x);
      } else {
        if (acc.kind != ExprKind::name) {
          fail(Code::E100, acc.begin, op.end, "only a function name can be called");
          return acc;
        }
        Expr x = node(ExprKind::call, acc.begin, op.end);
        x.name = acc.name;
        for (const auto& a : op.args) x.args.push_back(lower(a));
        acc = std::move(x);
      }
    }
    if (p.at) {
      Expr when = lower(*p.at);
      Expr x = node(ExprKind::at, acc.begin, when.end);
      x.args.push_back(std::move(acc));
      x.args.push_back(std::move(when));
      acc = std::move(x);
    }
    return acc;
  }

  Expr visit(const ast::ListLit& l) {
    Expr x = node(ExprKind::list, l.begin, l.end);
    for (const auto& item : l.items) x.args.push_back(lower(item));
    return x;
  }

  template <typename T>
  Expr visit(const x3::forward_ast<T>& fwd) {
    return visit(fwd.get());
  }
};

// Long operator chains lower to deep left-leaning trees; later passes recurse over them.
std::uint32_t depth_of(const Expr& e, std::uint32_t limit, const Expr** deepest) {
  std::uint32_t best = 0;
  for (const auto& a : e.args) {
    std::uint32_t d = depth_of(a, limit, deepest);
    if (d > best) best = d;
    if (best > limit) return best;
  }
  if (best + 1 > limit && !*deepest) *deepest = &e;
  return best + 1;
}

}  // namespace

const char* expr_kind_symbol(ExprKind k) {
  switch (k) {
    case ExprKind::and_:
      return "and";
    case ExprKind::or_:
      return "or";
    case ExprKind::not_:
      return "not";
    case ExprKind::coalesce:
      return "??";
    case ExprKind::eq:
      return "==";
    case ExprKind::ne:
      return "!=";
    case ExprKind::lt:
      return "<";
    case ExprKind::le:
      return "<=";
    case ExprKind::gt:
      return ">";
    case ExprKind::ge:
      return ">=";
    case ExprKind::add:
      return "+";
    case ExprKind::sub:
      return "-";
    case ExprKind::mul:
      return "*";
    case ExprKind::div:
      return "/";
    case ExprKind::neg:
      return "-";
    case ExprKind::in:
      return "in";
    case ExprKind::not_in:
      return "not in";
    case ExprKind::between:
      return "between";
    case ExprKind::is_missing:
      return "is missing";
    case ExprKind::is_present:
      return "is present";
    case ExprKind::where:
      return "where";
    case ExprKind::at:
      return "at";
    case ExprKind::if_:
      return "if";
    case ExprKind::field:
      return ".";
    case ExprKind::call:
      return "call";
    case ExprKind::list:
      return "[]";
    case ExprKind::name:
      return "name";
    case ExprKind::literal:
      return "literal";
  }
  return "?";
}

ParseResult parse_expression(const ExprSource& source, DiagnosticList& diags) {
  ParseResult out;
  const std::string& text = source.text();
  if (text.size() > 64 * 1024) {
    diags.error(Code::E101, "expression longer than 64 KiB", source.location());
    return out;
  }
  auto grammar = parser::parse_grammar(text);
  if (!grammar.ok) {
    diags.error(grammar.error.code, grammar.error.message,
                source.location_of(grammar.error.offset, grammar.error.length));
    return out;
  }
  std::vector<LowerError> errors;
  Lowerer lowerer(errors);
  out.expr = lowerer.lower(grammar.tree);
  for (const auto& e : errors)
    diags.error(e.code, e.message, source.location_of(e.begin, std::max(1u, e.end - e.begin)));
  if (!errors.empty()) return out;
  const Expr* deepest = nullptr;
  if (depth_of(out.expr, kMaxExpressionDepth, &deepest) > kMaxExpressionDepth) {
    diags.error(Code::E101,
                "expression nested more than " + std::to_string(kMaxExpressionDepth) +
                    " operators deep; split it into lets",
                source.location_of(deepest ? deepest->begin : 0));
    return out;
  }
  out.ok = true;
  return out;
}

ParseResult parse_expression_text(std::string_view text, std::string_view origin,
                                  DiagnosticList& diags) {
  return parse_expression(ExprSource::detached(std::string(text), std::string(origin)), diags);
}

}  // namespace mmi
