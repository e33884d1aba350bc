// Definitions of the expression grammar (language.md §2). Included by grammar.cpp only.
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <type_traits>

#include "rules/parser/ast.hpp"
#include "rules/parser/ast_adapted.hpp"
#include "rules/parser/grammar.hpp"

namespace mmi::parser {
namespace grammar {

using x3::attr;
using x3::char_;
using x3::expect;
using x3::lexeme;
using x3::lit;
using x3::omit;
using x3::repeat;
using x3::string;

// Nesting limit: deeper input would exhaust the stack inside the recursive descent.
constexpr int kMaxNesting = 192;  // about 64 nested parentheses (3 guarded rules a level)

struct input_begin_tag;
struct depth_tag;

struct depth_exceeded {
  const char* where;
};

// Records each node's byte range; leading whitespace the skipper has not yet eaten is trimmed.
struct annotate_position {
  template <typename Iterator, typename Attribute, typename Context>
  void on_success(Iterator const& first, Iterator const& last, Attribute& node,
                  Context const& context) const {
    if constexpr (std::is_base_of_v<ast::Positioned, Attribute>) {
      const char* base = x3::get<input_begin_tag>(context);
      Iterator f = first;
      while (f != last && (*f == ' ' || *f == '\t' || *f == '\r' || *f == '\n')) ++f;
      node.begin = static_cast<std::uint32_t>(f - base);
      node.end = static_cast<std::uint32_t>(last - base);
    }
  }
};

// Counts recursion through the wrapped parser and stops input nested past kMaxNesting.
template <typename Subject>
struct depth_guard_parser : x3::unary_parser<Subject, depth_guard_parser<Subject>> {
  using base_type = x3::unary_parser<Subject, depth_guard_parser<Subject>>;
  static bool const handles_container = Subject::handles_container;
  static bool const is_pass_through_unary = true;
  constexpr depth_guard_parser(Subject const& subject) : base_type(subject) {}

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             Attribute& attribute) const {
    int& depth = x3::get<depth_tag>(context).get();
    if (++depth > kMaxNesting) throw depth_exceeded{first};
    bool ok = this->subject.parse(first, last, context, rcontext, attribute);
    --depth;
    return ok;
  }
};

struct depth_guard_gen {
  template <typename Subject>
  constexpr depth_guard_parser<typename x3::extension::as_parser<Subject>::value_type> operator[](
      Subject const& subject) const {
    return {x3::as_parser(subject)};
  }
};
constexpr depth_guard_gen guarded{};

// ASCII only: Spirit's classification parsers assert on bytes >= 0x80 in Boost 1.74.
auto const digit = char_('0', '9');
auto const ident_char = char_('a', 'z') | char_('A', 'Z') | char_('0', '9') | char_('_');
auto kw(char const* word) {
  return lexeme[lit(word) >> !ident_char];
}
auto kw_str(char const* word) {
  return lexeme[string(word) >> !ident_char];
}

auto const keyword =
    lexeme[(lit("if") | lit("then") | lit("else") | lit("or") | lit("and") | lit("not") |
            lit("in") | lit("between") | lit("is") | lit("missing") | lit("present") |
            lit("where") | lit("at") | lit("true") | lit("false") | lit("implies")) >>
           !ident_char];

struct expression_class : annotate_position {};
struct if_class : annotate_position {};
struct coalesce_class : annotate_position {};
struct or_class : annotate_position {};
struct and_class : annotate_position {};
struct not_class : annotate_position {};
struct not_prefix_class : annotate_position {};
struct test_class : annotate_position {};
struct test_tail_class : annotate_position {};
struct sum_class : annotate_position {};
struct product_class : annotate_position {};
struct unary_class : annotate_position {};
struct negation_class : annotate_position {};
struct filter_class : annotate_position {};
struct postfix_class : annotate_position {};
struct postop_class : annotate_position {};
struct primary_class : annotate_position {};
struct number_atom_class : annotate_position {};
struct date_atom_class : annotate_position {};
struct string_atom_class : annotate_position {};
struct word_atom_class : annotate_position {};
struct name_atom_class : annotate_position {};
struct list_class : annotate_position {};
struct coalesce_op_class : annotate_position {};
struct or_op_class : annotate_position {};
struct implication_class : annotate_position {};
struct implies_op_class : annotate_position {};
struct and_op_class : annotate_position {};
struct sum_op_class : annotate_position {};
struct product_op_class : annotate_position {};

x3::rule<class identifier_class, std::string> const identifier = "a name";
x3::rule<class number_text_class, std::string> const number_text = "a number";
x3::rule<class unit_class, std::string> const unit = "a unit";
x3::rule<class date_text_class, std::string> const date_text = "a date";
x3::rule<class string_text_class, std::string> const string_text = "a string";
x3::rule<class is_word_class, std::string> const is_word = "`missing` or `present`";
x3::rule<class kw_then_class> const kw_then = "`then`";
x3::rule<class kw_else_class> const kw_else = "`else`";
x3::rule<class kw_and_class> const kw_and = "`and` (of `between … and …`)";
x3::rule<class close_paren_class> const close_paren = "`)`";
x3::rule<class close_bracket_class> const close_bracket = "`]`";

expression_type const expr_ = "an expression";
x3::rule<if_class, ast::IfExpr> const if_expr = "an if expression";
x3::rule<coalesce_class, ast::Chain> const coalesce = "an expression";
x3::rule<or_class, ast::Chain> const or_ = "an expression";
x3::rule<and_class, ast::Chain> const and_ = "an expression";
x3::rule<not_class, ast::Operand> const not_ = "an expression";
x3::rule<not_prefix_class, ast::Unary> const not_prefix = "`not` expression";
x3::rule<test_class, ast::Test> const test = "an expression";
x3::rule<test_tail_class, ast::TestTail> const test_tail = "a comparison";
x3::rule<sum_class, ast::Chain> const sum = "an operand";
x3::rule<product_class, ast::Chain> const product = "an operand";
x3::rule<unary_class, ast::Operand> const unary = "an operand";
x3::rule<negation_class, ast::Unary> const negation = "a negation";
x3::rule<filter_class, ast::Filter> const filter = "an operand";
x3::rule<postfix_class, ast::Postfix> const postfix = "an operand";
x3::rule<postop_class, ast::PostOp> const postop = "a field or call";
x3::rule<primary_class, ast::Operand> const primary = "an operand";
x3::rule<number_atom_class, ast::Atom> const number_atom = "a number";
x3::rule<date_atom_class, ast::Atom> const date_atom = "a date";
x3::rule<string_atom_class, ast::Atom> const string_atom = "a string";
x3::rule<word_atom_class, ast::Atom> const word_atom = "a literal";
x3::rule<name_atom_class, ast::Atom> const name_atom = "a name";
x3::rule<list_class, ast::ListLit> const list_lit = "a list";
x3::rule<coalesce_op_class, ast::Operation> const coalesce_op = "`??` operand";
x3::rule<or_op_class, ast::Operation> const or_op = "`or` operand";
x3::rule<implication_class, ast::Chain> const implication = "an expression";
x3::rule<implies_op_class, ast::Operation> const implies_op = "`implies` operand";
x3::rule<and_op_class, ast::Operation> const and_op = "`and` operand";
x3::rule<sum_op_class, ast::Operation> const sum_op = "`+`/`-` operand";
x3::rule<product_op_class, ast::Operation> const product_op = "`*`/`/` operand";

auto const identifier_def = lexeme[!keyword >> (char_('a', 'z') | char_('_')) >>
                                   *(char_('a', 'z') | char_('0', '9') | char_('_'))];
auto const number_text_def = lexeme[+digit >> -(char_('.') >> +digit)];
auto const unit_def =
    lexeme[(string("days") | string("day") | string("weeks") | string("week") | string("months") |
            string("month") | string("years") | string("year")) >>
           !ident_char];
auto const date_text_def = lexeme[repeat(4)[digit] >> char_('-') >> repeat(2)[digit] >>
                                  char_('-') >> repeat(2)[digit] >> !ident_char];
auto const string_text_def =
    lexeme[(lit('"') >> *((lit('\\') >> char_) | ~char_("\"\\")) >> expect[lit('"')]) |
           (lit('\'') >> *((lit('\\') >> char_) | ~char_("'\\")) >> expect[lit('\'')])];
auto const is_word_def = (kw("missing") >> attr(std::string("is missing"))) |
                         (kw("present") >> attr(std::string("is present")));
auto const kw_then_def = kw("then");
auto const kw_else_def = kw("else");
auto const kw_and_def = kw("and");
auto const close_paren_def = lit(')');
auto const close_bracket_def = lit(']');

auto const number_atom_def = attr('n') >> number_text >> (unit | string("%") | attr(std::string()));
auto const date_atom_def = attr('d') >> date_text >> attr(std::string());
auto const string_atom_def = attr('s') >> string_text >> attr(std::string());
auto const word_atom_def =
    (attr('b') >> (kw_str("true") | kw_str("false")) >> attr(std::string())) |
    (attr('m') >> kw_str("missing") >> attr(std::string()));
auto const name_atom_def = attr('i') >> identifier >> attr(std::string());
auto const list_lit_def =
    char_('[') >> ((expr_ % ',') | attr(std::vector<ast::Operand>())) >> expect[close_bracket];

auto const primary_def = date_atom | number_atom | string_atom | list_lit |
                         (lit('(') >> expect[expr_] >> expect[close_paren]) | word_atom | name_atom;
auto const postop_def =
    (char_('.') >> expect[identifier] >> attr(std::vector<ast::Operand>())) |
    (char_('(') >> attr(std::string()) >> ((expr_ % ',') | attr(std::vector<ast::Operand>())) >>
     expect[close_paren]);
auto const postfix_def = primary >> *postop >> -(kw("at") >> expect[guarded[postfix]]);
auto const filter_def = postfix >> -(kw("where") >> expect[or_]);
auto const negation_def = string("-") >> expect[unary];
auto const unary_def = guarded[negation | filter];
auto const product_op_def = (string("*") | string("/")) >> expect[unary];
auto const product_def = unary >> *product_op;
auto const sum_op_def = (string("+") | string("-")) >> expect[product];
auto const sum_def = product >> *sum_op;

auto const cmp_op =
    string("==") | string("!=") | string("<=") | string(">=") | string("<") | string(">");
auto const test_tail_def =
    (cmp_op >> expect[sum] >> attr(ast::Operand())) |
    (kw_str("in") >> expect[sum] >> attr(ast::Operand())) |
    (omit[kw("not") >> kw("in")] >> attr(std::string("not in")) >> expect[sum] >>
     attr(ast::Operand())) |
    (kw_str("between") >> expect[sum] >> expect[kw_and] >> expect[sum]) |
    (omit[kw("is")] >> expect[is_word] >> attr(ast::Operand()) >> attr(ast::Operand()));
auto const test_def = sum >> -test_tail;
auto const not_prefix_def = kw_str("not") >> expect[not_];
auto const not__def = guarded[not_prefix | test];
auto const and_op_def = kw_str("and") >> expect[not_];
auto const and__def = not_ >> *and_op;
auto const or_op_def = kw_str("or") >> expect[and_];
auto const or__def = and_ >> *or_op;
auto const coalesce_op_def = string("??") >> expect[or_];
auto const coalesce_def = or_ >> *coalesce_op;
auto const if_expr_def = omit[kw("if")] >> expect[expr_] >> expect[kw_then] >> expect[expr_] >>
                         expect[kw_else] >> expect[expr_];
// `a implies b implies c` is a chain lowered right to left (lower.cpp): a implies (b implies c).
auto const implies_op_def = kw_str("implies") >> expect[guarded[if_expr | coalesce]];
auto const implication_def = guarded[if_expr | coalesce] >> *implies_op;
auto const expr__def = guarded[implication];

BOOST_SPIRIT_DEFINE(identifier, number_text, unit, date_text, string_text, is_word, kw_then,
                    kw_else, kw_and, close_paren, close_bracket, number_atom, date_atom,
                    string_atom, word_atom, name_atom, list_lit, primary, postop, postfix, filter,
                    negation, unary, product_op, product, sum_op, sum, test_tail, test, not_prefix,
                    not_, and_op, and_, or_op, or_, coalesce_op, coalesce, if_expr, implies_op,
                    implication, expr_)

}  // namespace grammar

inline grammar::expression_type const& expression() {
  return grammar::expr_;
}

}  // namespace mmi::parser
