// A policy that repeats an expression text (generated policies do: the same `mmi_date:` in many
// rules) is parsed once per text, but every copy is checked and located on its own: the same
// diagnostics at each place, the same trees, as when each was parsed apart.
#include <catch2/catch.hpp>

#include <string>

#include "rules/checked_policy.hpp"
#include "test_support.hpp"

namespace {

const std::string kHeader =
    "policy: repeated\nversion: \"1\"\ndefinition: max-potential\nfacts:\n  claim:\n"
    "    start: date\n    weeks: number\n    note: text\n";

}  // namespace

TEST_CASE("checker: a repeated expression text is reported at each place it is written",
          "[checker]") {
  mmi_test::TempDir dir;
  std::string path = dir.write("policy.yaml", kHeader +
                                                  "rules:\n"
                                                  "  - id: a\n"
                                                  "    when: claim.note + 1 > 2\n"
                                                  "    mmi_date: claim.start +\n"
                                                  "  - id: b\n"
                                                  "    when:   claim.note + 1 > 2\n"
                                                  "    mmi_date: claim.start +\n"
                                                  "decision:\n  hit: earliest\n");
  auto diags = mmi_test::check_file(path, false);
  CHECK(mmi_test::summary(diags, dir) ==
        "E201 policy.yaml:11:11 cannot apply `+` to text and number\n"
        "E100 policy.yaml:12:28 expected an operand, found the end of the expression\n"
        "E201 policy.yaml:14:13 cannot apply `+` to text and number\n"
        "E100 policy.yaml:15:28 expected an operand, found the end of the expression\n");
}

TEST_CASE("checker: rules sharing an expression text get equal trees", "[checker]") {
  mmi_test::TempDir dir;
  std::string path = dir.write("policy.yaml", kHeader +
                                                  "let:\n  due: claim.start + 2 weeks\n"
                                                  "rules:\n"
                                                  "  - id: a\n"
                                                  "    when: claim.weeks > 2\n"
                                                  "    mmi_date: due\n"
                                                  "  - id: b\n"
                                                  "    when: claim.weeks > 3\n"
                                                  "    mmi_date: due\n"
                                                  "    unless: claim.weeks > 2\n"
                                                  "decision:\n  hit: earliest\n");
  mmi::DiagnosticList diags;
  auto checked = mmi::load_checked_policy(path, {}, diags);
  REQUIRE(checked);
  REQUIRE(checked->rules.size() == 2);
  const auto& a = checked->rules[0];
  const auto& b = checked->rules[1];
  CHECK(mmi::expr_to_string(a.mmi_date.expr) == "due");
  CHECK(mmi::expr_to_string(b.mmi_date.expr) == "due");
  CHECK(b.mmi_date.expr.ref == mmi::Ref::let);
  CHECK(a.mmi_date.type_id == b.mmi_date.type_id);
  REQUIRE(b.unless);
  CHECK(mmi::expr_to_string(b.unless->expr) == mmi::expr_to_string(a.when.expr));
  // Each copy keeps its own place in the file.
  CHECK(a.mmi_date.source.location().line == 14);
  CHECK(b.mmi_date.source.location().line == 17);
  CHECK(b.unless->source.location().line == 18);
  CHECK(a.when.expr.args[0].ref == mmi::Ref::fact);
  CHECK(b.unless->expr.args[0].ref == mmi::Ref::fact);
}
