// The one translation unit that instantiates the X3 grammar. Exceptions X3 uses internally
// (expectation failures, our nesting guard) are caught here and become SyntaxError values.
#include "rules/parser/grammar_def.hpp"

namespace mmi::parser {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::uint32_t skip_blanks(std::string_view text, std::uint32_t at) {
  while (at < text.size() && is_blank(text[at])) ++at;
  return at;
}

// The token at `at`, for "unexpected `…`" messages.
std::string token_at(std::string_view text, std::uint32_t at) {
  std::uint32_t end = at;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  };
  if (end < text.size() && word(text[end])) {
    while (end < text.size() && word(text[end]) && end - at < 24) ++end;
  } else if (end < text.size()) {
    ++end;
  }
  std::string token(text.substr(at, end - at));
  for (char& c : token)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return token;
}

std::string describe_expected(std::string which) {
  if (which.size() >= 2 && which.front() == '\'' && which.back() == '\'')
    return "`" + which.substr(1, which.size() - 2) + "`";
  return which;
}

}  // namespace

GrammarResult parse_grammar(std::string_view text) {
  GrammarResult result;
  const char* begin = text.data();
  const char* first = begin;
  const char* last = begin + text.size();
  auto skipper = x3::char_(" \t\r\n");
  int depth = 0;
  try {
    auto const parser = x3::with<grammar::input_begin_tag>(
        begin)[x3::with<grammar::depth_tag>(std::ref(depth))[expression()]];
    bool ok = x3::phrase_parse(first, last, parser, skipper, result.tree);
    std::uint32_t at = skip_blanks(text, static_cast<std::uint32_t>(first - begin));
    if (ok && at == text.size()) {
      result.ok = true;
      return result;
    }
    result.error.offset = at;
    if (!ok) {
      result.error.message = at >= text.size()
                                 ? "expected an expression, found the end"
                                 : "expected an expression, found `" + token_at(text, at) + "`";
    } else {
      std::string token = token_at(text, at);
      result.error.length = static_cast<std::uint32_t>(token.size());
      result.error.message = "unexpected `" + token + "`";
      if (token == "=") result.error.message += " (use `==` to compare)";
      if (token == "&&" || token == "&") result.error.message += " (use `and`)";
      if (token == "|") result.error.message += " (use `or`)";
    }
  } catch (const x3::expectation_failure<const char*>& failure) {
    std::uint32_t at = skip_blanks(text, static_cast<std::uint32_t>(failure.where() - begin));
    result.error.offset = at;
    std::string expected = describe_expected(failure.which());
    if (at >= text.size()) {
      result.error.message = "expected " + expected + ", found the end of the expression";
    } else {
      std::string token = token_at(text, at);
      result.error.length = static_cast<std::uint32_t>(token.size());
      result.error.message = "expected " + expected + ", found `" + token + "`";
    }
  } catch (const grammar::depth_exceeded& deep) {
    result.error.code = Code::E101;
    result.error.offset = static_cast<std::uint32_t>(deep.where - begin);
    result.error.message =
        "expression nested too deeply (at most about 64 levels of parentheses); split it into lets";
    result.error.length = 1;
  }
  result.ok = false;
  return result;
}

}  // namespace mmi::parser
