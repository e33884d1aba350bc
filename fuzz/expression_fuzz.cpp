// libFuzzer target: bytes as one policy expression (language.md §2) through the X3 grammar and
// the lowering to the expression tree. Any input must give a parse result or diagnostics, never a
// crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/checked_policy.hpp"
#include "rules/diagnostics.hpp"
#include "rules/expr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mmi::DiagnosticList diags;
  mmi::ParseResult result = mmi::parse_expression_text(text, "fuzz", diags);
  if (result.ok) (void)mmi::expr_to_string(result.expr);
  (void)mmi::render_text(diags, false);
  return 0;
}
