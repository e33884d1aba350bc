#pragma once

#include <boost/fusion/include/adapt_struct.hpp>

#include "rules/parser/ast.hpp"

BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::Atom, kind, text, suffix)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::Operation, op, operand)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::Chain, first, rest)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::Unary, op, operand)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::IfExpr, condition, then_branch, else_branch)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::TestTail, op, first, second)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::Test, subject, tail)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::Filter, list, condition)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::PostOp, kind, name, args)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::Postfix, base, ops, at)
BOOST_FUSION_ADAPT_STRUCT(mmi::parser::ast::ListLit, open, items)
