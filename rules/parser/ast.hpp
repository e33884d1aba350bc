// The parse tree Spirit X3 fills (internal to rules/parser/; lowered to mmi::Expr by lower.cpp).
#pragma once

#include <boost/spirit/home/x3/support/ast/variant.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mmi::parser::ast {

namespace x3 = boost::spirit::x3;

// Byte offsets into the expression text, set by the on_success handler.
struct Positioned {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

struct Nil {};
struct Chain;
struct Unary;
struct IfExpr;
struct Test;
struct Filter;
struct Postfix;
struct ListLit;

// A terminal: kind 'n' number, 'd' date, 's' string, 'b' bool, 'm' missing, 'i' identifier.
// `suffix` holds a number's unit word or "%".
struct Atom : Positioned {
  char kind = 0;
  std::string text;
  std::string suffix;
};

struct Operand
    : x3::variant<Nil, Atom, x3::forward_ast<Chain>, x3::forward_ast<Unary>,
                  x3::forward_ast<IfExpr>, x3::forward_ast<Test>, x3::forward_ast<Filter>,
                  x3::forward_ast<Postfix>, x3::forward_ast<ListLit>> {
  using base_type::base_type;
  using base_type::operator=;
};

struct Operation : Positioned {
  std::string op;
  Operand operand;
};

// first op operand op operand …, left-associative.
struct Chain : Positioned {
  Operand first;
  std::vector<Operation> rest;
};

struct Unary : Positioned {
  std::string op;  // "-" or "not"
  Operand operand;
};

struct IfExpr : Positioned {
  Operand condition;
  Operand then_branch;
  Operand else_branch;
};

struct TestTail : Positioned {
  std::string op;  // cmp op, "in", "not in", "between", "is missing", "is present"
  Operand first;
  Operand second;  // only for between
};

struct Test : Positioned {
  Operand subject;
  std::optional<TestTail> tail;
};

struct Filter : Positioned {
  Operand list;
  std::optional<Operand> condition;
};

struct PostOp : Positioned {
  char kind = 0;  // '.' field, '(' call
  std::string name;
  std::vector<Operand> args;
};

struct Postfix : Positioned {
  Operand base;
  std::vector<PostOp> ops;
  std::optional<Operand> at;
};

struct ListLit : Positioned {
  char open = '[';
  std::vector<Operand> items;
};

}  // namespace mmi::parser::ast
