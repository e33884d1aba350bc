// The expression grammar of language.md §2: the canonical text of parsed trees for every
// precedence level and literal form, and the exact rendered text of syntax errors — for bare
// expressions and for expressions inside YAML scalars of every style, where line, column and
// caret must point into the policy file.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "rules/checked_policy.hpp"
#include "rules/diagnostics.hpp"
#include "rules/expr.hpp"
#include "rules/expr_source.hpp"
#include "test_support.hpp"

namespace {

// Parses text with no file behind it; "" when it did not parse.
std::string canonical(const std::string& text) {
  mmi::DiagnosticList diags;
  auto r = mmi::parse_expression_text(text, "expr", diags);
  if (!r.ok) return "ERROR: " + mmi::render_text(diags);
  return mmi::expr_to_string(r.expr);
}

// Parses text as if it were a one-line file `expr`, so the rendering quotes it with a caret.
std::string error_text(const std::string& text) {
  auto file = std::make_shared<const mmi::SourceFile>("expr", text);
  mmi::ExprSource source(text, file, 0, 1, 1);
  mmi::DiagnosticList diags;
  auto r = mmi::parse_expression(source, diags);
  if (r.ok) return "parsed: " + mmi::expr_to_string(r.expr);
  return mmi::render_text(diags);
}

struct Case {
  const char* input;
  const char* canonical;
};

}  // namespace

