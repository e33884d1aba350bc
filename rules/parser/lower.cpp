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

// Each node is lowered into the Expr its parent holds for it (`out`, default-constructed): the
// parse tree has a level per precedence, and returning an Expr by value from each level moved it
// a dozen times on its way up.
class Lowerer {
 public:
  explicit Lowerer(std::vector<LowerError>& errors) : errors_(errors) {}

  void lower(const ast::Operand& op, Expr& out) {
    boost::apply_visitor([this, &out](const auto& node) { this->visit(node, out); }, op);
  }

 private:
  std::vector<LowerError>& errors_;

  void fail(Code code, std::uint32_t b, std::uint32_t e, std::string msg) {
    errors_.push_back({std::move(code), b, e, std::move(msg)});
  }

  static void node(Expr& out, ExprKind k, std::uint32_t b, std::uint32_t e) {
    out.kind = k;
    out.begin = b;
    out.end = e;
  }
  // `out` becomes `kind(out, rhs)`: its present content moves down to be the first operand.
  static void wrap(Expr& out, ExprKind k, std::size_t arity) {
    Expr inner = std::move(out);
    out = Expr{};
    node(out, k, inner.begin, inner.end);
    out.args.reserve(arity);
    out.args.push_back(std::move(inner));
  }
  // Lowers `op` as the next operand of `out`.
  void push_arg(Expr& out, const ast::Operand& op) { lower(op, out.args.emplace_back()); }

  void visit(const ast::Nil&, Expr&) {}

  void visit(const ast::Atom& a, Expr& x) {
    node(x, ExprKind::literal, a.begin, a.end);
    switch (a.kind) {
      case 'i':
        x.kind = ExprKind::name;
        x.name = a.text;
        return;
      case 's':
        x.literal.kind = LiteralKind::text;
        x.literal.text = a.text;
        return;
      case 'b':
        x.literal.kind = LiteralKind::boolean;
        x.literal.integer = a.text == "true";
        return;
      case 'm':
        x.literal.kind = LiteralKind::missing;
        return;
      case 'd': {
        auto day = parse_iso_date(a.text);
        if (!day) {
          fail(Code::E100, a.begin, a.end, "`" + a.text + "` is not a calendar date");
          return;
        }
        x.literal.kind = LiteralKind::date;
        x.literal.integer = *day;
        return;
      }
      case 'n':
      default:
        return number(a, x);
    }
  }

  void number(const ast::Atom& a, Expr& x) {
    auto value = Decimal::parse(a.text);
    if (!value) {
      fail(Code::E100, a.begin, a.end, "`" + a.text + "` is not a number");
      return;
    }
    const std::string& s = a.suffix;
    if (s.empty()) {
      x.literal.kind = LiteralKind::number;
      x.literal.number = *value;
      return;
    }
    if (s == "%") {
      x.literal.kind = LiteralKind::number;
      x.literal.number = Decimal::divide(*value, Decimal::from_int(100));
      return;
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
      return;
    }
    if (!whole || *whole > (months ? 120000 : 3650000)) {
      fail(Code::E100, a.begin, a.end,
           months ? "a period longer than 10,000 years" : "a duration longer than 10,000 years");
      return;
    }
    x.literal.kind = months ? LiteralKind::period : LiteralKind::duration;
    x.literal.integer = *whole;
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

  void visit(const ast::Chain& c, Expr& out) {
    if (!c.rest.empty() && c.rest.front().op == "implies") return implication(c, out);
    lower(c.first, out);
    for (const auto& op : c.rest) {
      wrap(out, chain_kind(op.op), 2);
      push_arg(out, op.operand);
      out.begin = c.begin;  // include a parenthesised first operand in the range
      out.end = out.args[1].end;
    }
  }

  // `a implies b` is `not a or b` (Kleene), right-associative: folded from the last operand.
  void implication(const ast::Chain& c, Expr& out) {
    std::vector<Expr> operands(c.rest.size() + 1);
    lower(c.first, operands[0]);
    for (std::size_t k = 0; k < c.rest.size(); ++k) lower(c.rest[k].operand, operands[k + 1]);
    out = std::move(operands.back());
    for (std::size_t k = operands.size() - 1; k-- > 0;) {
      Expr negated;
      node(negated, ExprKind::not_, operands[k].begin, operands[k].end);
      negated.args.push_back(std::move(operands[k]));
      Expr acc = std::move(out);
      out = Expr{};
      node(out, ExprKind::or_, negated.begin, acc.end);
      out.args.reserve(2);
      out.args.push_back(std::move(negated));
      out.args.push_back(std::move(acc));
    }
  }

  void visit(const ast::Unary& u, Expr& x) {
    node(x, u.op == "not" ? ExprKind::not_ : ExprKind::neg, u.begin, u.end);
    push_arg(x, u.operand);
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
      x = std::move(lit);
    }
  }

  void visit(const ast::IfExpr& i, Expr& x) {
    node(x, ExprKind::if_, i.begin, i.end);
    x.args.reserve(3);
    push_arg(x, i.condition);
    push_arg(x, i.then_branch);
    push_arg(x, i.else_branch);
  }

  void visit(const ast::Test& t, Expr& out) {
    lower(t.subject, out);
    if (!t.tail) return;
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
    wrap(out, kind, kind == ExprKind::between ? 3 : 2);
    out.begin = t.begin;
    out.end = t.end;
    if (kind != ExprKind::is_missing && kind != ExprKind::is_present) push_arg(out, tail.first);
    if (kind == ExprKind::between) push_arg(out, tail.second);
  }

  void visit(const ast::Filter& f, Expr& out) {
    lower(f.list, out);
    if (!f.condition) return;
    wrap(out, ExprKind::where, 2);
    out.begin = f.begin;
    out.end = f.end;
    push_arg(out, *f.condition);
  }

  void visit(const ast::Postfix& p, Expr& acc) {
    lower(p.base, acc);
    for (const auto& op : p.ops) {
      if (op.kind == '.') {
        std::uint32_t begin = acc.begin;
        wrap(acc, ExprKind::field, 1);
        acc.begin = begin;
        acc.end = op.end;
        acc.name = op.name;
      } else {
        if (acc.kind != ExprKind::name) {
          fail(Code::E100, acc.begin, op.end, "only a function name can be called");
          return;
        }
        std::string callee = std::move(acc.name);
        std::uint32_t begin = acc.begin;
        acc = Expr{};
        node(acc, ExprKind::call, begin, op.end);
        acc.name = std::move(callee);
        acc.args.reserve(op.args.size());
        for (const auto& a : op.args) push_arg(acc, a);
      }
    }
    if (p.at) {
      wrap(acc, ExprKind::at, 2);
      push_arg(acc, *p.at);
      acc.end = acc.args[1].end;
    }
  }

  void visit(const ast::ListLit& l, Expr& x) {
    node(x, ExprKind::list, l.begin, l.end);
    x.args.reserve(l.items.size());
    for (const auto& item : l.items) push_arg(x, item);
  }

  template <typename T>
  void visit(const x3::forward_ast<T>& fwd, Expr& out) {
    visit(fwd.get(), out);
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
  lowerer.lower(grammar.tree, out.expr);
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
