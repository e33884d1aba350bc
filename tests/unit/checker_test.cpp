// The policy front end (language.md §1, §3–§7): every diagnostic code the loader, merger and type
// checker can emit, each with its code, message and file:line:col; bad input of every kind.
// Policies are small files in a temporary directory; positions are counted by hand from the
// text below (every policy starts with the 3-line HEADER, so bodies start on line 4).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>

#include "rules/checked_policy.hpp"
#include "rules/diagnostics.hpp"
#include "rules/policy_ast.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using mmi_test::TempDir;

namespace {

const std::string HEADER =
    "policy: p\n"                   // 1
    "version: \"1\"\n"              // 2
    "definition: max-potential\n";  // 3
const std::string DECISION = "decision:\n  hit: earliest\n";

struct Checked {
  std::string all;       // "CODE file:line:col message" per diagnostic, sorted by place
  std::string rendered;  // render_text of everything
  mmi::DiagnosticList diags;
};

Checked check(const TempDir& dir, const std::string& name, const std::string& text,
              bool warnings = true) {
  std::string path = dir.write(name, text);
  Checked c;
  c.diags = mmi_test::check_file(path, warnings);
  c.all = mmi_test::summary(c.diags, dir);
  c.rendered = mmi_test::render(c.diags, dir);
  return c;
}

Checked check_text(const std::string& text) {
  TempDir dir;
  return check(dir, "policy.yaml", text);
}

std::string help_of(const mmi::DiagnosticList& diags, mmi::Code code) {
  for (const auto& d : diags.items())
    if (d.code == code) return d.help;
  return "<no " + std::string(mmi::code_name(code)) + ">";
}

}  // namespace

// ---- a clean policy ---------------------------------------------------------------------------

TEST_CASE("checker: a clean policy has no diagnostics", "[checker]") {
  auto c = check_text(HEADER +
                      "facts:\n"
                      "  injury:\n"
                      "    date: date required\n"
                      "  xs:\n"
                      "    - date: date\n"
                      "      v: number\n"
                      "parameters:\n"
                      "  cap: 104 weeks\n"
                      "let:\n"
                      "  start: injury.date\n"
                      "rules:\n"
                      "  - id: r\n"
                      "    when: count(xs where v > 1) > 0\n"
                      "    mmi_date: start + cap\n" +
                      DECISION);
  CHECK(c.all == "");
}

// ---- E001–E004: files ------------------------------------------------------------------------

TEST_CASE("checker E001: a file that cannot be read", "[checker][E001]") {
  TempDir dir;
  mmi::DiagnosticList diags;
  CHECK_FALSE(mmi::load_and_merge((dir.path() / "nope.yaml").string(), diags));
  CHECK(mmi_test::summary(diags, dir) ==
        "E001 nope.yaml cannot read `nope.yaml`: no such file or not readable\n");

  std::filesystem::create_directories(dir.path() / "sub");
  mmi::DiagnosticList d2;
  CHECK_FALSE(mmi::load_and_merge((dir.path() / "sub").string(), d2));
  CHECK(mmi_test::summary(d2, dir) == "E001 sub cannot read `sub`: it is a directory\n");
}