// expr_to_string parenthesizes every operand that is not a literal, name, field, call or list,
// so the expected strings below spell out how the grammar grouped the input.
TEST_CASE("parser: precedence, loosest binding first", "[parser]") {
  const std::vector<Case> cases = {
      // if > ?? > or > and > not > test > sum > product > unary > filter > postfix
      {"if a then b else c", "if a then b else c"},
      {"if a then b else c ?? d", "if a then b else (c ?? d)"},
      {"if a then if b then c else d else e", "if a then (if b then c else d) else e"},
      {"if a or b then 1 else 2", "if (a or b) then 1 else 2"},
      {"a ?? b or c", "a ?? (b or c)"},
      {"a ?? b ?? c", "(a ?? b) ?? c"},
      {"a or b and c", "a or (b and c)"},
      {"a and b or c", "(a and b) or c"},
      {"a or b or c", "(a or b) or c"},
      {"a and b and c", "(a and b) and c"},
      {"not a and b", "(not a) and b"},
      {"not not a", "not (not a)"},
      {"not a == b", "not (a == b)"},
      {"a == b and c != d", "(a == b) and (c != d)"},
      {"a + 1 < b * 2", "(a + 1) < (b * 2)"},
      {"a <= b", "a <= b"},
      {"a >= b", "a >= b"},
      {"a > b", "a > b"},
      {"a + b * c", "a + (b * c)"},
      {"a * b + c", "(a * b) + c"},
      {"a - b - c", "(a - b) - c"},
      {"a / b * c", "(a / b) * c"},
      {"(a + b) * c", "(a + b) * c"},
      {"-a * b", "(-a) * b"},
      {"-a.b", "-a.b"},
      {"- -a", "-(-a)"},
      {"-x where y", "-(x where y)"},
      {"a + b where c", "a + (b where c)"},
      {"xs where v > 1", "xs where (v > 1)"},
      {"xs where v > 1 or w < 2", "xs where ((v > 1) or (w < 2))"},
      // `where` takes an `or` operand: `??` binds looser and applies to the filtered list.
      {"xs where a ?? b", "(xs where a) ?? b"},
      {"count(xs where v > 1 and w < 2)", "count(xs where ((v > 1) and (w < 2)))"},
      {"a.b.c", "a.b.c"},
      {"first(xs).v", "first(xs).v"},
      {"last(xs where v > 1).date", "last(xs where (v > 1)).date"},
      {"f()", "f()"},
      {"max(a, b, 3)", "max(a, b, 3)"},
      {"fired(certified)", "fired(certified)"},
      {"td_cap at injury.date", "td_cap at injury.date"},
      {"td_cap at d + 1 day", "(td_cap at d) + 1 days"},
      {"p at q at r", "p at (q at r)"},
      {"x in [1, 2]", "x in [1, 2]"},
      {"x not in [1, 2]", "x not in [1, 2]"},
      {"not x in [1, 2]", "not (x in [1, 2])"},
      {"x in xs where v > 1", "x in (xs where (v > 1))"},
      {"x between 1 and 2", "x between 1 and 2"},
      {"x between a + 1 and b * 2", "x between (a + 1) and (b * 2)"},
      {"x between 1 and 2 and y", "(x between 1 and 2) and y"},
      {"x is missing", "x is missing"},
      {"x is present", "x is present"},
      {"x is missing or y is present", "(x is missing) or (y is present)"},
      {"a.b + 1 is missing", "(a.b + 1) is missing"},
      {"[]", "[]"},
      {"[1, 2, 3]", "[1, 2, 3]"},
      {"[a, [b]]", "[a, [b]]"},
      {"  a  +\n  b  ", "a + b"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    CHECK(canonical(c.input) == c.canonical);
  }
}

TEST_CASE("parser: literals, units, percent, dates and strings", "[parser]") {
  const std::vector<Case> cases = {
      {"0", "0"},
      {"42", "42"},
      {"3.25", "3.25"},
      {"1.50", "1.5"},  // decimals are normalized
      {"-5", "-5"},
      {"a == -1", "a == -1"},
      {"- 2.5", "-2.5"},
      {"5%", "0.05"},
      {"12.5%", "0.125"},
      {"100%", "1"},
      {"1 day", "1 days"},
      {"3 days", "3 days"},
      {"3days", "3 days"},
      {"1 week", "7 days"},
      {"104 weeks", "728 days"},  // 104 * 7
      {"-3 days", "-3 days"},
      {"1 month", "1 months"},
      {"18 months", "18 months"},
      {"1 year", "12 months"},
      {"2 years", "24 months"},
      {"0.5 years", "6 months"},  // 0.5 * 12, whole
      {"1.5 days", "ERROR"},      // not whole: checked below
      {"2024-01-15", "2024-01-15"},
      {"2024-02-29", "2024-02-29"},
      // a date literal wins over subtraction; with spaces or short fields it is subtraction
      {"2024 - 01 - 15", "(2024 - 1) - 15"},
      {"2024-1-15", "(2024 - 1) - 15"},
      {"2024-01-15 - 3 days", "2024-01-15 - 3 days"},
      {"2024-01-15 + 1 month", "2024-01-15 + 1 months"},
      {"x-1", "x - 1"},
      {"'abc'", "\"abc\""},
      {"\"abc\"", "\"abc\""},
      {"'it\\'s'", "\"it's\""},
      {"\"a'b\"", "\"a'b\""},
      {"''", "\"\""},
      {"true", "true"},
      {"false", "false"},
      {"missing", "missing"},
      {"a ?? missing", "a ?? missing"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    if (std::string(c.canonical) == "ERROR")
      CHECK(canonical(c.input).rfind("ERROR", 0) == 0);
    else
      CHECK(canonical(c.input) == c.canonical);
  }
}

TEST_CASE("parser: keywords are reserved, names that merely start with one are not", "[parser]") {
  const std::vector<Case> names = {
      {"iffy", "iffy"},
      {"notice + 1", "notice + 1"},
      {"android or island", "android or island"},
      {"order", "order"},
      {"isolated", "isolated"},
      {"missing_days", "missing_days"},
      {"true_value", "true_value"},
      {"at_risk", "at_risk"},
      {"between_x", "between_x"},
      {"wherever", "wherever"},
      {"presently", "presently"},
      {"thence", "thence"},
      {"elsewhere", "elsewhere"},
      {"inner", "inner"},
      {"_x1", "_x1"},
      {"days + weeks", "days + weeks"},  // units are words only right after a number
      {"x.date", "x.date"},
  };
  for (const auto& c : names) {
    INFO("input: " << c.input);
    CHECK(canonical(c.input) == c.canonical);
  }
  for (const char* kw :
       {"if", "then", "else", "or", "and", "not", "in", "between", "is", "where", "at"}) {
    std::string text = std::string(kw) + " + 1";
    INFO("keyword as a name: " << text);
    CHECK(canonical(text).rfind("ERROR", 0) == 0);
  }
  CHECK(canonical("x.if").rfind("ERROR", 0) == 0);
  // `missing`, `true`, `false` are literals, never names
  CHECK(canonical("missing") == "missing");
}

TEST_CASE("parser: syntax errors render with line, column and caret", "[parser]") {
  struct ErrorCase {
    const char* input;
    std::uint32_t column;  // 1-based
    std::uint32_t length;  // of the caret and tildes
    const char* message;
  };
  const std::vector<ErrorCase> cases = {
      {"1 = 2", 3, 1, "unexpected `=` (use `==` to compare)"},
      {"a && b", 3, 1, "unexpected `&` (use `and`)"},
      {"a | b", 3, 1, "unexpected `|` (use `or`)"},
      // comparisons do not chain: the second `<` is left over (offset 6, column 7)
      {"a < b < c", 7, 1, "unexpected `<`"},
      // a word left over is underlined whole: `foo` at columns 7-9
      {"a + b foo", 7, 3, "unexpected `foo`"},
      {"a +", 4, 1, "expected an operand, found the end of the expression"},
      {"a + * b", 5, 1, "expected an operand, found `*`"},
      {"a * / b", 5, 1, "expected an operand, found `/`"},
      {"(1 + 2", 7, 1, "expected `)`, found the end of the expression"},
      {"[1, 2", 6, 1, "expected `]`, found the end of the expression"},
      {"f(1, 2", 7, 1, "expected `)`, found the end of the expression"},
      {"if a then b", 12, 1, "expected `else`, found the end of the expression"},
      {"if a else b", 6, 4, "expected `then`, found `else`"},
      {"x is 3", 6, 1, "expected `missing` or `present`, found `3`"},
      {"x between 1 or 2", 13, 2, "expected `and` (of `between … and …`), found `or`"},
      {"a.", 3, 1, "expected a name, found the end of the expression"},
      {"a.B", 3, 1, "expected a name, found `B`"},
      {"", 1, 1, "expected an expression, found the end"},
      {"@", 1, 1, "expected an expression, found `@`"},
      {"where + 1", 1, 1, "expected an expression, found `where`"},
      {"x where", 8, 1, "expected an expression, found the end of the expression"},
      {"a ?? ", 6, 1, "expected an expression, found the end of the expression"},
      {"2024-02-30", 1, 10, "`2024-02-30` is not a calendar date"},
      {"d + 2023-02-29", 5, 10, "`2023-02-29` is not a calendar date"},  // 2023: no leap day
      {"1.5 days", 1, 8, "a duration must be a whole number of days"},
      {"x + 1.5 months", 5, 10, "a period must be a whole number of months"},
      {"first(xs)(1)", 1, 12, "only a function name can be called"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    std::string expected = std::string("expr:1:") + std::to_string(c.column) +
                           ": error[E100]: " + c.message + "\n" + "  |\n" + "1 | " + c.input +
                           "\n" + "  | " + std::string(c.column - 1, ' ') + "^" +
                           std::string(c.length - 1, '~') + "\n";
    CHECK(error_text(c.input) == expected);
  }
}

TEST_CASE("parser: unterminated strings", "[parser]") {
  // Both quote styles; the error is at the end of the text.
  std::string single = error_text("t == 'abc");
  CHECK(single.rfind("expr:1:10: error[E100]: expected ", 0) == 0);
  std::string dbl = error_text("t == \"abc");
  CHECK(dbl.rfind("expr:1:10: error[E100]: expected ", 0) == 0);
}

TEST_CASE("parser: errors without a file name the column on line 1", "[parser]") {
  mmi::DiagnosticList diags;
  auto r = mmi::parse_expression_text("a < b < c", "--set x", diags);
  CHECK_FALSE(r.ok);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].code == mmi::Code::E100);
  CHECK(diags.items()[0].at.to_string() == "--set x:1:7");
  CHECK(mmi::render_text(diags).rfind("--set x:1:7: error[E100]: unexpected `<`\n", 0) == 0);
}

TEST_CASE("parser: 100,000 levels of nesting give one E101, no crash", "[parser][limits]") {
  // 100,000 levels (over 64 KiB of text) and 30,000 levels (under it: the nesting guard).
  for (int depth : {100000, 30000}) {
    for (const char* open : {"(", "-", "not ", "[", "f("}) {
      const std::string o(open);
      std::string text;
      for (int i = 0; i < depth; ++i) text += o;
      text += "1";
      if (o == "(" || o == "f(") text += std::string(depth, ')');
      if (o == "[") text += std::string(depth, ']');
      INFO("nesting " << depth << " deep with " << open);
      mmi::DiagnosticList diags;
      auto r = mmi::parse_expression_text(text, "deep", diags);
      CHECK_FALSE(r.ok);
      REQUIRE(diags.items().size() == 1);
      CHECK(diags.items()[0].code == mmi::Code::E101);
      CHECK(diags.items()[0].at.line == 1);
      if (text.size() < 64 * 1024)
        CHECK(diags.items()[0].message.find("nested") != std::string::npos);
    }
  }
  // 10 levels of parentheses are ordinary and parse.
  CHECK(canonical("((((((((((1 + 2))))))))))") == "1 + 2");
}

TEST_CASE("parser: long operator chains are limited, a 1 MB expression is refused",
          "[parser][limits]") {
  // 1 MB of `1 + 1 + …`: one E101 for the size, not a crash or a stack overflow.
  std::string big = "1";
  while (big.size() < (1u << 20)) big += " + 1";
  mmi::DiagnosticList diags;
  auto r = mmi::parse_expression_text(big, "big", diags);
  CHECK_FALSE(r.ok);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].code == mmi::Code::E101);

  // 50 terms are fine: a left-leaning tree 49 `+` deep.
  std::string fifty = "1";
  for (int i = 0; i < 49; ++i) fifty += " + 1";
  mmi::DiagnosticList ok_diags;
  CHECK(mmi::parse_expression_text(fifty, "fifty", ok_diags).ok);

  // A 1 MB string literal is also one error.
  std::string text = "'" + std::string(1u << 20, 'x') + "'";
  mmi::DiagnosticList d2;
  CHECK_FALSE(mmi::parse_expression_text(text, "str", d2).ok);
  CHECK(d2.items().size() == 1);
}

