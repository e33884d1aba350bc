// Declarations of the expression grammar (language.md §2), in the layout of Spirit X3's own
// examples. Internal to rules/parser/: nothing outside includes this header.
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rules/diagnostics.hpp"
#include "rules/parser/ast.hpp"

namespace mmi::parser {

namespace x3 = boost::spirit::x3;

namespace grammar {
struct expression_class;
using expression_type = x3::rule<expression_class, ast::Operand>;
BOOST_SPIRIT_DECLARE(expression_type)
}  // namespace grammar

grammar::expression_type const& expression();

struct SyntaxError {
  Code code = Code::E100;
  std::uint32_t offset = 0;
  std::uint32_t length = 1;
  std::string message;
};

struct GrammarResult {
  bool ok = false;
  ast::Operand tree;
  SyntaxError error;
};

// Runs the grammar over `text`; never throws.
GrammarResult parse_grammar(std::string_view text);

// Lowers the parse tree to mmi::Expr (lower.cpp).
}  // namespace mmi::parser