TEST_CASE("checker E002: YAML syntax errors, empty files, binary and non-UTF-8 bytes",
          "[checker][E002]") {
  // An unclosed flow sequence: yaml-cpp notices at the end of the input (line 3).
  auto flow = check_text("policy: p\nversion: [1, 2\n");
  CHECK(flow.diags.items().size() == 1);
  CHECK_THAT(flow.all, Contains("E002 policy.yaml:3:1 YAML syntax error: "));

  auto empty = check_text("");
  CHECK(empty.all == "E002 policy.yaml:1:1 the file is empty\n");
  auto comments = check_text("# only a comment\n\n");
  CHECK(comments.all == "E002 policy.yaml:1:1 the file is empty\n");

  // PNG magic: 0x89 at offset 0 is not UTF-8.
  auto binary = check_text(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  CHECK(binary.all ==
        "E002 policy.yaml:1:1 byte 0x89 is not valid UTF-8 text (is this a binary file?)\n");
  // A NUL byte in otherwise ASCII text: `policy: p\n` is 10 bytes, NUL at line 2 column 3.
  auto nul = check_text(std::string("policy: p\nab\0cd\n", 16));
  CHECK(nul.all ==
        "E002 policy.yaml:2:3 byte 0x00 is not valid UTF-8 text (is this a binary file?)\n");
  // Latin-1 `é` (0xE9) after `title: caf` (10 bytes): line 5, column 11.
  auto latin1 = check_text(HEADER + "title: caf\xE9\n" + DECISION);
  CHECK(latin1.all ==
        "E002 policy.yaml:4:11 byte 0xE9 is not valid UTF-8 text (is this a binary file?)\n");
  // The same word in UTF-8 is fine.
  auto utf8 = check_text(HEADER + "title: caf\xC3\xA9\n" + DECISION);
  CHECK(utf8.all == "");
}

TEST_CASE("checker E002: an unterminated quoted scalar is a syntax error at its line",
          "[checker][E002]") {
  // `version: "1` never closes its quote: YAML requires the closing quote, so this is a syntax
  // error naming line 2, not a policy that silently lost its `definition` and `decision`.
  auto c = check_text("policy: p\nversion: \"1\ndefinition: max-potential\n" + DECISION);
  REQUIRE(c.diags.items().size() >= 1);
  CHECK(c.diags.items()[0].code == mmi::Code::E002);
  CHECK(c.diags.items()[0].at.line == 2);
}

TEST_CASE("checker E003: duplicate YAML keys", "[checker][E003]") {
  auto c = check_text(HEADER + "version: \"2\"\n" + DECISION);
  CHECK(
      c.all ==
      "E003 policy.yaml:4:1 duplicate key `version`\n  note policy.yaml:2:1 first written here\n");
  CHECK(c.rendered ==
        "policy.yaml:4:1: error[E003]: duplicate key `version`\n"
        "  |\n"
        "4 | version: \"2\"\n"
        "  | ^~~~~~~\n"
        "  note: policy.yaml:2:1: first written here\n");
  // Inside a rule: `when` twice (line 9).
  auto r = check_text(HEADER +
                      "rules:\n"                    // 4
                      "  - id: r\n"                 // 5
                      "    when: true\n"            // 6
                      "    mmi_date: 2024-01-01\n"  // 7
                      "    when: false\n" +         // 8
                      DECISION);
  CHECK_THAT(r.all, Contains("E003 policy.yaml:8:5 duplicate key `when`\n"));
}

TEST_CASE("checker E004: a 50 MB file is refused without reading it", "[checker][E004]") {
  TempDir dir;
  std::string path = (dir.path() / "big.yaml").string();
  {
    std::ofstream out(path, std::ios::binary);
    std::string line = "# " + std::string(1021, 'x') + "\n";  // 1024 bytes
    for (int i = 0; i < 50 * 1024; ++i) out << line;
  }
  auto diags = mmi_test::check_file(path);
  // 50 × 1024 × 1024 = 52428800 bytes
  CHECK(mmi_test::summary(diags, dir) ==
        "E004 big.yaml `big.yaml` is 52428800 bytes; files over 16 MiB are refused\n");
}

TEST_CASE("checker E004: facts nested too deeply", "[checker][E004]") {
  // 18 nested records: the 18th level (depth 17 > 16) is refused.
  std::string facts = "facts:\n";
  std::string indent = "  ";
  for (int i = 0; i < 18; ++i) {
    facts += indent + "r" + std::to_string(i) + ":\n";
    indent += "  ";
  }
  facts += indent + "x: number\n";
  auto c = check_text(HEADER + facts + DECISION);
  CHECK(c.diags.error_count() == 1);
  CHECK_THAT(c.all, Contains("E004 policy.yaml:"));
  CHECK_THAT(c.all, Contains("facts nested more than 16 levels deep"));
}

TEST_CASE("checker E004: a YAML alias bomb gives one diagnostic, quickly", "[checker][E004]") {
  // 10 fields, then 8 levels of 10 aliases each: 10^9 facts if expanded.
  std::string text = HEADER + "facts:\n  a0: &a0 {x: number, y: number, z: number, w: number, " +
                     "v: number, u: number, t: number, s: number, r: number, q: number}\n";
  for (int i = 1; i <= 8; ++i) {
    text += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " {";
    for (int k = 0; k < 10; ++k)
      text +=
          (k ? ", " : "") + std::string("k") + std::to_string(k) + ": *a" + std::to_string(i - 1);
    text += "}\n";
  }
  text += DECISION;
  auto c = check_text(text);
  CHECK(c.diags.error_count() == 1);
  CHECK_THAT(c.all, Contains("too many YAML nodes (an alias bomb?); stopped reading here"));
  // One clear diagnostic: no flood of warnings about the facts the bomb declared.
  CHECK(c.diags.items().size() == 1);
  // How fast it stops is measured by bench/, not asserted here (no timing in tests).
}

// ---- E010–E021: structure and merging ----------------------------------------------------------

TEST_CASE("checker E010: unknown keys with did-you-mean", "[checker][E010]") {
  auto c = check_text(HEADER + "titel: Texas\n" + DECISION);
  CHECK(c.all == "E010 policy.yaml:4:1 unknown top-level key `titel`\n");
  CHECK(help_of(c.diags, mmi::Code::E010) == "did you mean `title`?");
  CHECK(c.rendered ==
        "policy.yaml:4:1: error[E010]: unknown top-level key `titel`\n"
        "  |\n"
        "4 | titel: Texas\n"
        "  | ^~~~~\n"
        "  = help: did you mean `title`?\n");

  auto r = check_text(HEADER +
                      "rules:\n"                      // 4
                      "  - id: r\n"                   // 5
                      "    whn: true\n"               // 6
                      "    mmi_date: 2024-01-01\n" +  // 7
                      DECISION);
  CHECK_THAT(r.all, Contains("E010 policy.yaml:6:5 unknown rule key `whn`\n"));
  CHECK(help_of(r.diags, mmi::Code::E010) == "did you mean `when`?");
  auto d = check_text(HEADER + "decision:\n  hit: earliest\n  cutoff: as_of\n");
  CHECK(d.all == "E010 policy.yaml:6:3 unknown decision key `cutoff`\n");
}

TEST_CASE("checker E011: required keys", "[checker][E011]") {
  auto c = check_text("version: \"1\"\ndefinition: max-potential\n" + DECISION);
  CHECK(c.all == "E011 policy.yaml:1:1 missing required key `policy`\n");
  auto no_version = check_text("policy: p\ndefinition: max-potential\n" + DECISION);
  CHECK(no_version.all == "E011 policy.yaml:1:1 missing required key `version`\n");
  auto no_def = check_text("policy: p\nversion: \"1\"\n" + DECISION);
  CHECK(no_def.all ==
        "E011 policy.yaml:1:1 a top policy needs `definition: max-potential` or `definition: "
        "no-further-improvement`\n");
  auto rule = check_text(HEADER +
                         "rules:\n"       // 4
                         "  - id: r\n" +  // 5: the id value is column 9
                         DECISION);
  CHECK(rule.all ==
        "E011 policy.yaml:5:9 rule `r` is missing `when`\n"
        "E011 policy.yaml:5:9 rule `r` is missing `mmi_date`\n");
  auto let = check_text(HEADER + "let:\n  x: {description: no expression}\n" + DECISION);
  CHECK(let.all == "E011 policy.yaml:5:6 let `x` needs `expr:`\n");
}

TEST_CASE("checker E012: YAML nodes of the wrong kind", "[checker][E012]") {
  auto c = check_text(HEADER + "rules: 5\n" + DECISION);
  CHECK(c.all == "E012 policy.yaml:4:8 `rules` must be a list of rules (`- id: …`)\n");
  auto root = check_text("- a\n- b\n");
  CHECK(root.all ==
        "E012 policy.yaml:1:1 a policy file must be a YAML mapping of keys such as `policy:`\n");
  auto when = check_text(HEADER +
                         "rules:\n"                      // 4
                         "  - id: r\n"                   // 5
                         "    when: [a, b]\n"            // 6
                         "    mmi_date: 2024-01-01\n" +  // 7
                         DECISION);
  CHECK_THAT(when.all,
             Contains("E012 policy.yaml:6:11 an expression must be a YAML string, not a list or "
                      "mapping\n"));
}

TEST_CASE("checker E013: invalid identifiers", "[checker][E013]") {
  auto c = check_text("policy: Bad_Id\nversion: \"1\"\ndefinition: max-potential\n" + DECISION);
  CHECK(c.all == "E013 policy.yaml:1:9 policy id `Bad_Id` must match [a-z0-9][a-z0-9-]*\n");
  auto rule = check_text(HEADER +
                         "rules:\n"                      // 4
                         "  - id: R1\n"                  // 5
                         "    when: true\n"              // 6
                         "    mmi_date: 2024-01-01\n" +  // 7
                         DECISION);
  CHECK_THAT(rule.all, Contains("E013 policy.yaml:5:9 rule id `R1` must match [a-z][a-z0-9_]*\n"));
  auto fact = check_text(HEADER + "facts:\n  Injury: date\n" + DECISION);
  CHECK(fact.all == "E013 policy.yaml:5:3 fact name `Injury` must match [a-z_][a-z0-9_]*\n");
}

TEST_CASE("checker E014: invalid type declarations", "[checker][E014]") {
  auto c = check_text(HEADER + "facts:\n  n: numbr\n" + DECISION);
  CHECK(c.all == "E014 policy.yaml:5:6 unknown type `numbr`\n");
  CHECK(help_of(c.diags, mmi::Code::E014) == "did you mean `number`?");
  auto twice = check_text(HEADER + "facts:\n  k: enum(a, b, a)\n" + DECISION);
  CHECK(twice.all == "E014 policy.yaml:5:6 enum value `a` is listed twice\n");
  auto bad = check_text(HEADER + "facts:\n  k: enum(A, b)\n" + DECISION);
  CHECK(bad.all == "E014 policy.yaml:5:6 enum value `A` must match [a-z_][a-z0-9_]*\n");
  auto list = check_text(HEADER + "facts:\n  xs: [number]\n" + DECISION);
  CHECK(list.all ==
        "E014 policy.yaml:5:7 a list fact is a sequence holding one mapping that describes each "
        "item\n");
}

TEST_CASE("checker E015: invalid parameter values", "[checker][E015]") {
  auto c = check_text(HEADER +
                      "facts:\n"        // 4
                      "  n: number\n"   // 5
                      "parameters:\n"   // 6
                      "  p: n + 1\n" +  // 7
                      DECISION);
  CHECK_THAT(c.all, Contains("E015 policy.yaml:7:6 parameter `p` must be a literal (a number, "
                             "percent, duration, period, date, bool or quoted text)\n"));
  auto series = check_text(HEADER +
                           "parameters:\n"                // 4
                           "  cap:\n"                     // 5
                           "    2008-10-01: 130 weeks\n"  // 6
                           "    1990-01-01: 104 weeks\n"  // 7
                           "    2010-01-01: 12 months\n"  // 8
                           "    2011-13-01: 1 week\n" +   // 9
                           DECISION);
  CHECK_THAT(series.all, Contains("E015 policy.yaml:7:5 dates of a series must increase\n"));
  CHECK_THAT(series.all,
             Contains("E015 policy.yaml:8:17 every value of the series `cap` must have one type; "
                      "this is period but earlier values are duration\n"));
  CHECK_THAT(series.all, Contains("E015 policy.yaml:9:5 a dated series maps dates (YYYY-MM-DD) "
                                  "to values; `2011-13-01` is not a date\n"));
}

TEST_CASE("checker E016/E017: missing includes and include cycles", "[checker][E016][E017]") {
  TempDir dir;
  auto missing = check(dir, "top.yaml", HEADER + "include: [mods/nope.yaml]\n" + DECISION);
  // The include list item `mods/nope.yaml` is line 4, column 11.
  // The include as written, the path it was looked for at (beside top.yaml), and why there.
  CHECK(
      missing.all ==
      "E016 top.yaml:4:11 included file `mods/nope.yaml` not found: looked for `mods/nope.yaml`\n");
  CHECK_THAT(help_of(missing.diags, mmi::Code::E016),
             Contains("includes are relative to the including file"));

  dir.write("a.yaml", "policy: a\ninclude: [b.yaml]\n");
  dir.write("b.yaml", "policy: b\ninclude:\n  - c.yaml\n");
  dir.write("c.yaml", "policy: c\ninclude:\n  - a.yaml\n");
  auto cycle = check(dir, "top2.yaml", HEADER + "include: [a.yaml]\n" + DECISION);
  // top2 → a → b → c → a: the cycle is named from a, reported at c.yaml's include item.
  CHECK(cycle.all == "E017 c.yaml:3:5 include cycle: a.yaml → b.yaml → c.yaml → a.yaml\n");

  // A diamond (two paths to one module) is not a cycle.
  dir.write("m.yaml", "policy: m\nfacts:\n  n: number\n");
  dir.write("l.yaml", "policy: l\ninclude: [m.yaml]\n");
  dir.write("r.yaml", "policy: r\ninclude: [m.yaml]\n");
  auto diamond = check(dir, "top3.yaml", HEADER + "include: [l.yaml, r.yaml]\n" + DECISION);
  CHECK(diamond.diags.error_count() == 0);
}

TEST_CASE("checker E018/E019: invalid dates and settings", "[checker][E018][E019]") {
  auto date = check_text(HEADER + "effective: 2024-13-01\nexpires: 2025-02-29\n" + DECISION);
  CHECK(date.all ==
        "E018 policy.yaml:4:12 effective must be a date YYYY-MM-DD, not `2024-13-01`\n"
        "E018 policy.yaml:5:10 expires must be a date YYYY-MM-DD, not `2025-02-29`\n");
  auto def = check_text("policy: p\nversion: \"1\"\ndefinition: max-potental\n" + DECISION);
  CHECK(def.all ==
        "E019 policy.yaml:3:13 definition must be `max-potential` or `no-further-improvement`\n");
  CHECK(help_of(def.diags, mmi::Code::E019) == "did you mean `max-potential`?");
  auto hit = check_text(HEADER + "decision:\n  hit: earlest\n");
  CHECK(hit.all == "E019 policy.yaml:5:8 hit must be `earliest` or `first`\n");
  CHECK(help_of(hit.diags, mmi::Code::E019) == "did you mean `earliest`?");
}

TEST_CASE("checker E020: the override rules of §1", "[checker][E020]") {
  TempDir dir;
  dir.write("mod.yaml",
            "policy: mod\n"                       // 1
            "facts:\n"                            // 2
            "  n: number\n"                       // 3
            "parameters:\n"                       // 4
            "  cap: 104 weeks\n"                  // 5
            "let:\n"                              // 6
            "  x: n + 1\n"                        // 7
            "rules:\n"                            // 8
            "  - id: r\n"                         // 9
            "    when: x > 2\n"                   // 10
            "    mmi_date: 2024-01-01 + cap\n");  // 11

  // A parameter simply re-set by the including policy: fine, and its value wins.
  auto reset = check(dir, "reset.yaml",
                     HEADER + "include: [mod.yaml]\nparameters:\n  cap: 26 weeks\n" + DECISION);
  CHECK(reset.diags.error_count() == 0);
  {
    mmi::DiagnosticList diags;
    auto checked = mmi::load_checked_policy((dir.path() / "reset.yaml").string(), {}, diags);
    REQUIRE(checked);
    REQUIRE(checked->parameters.size() == 1);
    CHECK(checked->parameters[0].value.integer == 182);  // 26 × 7 days
  }

  // A let defined twice: an error at the second definition naming the first …
  auto let = check(dir, "let.yaml",
                   HEADER +
                       "include: [mod.yaml]\n"  // 4
                       "let:\n"                 // 5
                       "  x: n + 2\n" +         // 6
                       DECISION);
  CHECK(let.all ==
        "E020 let.yaml:6:3 let `x` is already defined\n"
        "  note mod.yaml:7:3 first defined here\n");
  CHECK(help_of(let.diags, mmi::Code::E020) == "add `override: true` to replace it on purpose");
  // … unless it says `override: true`.
  auto let_ok =
      check(dir, "let_ok.yaml",
            HEADER + "include: [mod.yaml]\nlet:\n  x: {expr: n + 2, override: true}\n" + DECISION);
  CHECK(let_ok.diags.error_count() == 0);

  // A rule defined twice.
  auto rule = check(dir, "rule.yaml",
                    HEADER +
                        "include: [mod.yaml]\n"         // 4
                        "rules:\n"                      // 5
                        "  - id: r\n"                   // 6
                        "    when: x > 3\n"             // 7
                        "    mmi_date: 2024-01-01\n" +  // 8
                        DECISION);
  CHECK(rule.all ==
        "E020 rule.yaml:6:9 rule `r` is already defined\n"
        "  note mod.yaml:9:9 first defined here\n");
  auto rule_ok = check(dir, "rule_ok.yaml",
                       HEADER +
                           "include: [mod.yaml]\nrules:\n  - id: r\n    override: true\n"
                           "    when: x > 3\n    mmi_date: 2024-01-01\n" +
                           DECISION);
  CHECK(rule_ok.diags.error_count() == 0);

  // A parameter defined in two modules (not by the top policy) is a conflict.
  dir.write("mod2.yaml", "policy: mod2\nparameters:\n  cap: 52 weeks\n");
  auto param = check(dir, "param.yaml", HEADER + "include: [mod.yaml, mod2.yaml]\n" + DECISION);
  CHECK(param.all ==
        "E020 mod2.yaml:3:3 parameter `cap` is already defined\n"
        "  note mod.yaml:5:3 first defined here\n");

  // A let with the name of a fact.
  auto clash = check(dir, "clash.yaml", HEADER + "include: [mod.yaml]\nlet:\n  n: 3\n" + DECISION);
  CHECK_THAT(clash.all, Contains("E022 clash.yaml:6:3 let `n` has the name of a fact\n"));
  // A rule listed twice in `order`.
  auto order = check(dir, "order.yaml",
                     HEADER +
                         "include: [mod.yaml]\n"  // 4
                         "decision:\n"            // 5
                         "  hit: first\n"         // 6
                         "  order: [r, r]\n");    // 7
  CHECK(order.all == "E019 order.yaml:7:14 rule `r` is listed twice in `order`\n");
}

TEST_CASE("checker E021: a fact declared with two types", "[checker][E021]") {
  TempDir dir;
  dir.write("facts.yaml", "policy: f\nfacts:\n  injury:\n    date: date\n");
  auto c = check(dir, "top.yaml",
                 HEADER +
                     "include: [facts.yaml]\n"  // 4
                     "facts:\n"                 // 5
                     "  injury:\n"              // 6
                     "    date: text\n" +       // 7
                     DECISION);
  CHECK(c.all ==
        "E021 top.yaml:7:11 fact `injury.date` is declared as text here but as date at "
        "facts.yaml:4:11\n");
  // The same type twice merges, `required` from either.
  auto same = check(
      dir, "same.yaml",
      HEADER + "include: [facts.yaml]\nfacts:\n  injury:\n    date: date required\n" + DECISION);
  CHECK(same.diags.error_count() == 0);
  // A record against a scalar.
  auto shape = check(dir, "shape.yaml",
                     HEADER + "include: [facts.yaml]\nfacts:\n  injury: date\n" + DECISION);
  CHECK(shape.all ==
        "E021 shape.yaml:6:11 fact `injury` is declared as date here but as a record at "
        "facts.yaml:3:3\n");
}

// ---- E100–E208: expressions --------------------------------------------------------------------

namespace {

// Facts every expression test can use; the rule's `when` is on line 17, `mmi_date` line 18.
std::string expr_policy(const std::string& when, const std::string& mmi_date = "2024-01-01",
                        const std::string& extra = "") {
  return HEADER +
         "facts:\n"                          // 4
         "  injury:\n"                       // 5
         "    date: date\n"                  // 6
         "  n: number\n"                     // 7
         "  t: text\n"                       // 8
         "  kind: enum(surgery, therapy)\n"  // 9
         "  xs:\n"                           // 10
         "    - date: date\n"                // 11
         "      v: number\n"                 // 12
         "parameters:\n"                     // 13
         "  cap: 104 weeks\n"                // 14
         "rules:\n"                          // 15
         "  - id: r\n"                       // 16
         "    when: " +
         when +
         "\n"  // 17: expression at column 11
         "    mmi_date: " +
         mmi_date + "\n" +  // 18: expression at column 15
         extra + DECISION;
}

// Errors only (the small policies leave facts unused on purpose).
std::string errors_of(const std::string& text) {
  TempDir dir;
  std::string path = dir.write("policy.yaml", text);
  mmi::DiagnosticList diags;
  auto merged = mmi::load_and_merge(path, diags);
  if (merged) {
    mmi::CheckOptions options;
    options.warnings = false;
    mmi::check_policy(*merged, options, diags);
  }
  diags.sort();
  return mmi_test::summary(diags, dir);
}

}  // namespace

TEST_CASE("checker E100/E101: syntax errors and nesting inside a policy", "[checker][E100]") {
  CHECK(errors_of(expr_policy("n >")) ==
        "E100 policy.yaml:17:14 expected an operand, found the end of the expression\n");
  std::string deep = std::string(100000, '(') + "n" + std::string(100000, ')') + " > 1";
  std::string deep_errors = errors_of(expr_policy(deep));
  CHECK_THAT(deep_errors, Contains("E101 policy.yaml:17:11 "));
  CHECK(std::count(deep_errors.begin(), deep_errors.end(), '\n') == 1);
}

TEST_CASE("checker E200: unknown names with did-you-mean", "[checker][E200]") {
  TempDir dir;
  auto c = check(dir, "policy.yaml", expr_policy("injry.date > 2024-01-01"), false);
  CHECK_THAT(c.all, Contains("E200 policy.yaml:17:11 unknown name `injry`\n"));
  CHECK(help_of(c.diags, mmi::Code::E200) == "did you mean `injury`?");
  CHECK_THAT(c.rendered, Contains("17 |     when: injry.date > 2024-01-01\n"
                                  "   |           ^~~~~\n"
                                  "   = help: did you mean `injury`?\n"));
  // A rule id used as a name.
  CHECK(errors_of(expr_policy("r")) == "E200 policy.yaml:17:11 unknown name `r`\n");
  // Item fields are names only inside `where`.
  CHECK(errors_of(expr_policy("v > 1")) == "E200 policy.yaml:17:11 unknown name `v`\n");
  // `status`, `mmi_date` and `basis` only in the decision and outputs.
  CHECK(errors_of(expr_policy("status == \"reached\"")) ==
        "E200 policy.yaml:17:11 unknown name `status`\n");
}

TEST_CASE("checker E201: operators on the wrong types", "[checker][E201]") {
  // `injury.date + 3`: the whole sum, columns 15-29 of the mmi_date line.
  CHECK(errors_of(expr_policy("true", "injury.date + 3")) ==
        "E201 policy.yaml:18:15 cannot apply `+` to date and number\n");
  {
    TempDir dir;
    auto c = check(dir, "policy.yaml", expr_policy("true", "injury.date + 3"), false);
    CHECK(help_of(c.diags, mmi::Code::E201) ==
          "add a duration or period with a unit, e.g. `+ 3 days`");
    CHECK_THAT(c.rendered, Contains("   |               ^~~~~~~~~~~~~~~\n"));
  }
  CHECK(errors_of(expr_policy("injury.date < n")) ==
        "E201 policy.yaml:17:11 cannot apply `<` to date and number\n");
  {
    TempDir dir;
    auto c = check(dir, "policy.yaml", expr_policy("true", "injury.date + (cap + 1 month)"), false);
    // `cap + 1 month` starts at text offset 15: column 15 + 15 = 30.
    CHECK_THAT(c.all, Contains("E201 policy.yaml:18:30 cannot apply `+` to duration and period\n"));
    CHECK(help_of(c.diags, mmi::Code::E201) == "periods (months) and durations (days) do not mix");
  }
  CHECK(errors_of(expr_policy("t * 2 > 1")) ==
        "E201 policy.yaml:17:11 cannot apply `*` to text and number\n");
  CHECK(errors_of(expr_policy("n and true")) ==
        "E201 policy.yaml:17:11 `and` needs bool operands, but this is number\n");
  // Quoted for YAML (a plain `[` starts a flow sequence): "a" is text offset 4, column 16.
  CHECK(errors_of(expr_policy("'[1, \"a\"] == [1]'")) ==
        "E201 policy.yaml:17:16 list items must have one type: number and text\n");
  CHECK(errors_of(expr_policy("n between 1 and injury.date")) ==
        "E201 policy.yaml:17:11 `between` needs three values of one ordered type: number, number "
        "and date\n");
}

TEST_CASE("checker E202: fields of records and non-records", "[checker][E202]") {
  TempDir dir;
  auto c = check(dir, "policy.yaml", expr_policy("injury.dat > 2024-01-01"), false);
  CHECK_THAT(c.all, Contains("E202 policy.yaml:17:11 injury has no field `dat`\n"));
  CHECK(help_of(c.diags, mmi::Code::E202) == "did you mean `date`?");
  CHECK(errors_of(expr_policy("n.x > 1")) ==
        "E202 policy.yaml:17:11 `n` is number, which has no fields\n");
  CHECK(errors_of(expr_policy("first(xs).w > 1")) ==
        "E202 policy.yaml:17:11 xs[] has no field `w`\n");
}

TEST_CASE("checker E203: enum values", "[checker][E203]") {
  TempDir dir;
  // `kind == "surgry"`: the literal starts at text offset 8, column 19.
  auto c = check(dir, "policy.yaml", expr_policy("kind == \"surgry\""), false);
  CHECK(c.all == "E203 policy.yaml:17:19 \"surgry\" is not one of enum(surgery, therapy)\n");
  CHECK(help_of(c.diags, mmi::Code::E203) == "did you mean `surgery`?");
  // In a list: `kind in ["therapy", "rest"]`, "rest" at offset 20, column 31.
  CHECK(errors_of(expr_policy("kind in [\"therapy\", \"rest\"]")) ==
        "E203 policy.yaml:17:31 \"rest\" is not one of enum(surgery, therapy)\n");
  CHECK(errors_of(expr_policy("kind == \"therapy\"")) == "");
}

TEST_CASE("checker E204: function calls", "[checker][E204]") {
  TempDir dir;
  auto c = check(dir, "policy.yaml", expr_policy("cnt(xs) > 0"), false);
  CHECK(c.all == "E204 policy.yaml:17:11 unknown function `cnt`\n");
  CHECK(help_of(c.diags, mmi::Code::E204) == "did you mean `count`?");
  CHECK(errors_of(expr_policy("round(n) > 1")) ==
        "E204 policy.yaml:17:11 `round` takes 2 arguments, not 1\n");
  // `sum(n)`: the argument at column 15.
  CHECK(errors_of(expr_policy("sum(n) > 1")) ==
        "E204 policy.yaml:17:15 `sum` needs a list of numbers, not number\n");
  CHECK(errors_of(expr_policy("change(xs, date) > 1")) ==
        "E204 policy.yaml:17:22 `change` needs a number field; `date` is date\n");
  CHECK(errors_of(expr_policy("fired(1)")) ==
        "E204 policy.yaml:17:11 `fired` takes one rule id, e.g. `fired(certified)`\n");
  CHECK(errors_of(expr_policy("true", "earliest(injury.date, n)")) ==
        "E204 policy.yaml:18:37 `earliest` needs dates, not number\n");
}

TEST_CASE("checker E205: expressions of the wrong type", "[checker][E205]") {
  CHECK(errors_of(expr_policy("n + 1")) ==
        "E205 policy.yaml:17:11 `when` of rule `r` must be bool, but this expression is number\n");
  CHECK(errors_of(expr_policy("true", "n")) ==
        "E205 policy.yaml:18:15 `mmi_date` of rule `r` must be date, but this expression is "
        "number\n");
  CHECK(errors_of(expr_policy("true", "2024-01-01", "    unless: t\n")) ==
        "E205 policy.yaml:19:13 `unless` of rule `r` must be bool, but this expression is text\n");
  CHECK(errors_of(expr_policy("count(xs where v) > 0")) ==
        "E205 policy.yaml:17:26 the condition of `where` must be bool, not number\n");
  CHECK(errors_of(expr_policy("if n then true else false")) ==
        "E205 policy.yaml:17:14 the condition of `if` must be bool, not number\n");
}

TEST_CASE("checker E206: cycles among lets and rules are named", "[checker][E206]") {
  std::string text = HEADER +
                     "let:\n"                        // 4
                     "  a: b + 1\n"                  // 5
                     "  b: c + 1\n"                  // 6
                     "  c: a + 1\n"                  // 7
                     "rules:\n"                      // 8
                     "  - id: r\n"                   // 9
                     "    when: a > 1\n"             // 10
                     "    mmi_date: 2024-01-01\n" +  // 11
                     DECISION;
  CHECK(errors_of(text) == "E206 policy.yaml:5:3 cycle: let a → let b → let c → let a\n");
  std::string rules = HEADER +
                      "rules:\n"                       // 4
                      "  - id: r\n"                    // 5
                      "    when: fired(s)\n"           // 6
                      "    mmi_date: 2024-01-01\n"     // 7
                      "  - id: s\n"                    // 8
                      "    when: true\n"               // 9
                      "    mmi_date: mmi_date(r)\n" +  // 10
                      DECISION;
  CHECK(errors_of(rules) == "E206 policy.yaml:5:9 cycle: rule r → rule s → rule r\n");
}

TEST_CASE("checker E207/E208: `at` and rule references", "[checker][E207][E208]") {
  CHECK(errors_of(expr_policy("true", "injury.date + (n at injury.date) * 1 day")) ==
        "E207 policy.yaml:18:30 `at` reads a parameter's value on a date; this is not a "
        "parameter\n");
  CHECK(errors_of(expr_policy("true", "injury.date + cap at n")) ==
        "E201 policy.yaml:18:36 `at` needs a date, not number\n");
  TempDir dir;
  auto c = check(dir, "policy.yaml", expr_policy("fired(q)"), false);
  CHECK(c.all == "E208 policy.yaml:17:17 no rule `q`\n");
  CHECK(help_of(c.diags, mmi::Code::E208) == "did you mean `r`?");
  auto order = check(dir, "order.yaml",
                     HEADER +
                         "rules:\n  - id: rr\n    when: true\n    mmi_date: 2024-01-01\n"
                         "decision:\n  hit: first\n  order: [rx]\n",
                     false);
  // `order: [rx]` is line 10; `rx` at column 11.
  CHECK(order.all == "E208 order.yaml:10:11 `order` names no rule `rx`\n");
  CHECK(help_of(order.diags, mmi::Code::E208) == "did you mean `rr`?");
}

TEST_CASE("checker: coverage_cutoff and outputs see status, mmi_date and basis", "[checker]") {
  CHECK(errors_of(HEADER + "rules:\n  - id: r\n    when: true\n    mmi_date: 2024-01-01\n"
                           "decision:\n"
                           "  coverage_cutoff: if status == \"reached\" then mmi_date else as_of\n"
                           "outputs:\n"
                           "  why: basis\n"
                           "  st: status == \"not_reached\"\n") == "");
  // `status` is an enum of the four statuses.
  CHECK(errors_of(HEADER + "rules:\n  - id: r\n    when: true\n    mmi_date: 2024-01-01\n"  // 4-7
                           "decision:\n"                                                    // 8
                           "  coverage_cutoff: mmi_date\n"                                  // 9
                           "outputs:\n"                                                     // 10
                           "  st: status == \"reachd\"\n") ==                               // 11
        "E203 policy.yaml:11:17 \"reachd\" is not one of enum(reached, not_reached, undetermined, "
        "error)\n");
  CHECK(errors_of(HEADER + "rules:\n  - id: r\n    when: true\n    mmi_date: 2024-01-01\n"
                           "decision:\n"
                           "  coverage_cutoff: 3\n") ==  // line 9, column 20
        "E205 policy.yaml:9:20 `coverage_cutoff` must be date, but this expression is number\n");
}

TEST_CASE("checker E016: no cascade of unknown names after a missing include", "[checker][E016]") {
  TempDir dir;
  // `income_start` and `cap` would have come from the include: only the E016 is reported.
  auto c = check(dir, "top.yaml",
                 HEADER +
                     "include: [std/fact.yaml]\n"                        // 4
                     "rules:\n  - id: r\n"                               // 5, 6
                     "    when: as_of >= benefits.income_start + cap\n"  // 7
                     "    mmi_date: benefits.income_start\n" +
                     DECISION);
  CHECK(c.diags.error_count() == 1);
  CHECK_THAT(c.all, Contains("E016 top.yaml:4:11 included file `std/fact.yaml` not found"));
  CHECK_THAT(c.all, !Contains("E200"));
}

TEST_CASE("checker W300/W301: names in an expression that does not parse count as used",
          "[checker][warnings]") {
  auto c = check_text(HEADER +
                      "parameters:\n"                          // 4
                      "  cap: 104 weeks\n"                     // 5
                      "  grace: 2 weeks\n"                     // 6
                      "let:\n"                                 // 7
                      "  start: as_of - cap\n"                 // 8
                      "rules:\n"                               // 9
                      "  - id: r\n"                            // 10
                      "    when: start >= >= as_of - grace\n"  // 11: a syntax error
                      "    mmi_date: as_of\n" +                // 12
                      DECISION);
  CHECK(c.diags.error_count() == 1);
  CHECK_THAT(c.all, Contains("E100 policy.yaml:11:"));
  CHECK_THAT(c.all, !Contains("W301"));
  CHECK_THAT(c.all, !Contains("W300"));
}

// ---- W300–W305: warnings -------------------------------------------------------------------

TEST_CASE("checker W300–W305: warnings", "[checker][warnings]") {
  auto c = check_text(HEADER +
                      "facts:\n"                        // 4
                      "  n: number\n"                   // 5
                      "  unused_fact: date\n"           // 6
                      "parameters:\n"                   // 7
                      "  unused_param: 3\n"             // 8
                      "let:\n"                          // 9
                      "  unused_let: n + 1\n"           // 10
                      "rules:\n"                        // 11
                      "  - id: never\n"                 // 12
                      "    when: false and n > 1\n"     // 13
                      "    mmi_date: 2024-01-01\n"      // 14
                      "  - id: always\n"                // 15
                      "    when: not false or n > 1\n"  // 16
                      "    mmi_date: 2024-01-01\n"      // 17
                      "  - id: one\n"                   // 18
                      "    when: n > 1\n"               // 19
                      "    mmi_date: 2024-01-01\n"      // 20
                      "  - id: two\n"                   // 21
                      "    when: n > 1\n"               // 22
                      "    mmi_date: 2024-02-01\n" +    // 23
                      DECISION);
  CHECK(c.diags.error_count() == 0);
  CHECK(c.all ==
        "W302 policy.yaml:6:16 fact `unused_fact` is declared but never used\n"
        "W300 policy.yaml:8:3 parameter `unused_param` is never used\n"
        "W301 policy.yaml:10:3 let `unused_let` is never used\n"
        "W303 policy.yaml:13:11 rule `never` can never fire: its `when` is always false\n"
        "W304 policy.yaml:16:11 rule `always` has a `when` that is always true\n"
        "W305 policy.yaml:22:11 rules `one` and `two` have identical conditions\n");
  CHECK_THAT(c.rendered, Contains("policy.yaml:13:11: warning[W303]: "));
}

// ---- E405: overrides ---------------------------------------------------------------------------

TEST_CASE("checker E405: invalid --set overrides", "[checker][E405]") {
  TempDir dir;
  std::string path = dir.write("policy.yaml", expr_policy("true", "injury.date + cap"));
  auto run = [&](mmi::ParameterOverrides set) {
    mmi::DiagnosticList diags;
    mmi::CheckOptions options;
    options.overrides = std::move(set);
    options.warnings = false;
    auto checked = mmi::load_checked_policy(path, options, diags);
    return std::make_pair(checked.has_value(), mmi_test::summary(diags, dir));
  };
  CHECK(run({{"cap", "26 weeks"}}) == std::make_pair(true, std::string()));
  CHECK(run({{"cp", "26 weeks"}}) ==
        std::make_pair(false, std::string("E405 --set cp no parameter `cp` to set\n")));
  CHECK(run({{"cap", "6 months"}}) ==
        std::make_pair(false, std::string("E405 --set cap `cap` is duration but `6 months` is "
                                          "period\n")));
  // A series is replaced whole by one value.
  std::string series_path =
      dir.write("series.yaml", HEADER +
                                   "parameters:\n  cap:\n    1990-01-01: 104 weeks\n"
                                   "    2008-10-01: 130 weeks\n"
                                   "rules:\n  - id: r\n    when: true\n"
                                   "    mmi_date: 2024-01-01 + cap\n" +
                                   DECISION);
  mmi::DiagnosticList diags;
  mmi::CheckOptions options;
  options.overrides = {{"cap", "10 days"}};
  auto checked = mmi::load_checked_policy(series_path, options, diags);
  REQUIRE(checked);
  CHECK(checked->parameters[0].series.empty());
  CHECK(checked->parameters[0].value.integer == 10);
}

// ---- one run, every error ------------------------------------------------------------------

TEST_CASE("checker: every error of a run is reported, not only the first", "[checker]") {
  auto c = check_text(HEADER +
                      "titel: x\n"             // 4
                      "facts:\n"               // 5
                      "  n: numbr\n"           // 6
                      "  d: date\n"            // 7
                      "rules:\n"               // 8
                      "  - id: a\n"            // 9
                      "    when: nn > 1\n"     // 10
                      "    mmi_date: d + 3\n"  // 11
                      "  - id: b\n"            // 12
                      "    when: d >\n"        // 13
                      "    mmi_date: d\n" +    // 14
                      DECISION);
  CHECK(c.all ==
        "E010 policy.yaml:4:1 unknown top-level key `titel`\n"
        "E014 policy.yaml:6:6 unknown type `numbr`\n"
        "E200 policy.yaml:10:11 unknown name `nn`\n"
        "E201 policy.yaml:11:15 cannot apply `+` to date and number\n"
        "E100 policy.yaml:13:14 expected an operand, found the end of the expression\n");
  CHECK(c.diags.error_count() == 5);
}

TEST_CASE("checker: every front-end code in diagnostic_codes() is covered here", "[checker]") {
  // The codes this file tests; E4xx/E5xx/E600 belong to cases, evaluation and suites.
  const std::vector<mmi::Code> tested = {
      mmi::Code::E001, mmi::Code::E002, mmi::Code::E003, mmi::Code::E004, mmi::Code::E010,
      mmi::Code::E011, mmi::Code::E012, mmi::Code::E013, mmi::Code::E014, mmi::Code::E015,
      mmi::Code::E016, mmi::Code::E017, mmi::Code::E018, mmi::Code::E019, mmi::Code::E020,
      mmi::Code::E021, mmi::Code::E100, mmi::Code::E101, mmi::Code::E200, mmi::Code::E201,
      mmi::Code::E202, mmi::Code::E203, mmi::Code::E204, mmi::Code::E205, mmi::Code::E206,
      mmi::Code::E207, mmi::Code::E208, mmi::Code::W300, mmi::Code::W301, mmi::Code::W302,
      mmi::Code::W303, mmi::Code::W304, mmi::Code::W305, mmi::Code::E405, mmi::Code::E022,
      mmi::Code::W306};
  for (mmi::Code code : mmi::all_codes()) {
    std::string name(mmi::code_name(code));
    bool front_end = name[0] == 'W' || name < "E400" || code == mmi::Code::E405;
    if (!front_end) continue;
    INFO(name);
    CHECK(std::find(tested.begin(), tested.end(), code) != tested.end());
  }
}

TEST_CASE("checker E022: names taken by facts or the evaluation date", "[checker][E022]") {
  TempDir dir;
  auto c = check(dir, "p.yaml",
                 HEADER + "facts:\n  n: number\nparameters:\n  as_of: 3\n  n: 4\n" + DECISION);
  CHECK_THAT(c.all,
             Contains("E022 p.yaml:7:3 parameter `as_of` has the name of the evaluation date\n"));
  CHECK_THAT(c.all, Contains("E022 p.yaml:8:3 parameter `n` has the name of a fact\n"));
}

TEST_CASE("checker W306: a file with `definition:` but no `decision:` is a module",
          "[checker][W306]") {
  TempDir dir;
  std::string path = dir.write("m.yaml",
                               "policy: m\nversion: \"1\"\ndefinition: max-potential\n"
                               "facts:\n  n: number\nlet:\n  x: n + 1\n");
  auto diags = mmi_test::check_file(path);
  CHECK(mmi_test::summary(diags, dir) ==
        "W306 m.yaml:3:13 this file has `definition:` but no `decision:`, so it is a module: it "
        "can be checked and included, but not evaluated\n");
  // Evaluating it names the file with line and column.
  auto compiled = mmi::compile_policy(path);
  REQUIRE_FALSE(compiled);
  CHECK_THAT(mmi_test::summary(compiled.diagnostics, dir),
             Contains("E011 m.yaml:1:1 `m.yaml` is a module (it has no `decision:`)"));
}