// ---- expressions inside policy files -------------------------------------------------------

namespace {

// A policy whose only rule's `when` is given as YAML lines (indented under `    when:`).
std::string policy_with_when(const std::string& when_lines) {
  return "policy: p\n"                  // 1
         "version: \"1\"\n"             // 2
         "definition: max-potential\n"  // 3
         "facts:\n"                     // 4
         "  n: number\n"                // 5
         "  m: number\n"                // 6
         "rules:\n"                     // 7
         "  - id: r\n"                  // 8
         "    mmi_date: 2024-01-01\n"   // 9
         + when_lines +                 // 10…
         "decision:\n"
         "  hit: earliest\n";
}

std::string check_rendered(const std::string& text) {
  mmi_test::TempDir dir;
  std::string path = dir.write("policy.yaml", text);
  mmi::DiagnosticList diags;
  auto merged = mmi::load_and_merge(path, diags);
  REQUIRE(merged);
  mmi::CheckOptions options;
  options.warnings = false;
  mmi::check_policy(*merged, options, diags);
  return mmi_test::render(diags, dir);
}

}  // namespace

const mmi::Diagnostic& first_error(const mmi::DiagnosticList& diags) {
  for (const auto& d : diags.items())
    if (d.severity == mmi::Severity::error) return d;
  return diags.items().front();
}

