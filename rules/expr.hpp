// The expression tree the rest of the pipeline sees: plain C++ types, every node carrying the
// byte range of its source text. Produced by parse_expression (rules/parser/), annotated by the
// type checker (rules/checker.hpp) with resolved names and types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/decimal.hpp"
#include "rules/diagnostics.hpp"

namespace mmi {

enum class ExprKind : std::uint8_t {
  literal,   // literal
  name,      // name
  field,     // args[0] . name
  call,      // name ( args )
  list,      // [ args ]
  neg,       // - args[0]
  not_,      // not args[0]
  and_,      // args[0] and args[1]
  or_,       // args[0] or args[1]
  coalesce,  // args[0] ?? args[1]
  if_,       // if args[0] then args[1] else args[2]
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  add,
  sub,
  mul,
  div,
  in,
  not_in,   // args[0] in args[1]
  between,  // args[0] between args[1] and args[2]
  is_missing,
  is_present,
  where,  // args[0] where args[1]
  at,     // args[0] at args[1]
};

enum class LiteralKind : std::uint8_t { number, text, boolean, date, duration, period, missing };

struct Literal {
  LiteralKind kind = LiteralKind::missing;
  Decimal number;
  std::int64_t integer = 0;  // date day number, duration days, period months, bool 0/1
  std::string text;
};

// What a name or call resolves to, filled in by the checker.
enum class Ref : std::uint8_t {
  unresolved,
  fact,        // index into the checked policy's facts
  item_field,  // field `index` of the item `scope` levels out (0 = innermost `where`)
  parameter,   // index into parameters
  let,         // index into lets
  rule_fired,  // fired(rule) — index into rules
  rule_date,   // mmi_date(rule)
  as_of,
  decision_status,
  decision_mmi_date,
  decision_basis,
  decision_cutoff,           // `coverage_cutoff`, inside a property's `holds`
  output,                    // an output by name (index into outputs), inside a property's `holds`
  decision_coverage_cutoff,  // outputs only: computed before them
  builtin,                   // index into the builtin function table
};

struct Expr {
  ExprKind kind = ExprKind::literal;
  std::uint32_t begin = 0;  // byte range in the expression text
  std::uint32_t end = 0;
  std::string name;  // name, field, call
  Literal literal;   // literal
  std::vector<Expr> args;

  // Checker annotations.
  Ref ref = Ref::unresolved;
  std::uint32_t index = 0;
  std::uint32_t scope = 0;
  std::uint32_t type_id = 0;  // into the checked policy's type table
};

const char* expr_kind_symbol(ExprKind k);

// Parses one expression. `offset_to_location` maps byte offsets of `text` to file positions
// for diagnostics. Never throws; syntax errors go to `diags` and the result is nullopt-like
// (ok == false).
struct ParseResult {
  bool ok = false;
  Expr expr;
};

class ExprSource;
ParseResult parse_expression(const ExprSource& source, DiagnosticList& diags);
// Parses text with no file behind it (the command line, tests): positions are 1:col.
ParseResult parse_expression_text(std::string_view text, std::string_view origin,
                                  DiagnosticList& diags);

constexpr std::uint32_t kMaxExpressionDepth = 200;

}  // namespace mmi