// The rendering of one E100 in policy.yaml, built from hand-computed line and column.
std::string yaml_error(std::uint32_t line, std::uint32_t column, std::uint32_t length,
                       const std::string& message, const std::string& source_line) {
  std::string gutter = std::to_string(line);
  std::string pad(gutter.size(), ' ');
  return "policy.yaml:" + gutter + ":" + std::to_string(column) + ": error[E100]: " + message +
         "\n" + pad + " |\n" + gutter + " | " + source_line + "\n" + pad + " | " +
         std::string(column - 1, ' ') + "^" + std::string(length - 1, '~') + "\n";
}

TEST_CASE("parser: positions map into plain YAML scalars", "[parser][yaml]") {
  // `    when: ` is 10 characters: the scalar starts at column 11; the second `>` is offset 4.
  CHECK(check_rendered(policy_with_when("    when: n > > 1\n")) ==
        yaml_error(10, 15, 1, "expected an operand, found `>`", "    when: n > > 1"));
  // A plain scalar folded over two lines: the error is on the second line, column 11.
  CHECK(check_rendered(policy_with_when("    when: n > 1 and\n"
                                        "      m > > 2\n")) ==
        yaml_error(11, 11, 1, "expected an operand, found `>`", "      m > > 2"));
  // A trailing comment is YAML's, not the expression's.
  CHECK(check_rendered(policy_with_when("    when: n > 1 or  # a comment\n")) ==
        yaml_error(10, 19, 1, "expected an expression, found the end of the expression",
                   "    when: n > 1 or  # a comment"));
}

TEST_CASE("parser: positions map into quoted YAML scalars", "[parser][yaml]") {
  // Single quotes: the quote is column 11, `n` column 12, the second `>` column 16.
  CHECK(check_rendered(policy_with_when("    when: 'n > > 1'\n")) ==
        yaml_error(10, 16, 1, "expected an operand, found `>`", "    when: 'n > > 1'"));
  // The end of a single-quoted text is the closing quote: `n > 1 or` ends at column 20.
  CHECK(check_rendered(policy_with_when("    when: 'n > 1 or'\n")) ==
        yaml_error(10, 20, 1, "expected an expression, found the end of the expression",
                   "    when: 'n > 1 or'"));
  // Double quotes with escapes: the text is `n == "a" > 1`; the leftover `>` is text offset 9.
  // In the file: `"` 11, n 12, ' ' 13, = 14, = 15, ' ' 16, \ 17, " 18, a 19, \ 20, " 21,
  // ' ' 22, > 23.
  CHECK(check_rendered(policy_with_when("    when: \"n == \\\"a\\\" > 1\"\n")) ==
        yaml_error(10, 23, 1, "unexpected `>`", "    when: \"n == \\\"a\\\" > 1\""));
  // A double-quoted scalar over two lines: `m` starts line 11 at column 7, `>` `>` at 9 and 11.
  CHECK(check_rendered(policy_with_when("    when: \"n > 1 and\n"
                                        "      m > > 2\"\n")) ==
        yaml_error(11, 11, 1, "expected an operand, found `>`", "      m > > 2\""));
}

TEST_CASE("parser: positions map into block scalars", "[parser][yaml]") {
  // Folded: the text is "n > 1 and m > > 2\n"; the second `>` of line 12 is column 11.
  const std::string expected =
      yaml_error(12, 11, 1, "expected an operand, found `>`", "      m > > 2");
  CHECK(check_rendered(policy_with_when("    when: >\n"
                                        "      n > 1 and\n"
                                        "      m > > 2\n")) == expected);
  CHECK(check_rendered(policy_with_when("    when: >-\n"
                                        "      n > 1 and\n"
                                        "      m > > 2\n")) == expected);
  // Literal: the same text with a newline instead of the fold.
  CHECK(check_rendered(policy_with_when("    when: |\n"
                                        "      n > 1 and\n"
                                        "      m > > 2\n")) == expected);
  CHECK(check_rendered(policy_with_when("    when: |-\n"
                                        "      n > 1 and\n"
                                        "      m > > 2\n")) == expected);
  // Deeper indentation inside a literal block is kept as spaces: column 13.
  CHECK(check_rendered(policy_with_when("    when: |\n"
                                        "      n > 1 and\n"
                                        "        m > > 2\n")) ==
        yaml_error(12, 13, 1, "expected an operand, found `>`", "        m > > 2"));
  // An error on the first line of a block: `@` at column 11 of line 11.
  CHECK(check_rendered(policy_with_when("    when: >\n"
                                        "      n > @ and\n"
                                        "      m > 2\n")) ==
        yaml_error(11, 11, 1, "expected an operand, found `@`", "      n > @ and"));
}

TEST_CASE("parser: a bad date literal in YAML is underlined whole", "[parser][yaml]") {
  // `when: n > 1 and 2025-02-30 > 2024-01-01`: the bad date is text offset 10, column 21.
  CHECK(check_rendered(policy_with_when("    when: n > 1 and 2025-02-30 > 2024-01-01\n")) ==
        yaml_error(10, 21, 10, "`2025-02-30` is not a calendar date",
                   "    when: n > 1 and 2025-02-30 > 2024-01-01"));
}

TEST_CASE("parser: deep nesting and huge expressions inside a policy", "[parser][yaml][limits]") {
  mmi_test::TempDir dir;
  std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')') + " > 0";
  std::string path = dir.write("deep.yaml", policy_with_when("    when: " + deep + "\n"));
  auto diags = mmi_test::check_file(path);
  REQUIRE(diags.error_count() == 1);
  const mmi::Diagnostic& e = first_error(diags);
  CHECK(e.code == mmi::Code::E101);
  CHECK(e.at.line == 10);

  std::string big = "n";
  while (big.size() < (1u << 20)) big += " + n";
  std::string path2 = dir.write("big.yaml", policy_with_when("    when: " + big + " > 0\n"));
  auto diags2 = mmi_test::check_file(path2);
  REQUIRE(diags2.error_count() == 1);
  CHECK(first_error(diags2).code == mmi::Code::E101);
  CHECK(first_error(diags2).at.to_string() == path2 + ":10:11");
}

// `implies` (docs/language.md §3): the loosest binding, right-associative, lowered to `not a or b`.
TEST_CASE("parser: implies", "[parser]") {
  const std::vector<Case> cases = {
      {"a implies b", "(not a) or b"},
      {"a implies b implies c", "(not a) or ((not b) or c)"},
      {"a or b implies c and d", "(not (a or b)) or (c and d)"},
      {"a ?? b implies c", "(not (a ?? b)) or c"},
      {"(a implies b) implies c", "(not ((not a) or b)) or c"},
      {"if a then b else c implies d", "if a then b else ((not c) or d)"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(canonical(c.input) == c.canonical);
  }
  // A reserved word: not a name.
  CHECK(canonical("implies").rfind("ERROR", 0) == 0);
  // The source range of the lowered tree spans both operands.
  mmi::DiagnosticList diags;
  auto r = mmi::parse_expression_text("x > 1 implies y", "expr", diags);
  REQUIRE(r.ok);
  CHECK(r.expr.begin == 0);
  CHECK(r.expr.end == 15);
  CHECK(r.expr.args[0].kind == mmi::ExprKind::not_);
  CHECK(r.expr.args[0].end == r.expr.args[0].args[0].end);
}
