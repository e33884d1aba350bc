// Case loading (language.md §3–§4, cli.md "Case files"): YAML and JSON shaped by the policy's
// facts, bad values naming their input path, required facts, unknown fields, date-sorted lists
// and --fact overrides.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <string>

#include "engine/mmi.hpp"
#include "test_support.hpp"

using Catch::Matchers::Contains;
using mmi_test::TempDir;

namespace {

const char* kPolicy =
    "policy: c\n"
    "version: \"1\"\n"
    "definition: max-potential\n"
    "facts:\n"
    "  injury:\n"
    "    date: date required\n"
    "    kind: enum(surgery, therapy)\n"
    "  n: number\n"
    "  flag: bool\n"
    "  t: text\n"
    "  dur: duration\n"
    "  per: period\n"
    "  xs:\n"
    "    - date: date required\n"
    "      v: number\n"
    "rules:\n"
    "  - id: r\n"
    "    when: flag ?? true\n"
    "    mmi_date: injury.date\n"
    "decision:\n"
    "  hit: earliest\n"
    "outputs:\n"
    "  o_n: n\n"
    "  o_kind: injury.kind\n"
    "  o_t: t\n"
    "  o_dur: dur\n"
    "  o_per: per\n"
    "  o_vs: xs.v\n"
    "  o_dates: xs.date\n";

class Fixture {
 public:
  explicit Fixture(mmi::CaseOptions options = {}) {
    std::string path = dir_.write("policy.yaml", kPolicy);
    mmi::CompileOptions compile;
    compile.warnings = false;
    compiled_ = mmi::compile_policy(path, compile);
    REQUIRE(compiled_);
    session_ = std::make_unique<mmi::Session>(compiled_.graph, options);
  }
  mmi::Session& session() { return *session_; }
  const mmi::Graph& graph() const { return *compiled_.graph; }

  mmi::CaseData& json(const std::string& text) { return session_->load_json(text); }
  mmi::CaseData& yaml(const std::string& text) { return session_->load_yaml(YAML::Load(text)); }

  // The named output after evaluating the loaded case.
  std::string output(const std::string& name) {
    const mmi::Outcome& o = session_->evaluate();
    const auto& outs = graph().policy.outputs;
    for (std::size_t k = 0; k < outs.size(); ++k)
      if (outs[k].name == name) return mmi::value_to_string(o.outputs[k], graph());
    return "<no output " + name + ">";
  }

 private:
  TempDir dir_;
  mmi::CompiledPolicy compiled_;
  std::unique_ptr<mmi::Session> session_;
};

std::string error_of(const mmi::CaseData& c) {
  if (!c.error) return "<no error>";
  return std::string(mmi::code_name(c.error->code)) + " at " + c.error->at + ": " +
         c.error->message;
}

}  // namespace

TEST_CASE("case: JSON and YAML cases load the same values", "[case]") {
  Fixture f;
  auto& j = f.json(R"({"id":"J1","as_of":"2024-06-01","injury":{"date":"2024-01-15",)"
                   R"("kind":"therapy"},"n":12.5,"flag":true,"t":"x","dur":"P2W","per":"P1Y2M",)"
                   R"("xs":[{"date":"2024-02-01","v":1},{"date":"2024-01-20","v":2}]})");
  REQUIRE_FALSE(j.error);
  CHECK(j.id == "J1");
  CHECK(f.output("o_n") == "12.5");
  CHECK(f.output("o_kind") == "therapy");
  CHECK(f.output("o_dur") == "P14D");  // P2W = 14 days
  CHECK(f.output("o_per") == "P1Y2M");
  CHECK(f.output("o_vs") == "[2, 1] (2 items)");  // sorted by date on load

  auto& y = f.yaml(
      "id: Y1\n"
      "as_of: 2024-06-01\n"
      "injury: {date: 2024-01-15, kind: therapy}\n"
      "n: 12.5\n"
      "flag: true\n"
      "t: x\n"
      "dur: 14\n"  // a bare number of days
      "per: P1Y2M\n"
      "xs:\n"
      "  - {date: 2024-02-01, v: 1}\n"
      "  - {date: 2024-01-20, v: 2}\n");
  REQUIRE_FALSE(y.error);
  CHECK(y.id == "Y1");
  CHECK(f.output("o_n") == "12.5");
  CHECK(f.output("o_kind") == "therapy");
  CHECK(f.output("o_dur") == "P14D");
  CHECK(f.output("o_per") == "P1Y2M");
  CHECK(f.output("o_vs") == "[2, 1] (2 items)");
}

TEST_CASE("case: JSON numbers keep their decimal value", "[case]") {
  Fixture f;
  f.json(R"({"id":"N","as_of":"2024-06-01","injury":{"date":"2024-01-15"},"n":0.1})");
  CHECK(f.output("o_n") == "0.1");
  f.json(
      R"({"id":"N","as_of":"2024-06-01","injury":{"date":"2024-01-15"},"n":123456789012345678})");
  CHECK(f.output("o_n") == "123456789012345678");
  f.json(R"({"id":"N","as_of":"2024-06-01","injury":{"date":"2024-01-15"},"n":812.50})");
  CHECK(f.output("o_n") == "812.5");
  // 18 significant digits with a fraction: a binary double would keep only ~16.
  f.json(
      R"({"id":"N","as_of":"2024-06-01","injury":{"date":"2024-01-15"},"n":12345678901234567.8})");
  CHECK(f.output("o_n") == "12345678901234567.8");
}

TEST_CASE("case: bad values make the case an error naming the input path", "[case]") {
  Fixture f;
  const std::string head = R"({"id":"B","as_of":"2024-06-01",)";
  CHECK(error_of(f.json(head + R"("injury":{"date":"2025-02-30"}})")) ==
        "E400 at injury.date: expected a date YYYY-MM-DD, found `2025-02-30`");
  CHECK(error_of(f.json(head + R"("injury":{"date":"2024-01-15"},"n":"abc"})")) ==
        "E400 at n: expected a number, found `abc`");
  CHECK(error_of(f.json(head + R"("injury":{"date":"2024-01-15","kind":"rest"}})")) ==
        "E400 at injury.kind: `rest` is not one of enum(surgery, therapy)");
  CHECK(error_of(f.json(head + R"("injury":[{"date":"2024-01-15"}]})")) ==
        "E400 at injury: expected a mapping, found a list");
  CHECK(error_of(f.json(head + R"("injury":{"date":"2024-01-15"},"xs":{"date":"2024-01-15"}})")) ==
        "E400 at xs: expected a list, found a mapping");
  CHECK(error_of(f.json(head + R"("injury":{"date":"2024-01-15"},"xs":[{"date":"2024-01-15"},)"
                               R"({"date":"2024-01-16","v":"x"}]})")) ==
        "E400 at xs[1].v: expected a number, found `x`");
  CHECK(error_of(f.json(head + R"("injury":{"date":"2024-01-15"},"flag":"yes"})")) ==
        "E400 at flag: expected true or false, found `yes`");
  CHECK(error_of(f.json(head + R"("injury":{"date":"2024-01-15"},"t":["a"]})")) ==
        "E400 at t: expected text, found a list");
  CHECK(error_of(f.json(head + R"("injury":{"date":"2024-01-15"},"dur":"two weeks"})")) ==
        "E400 at dur: expected a duration (e.g. P14D), found `two weeks`");
  CHECK(error_of(f.json(R"({"id":"B","as_of":"2024-13-01","injury":{"date":"2024-01-15"}})")) ==
        "E400 at as_of: `as_of` must be a date YYYY-MM-DD, found `2024-13-01`");
  CHECK(f.json("{not json").error->code == mmi::Code::E403);
  CHECK(f.json("[1, 2]").error->code == mmi::Code::E403);

  // The same in YAML.
  CHECK(error_of(f.yaml("id: B\nas_of: 2024-06-01\ninjury: {date: 2025-02-30}\n")) ==
        "E400 at injury.date: expected a date YYYY-MM-DD, found `2025-02-30`");
  CHECK(error_of(f.yaml("id: B\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\nn: abc\n")) ==
        "E400 at n: expected a number, found `abc`");
  CHECK(error_of(f.yaml("id: B\nas_of: 2024-06-01\ninjury: {date: 2024-01-15, kind: rest}\n")) ==
        "E400 at injury.kind: `rest` is not one of enum(surgery, therapy)");
  CHECK(error_of(f.yaml("id: B\nas_of: 2024-06-01\ninjury:\n  - date: 2024-01-15\n")) ==
        "E400 at injury: expected a mapping, found a list");

  // An error case evaluates to status error with the path, and the next case is unaffected.
  f.json(head + R"("injury":{"date":"2024-01-15"},"n":"abc"})");
  const mmi::Outcome& bad = f.session().evaluate();
  CHECK(bad.status == mmi::Status::error);
  std::string json = f.session().result_json();
  CHECK_THAT(json, Contains("\"status\":\"error\""));
  CHECK_THAT(json, Contains("\"error\":{\"code\":\"E400\",\"message\":\"expected a number, found "
                            "`abc`\",\"at\":\"n\"}"));
  f.json(head + R"("injury":{"date":"2024-01-15"},"n":3})");
  CHECK(f.session().evaluate().status == mmi::Status::reached);
}

TEST_CASE("case: required facts", "[case]") {
  Fixture f;
  CHECK(error_of(f.json(R"({"id":"Q","as_of":"2024-06-01"})")) ==
        "E401 at injury.date: required fact `injury.date` is absent");
  CHECK(error_of(f.json(R"({"id":"Q","as_of":"2024-06-01","injury":{"kind":"surgery"}})")) ==
        "E401 at injury.date: required fact `injury.date` is absent");
  CHECK(error_of(f.json(R"({"id":"Q","as_of":"2024-06-01","injury":{"date":null}})")) ==
        "E401 at injury.date: required fact `injury.date` is absent");
  CHECK(error_of(f.json(R"({"id":"Q","as_of":"2024-06-01","injury":{"date":"2024-01-15"},)"
                        R"("xs":[{"date":"2024-01-20"},{"v":3}]})")) ==
        "E401 at xs[1].date: required field `date` is absent");
  CHECK(error_of(f.json(R"({"id":"Q","injury":{"date":"2024-01-15"}})")) ==
        "E401 at as_of: the case has no `as_of` date");
  // Optional facts may be absent: missing, never zero.
  f.json(R"({"id":"Q","as_of":"2024-06-01","injury":{"date":"2024-01-15"}})");
  CHECK(f.output("o_n") == "missing");
  CHECK(f.output("o_t") == "missing");
}

TEST_CASE("case: unknown fields are warnings, errors when strict", "[case]") {
  const std::string text = R"({"id":"U","as_of":"2024-06-01","injury":{"date":"2024-01-15",)"
                           R"("dat":"x"},"injry":{},"xs":[{"date":"2024-01-01","vv":1}]})";
  Fixture f;
  auto& c = f.json(text);
  CHECK_FALSE(c.error);
  REQUIRE(c.warnings.size() == 3);
  CHECK(c.warnings[0].code == mmi::Code::E402);
  CHECK(c.warnings[0].at == "injury.dat");
  CHECK(c.warnings[0].message == "unknown field `dat` (did you mean `date`?)");
  CHECK(c.warnings[1].at == "injry");
  CHECK(c.warnings[1].message == "unknown field `injry` (did you mean `injury`?)");
  CHECK(c.warnings[2].at == "xs[0].vv");
  CHECK(f.session().evaluate().status == mmi::Status::reached);

  mmi::CaseOptions strict;
  strict.strict = true;
  Fixture s(strict);
  CHECK(error_of(s.json(text)) == "E402 at injury.dat: unknown field `dat` (did you mean `date`?)");
}

TEST_CASE("case: dated lists are sorted on load, stably, undated items last", "[case]") {
  Fixture f;
  f.yaml(
      "id: S\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\n"
      "xs:\n"
      "  - {date: 2024-03-01, v: 1}\n"
      "  - {date: 2024-01-01, v: 2}\n"
      "  - {date: 2024-03-01, v: 3}\n"
      "  - {date: 2024-01-01, v: 4}\n"
      "  - {date: 2023-12-31, v: 5}\n");
  CHECK(f.output("o_vs") == "[5, 2, 4, 1, 3] (5 items)");
  CHECK(f.output("o_dates") ==
        "[2023-12-31, 2024-01-01, 2024-01-01, 2024-03-01, 2024-03-01] (5 items)");
}

TEST_CASE("case: --fact overrides through CaseLoader::set_fact", "[case]") {
  Fixture f;
  auto& c = f.json(R"({"id":"F","as_of":"2024-06-01","injury":{"date":"2024-01-15"},"n":1})");
  REQUIRE_FALSE(c.error);
  const mmi::CaseLoader& loader = f.session().loader();
  CHECK(loader.set_fact(c, "n", "5.25"));
  CHECK(loader.set_fact(c, "injury.kind", "surgery"));
  CHECK(loader.set_fact(c, "dur", "P3D"));
  CHECK(loader.set_fact(c, "injury.date", "2024-02-29"));
  CHECK(loader.set_fact(c, "as_of", "2024-07-01"));
  CHECK(loader.finish(c));
  CHECK(f.output("o_n") == "5.25");
  CHECK(f.output("o_kind") == "surgery");
  CHECK(f.output("o_dur") == "P3D");
  const mmi::Outcome& o = f.session().evaluate();
  CHECK(mmi::value_to_string(o.mmi_date, f.graph()) == "2024-02-29");
  CHECK(mmi::format_date(o.as_of) == "2024-07-01");

  // Bad overrides name the flag.
  auto& c2 = f.json(R"({"id":"F","as_of":"2024-06-01","injury":{"date":"2024-01-15"}})");
  CHECK_FALSE(loader.set_fact(c2, "injury.date", "2025-02-30"));
  CHECK(error_of(c2) ==
        "E400 at --fact injury.date: expected a date YYYY-MM-DD, found `2025-02-30`");
  auto& c3 = f.json(R"({"id":"F","as_of":"2024-06-01","injury":{"date":"2024-01-15"}})");
  CHECK_FALSE(loader.set_fact(c3, "nn", "1"));
  CHECK(error_of(c3) == "E405 at --fact nn: no fact `nn` (did you mean `n`?)");
  auto& c4 = f.json(R"({"id":"F","as_of":"2024-06-01","injury":{"date":"2024-01-15"}})");
  CHECK_FALSE(loader.set_fact(c4, "xs", "[]"));
  CHECK(error_of(c4) == "E405 at --fact xs: `xs` is not a single value");
  auto& c5 = f.json(R"({"id":"F","as_of":"2024-06-01","injury":{"date":"2024-01-15"}})");
  CHECK_FALSE(loader.set_fact(c5, "injury.kind", "rest"));
  CHECK(c5.error->at == "--fact injury.kind");
}

TEST_CASE("case: as_of outside effective/expires is refused unless ignore_dates", "[case]") {
  // language.md §1: a case whose as_of is outside [effective, expires] is an error (E404).
  TempDir dir;
  std::string path = dir.write("dated.yaml",
                               "policy: dated\nversion: \"1\"\ndefinition: max-potential\n"
                               "effective: 2025-01-01\nexpires: 2025-12-31\n"
                               "facts:\n  d: date\n"
                               "rules:\n  - id: r\n    when: d is present\n    mmi_date: d\n"
                               "decision:\n  hit: earliest\n");
  auto compiled = mmi::compile_policy(path);
  REQUIRE(compiled);
  auto outcome_of = [&](const char* json, bool ignore) {
    mmi::CaseOptions options;
    options.ignore_dates = ignore;
    mmi::Session session(compiled.graph, options);
    session.load_json(json);
    const mmi::CaseData& c = session.case_data();
    return c.error ? std::string(mmi::code_name(c.error->code)) + " " + c.error->message
                   : std::string(mmi::to_string(session.evaluate().status));
  };
  // The first and last days are inside; the days around them are not.
  CHECK(outcome_of(R"({"id":"a","as_of":"2025-01-01","d":"2025-01-01"})", false) == "reached");
  CHECK(outcome_of(R"({"id":"a","as_of":"2025-12-31","d":"2025-01-01"})", false) == "reached");
  CHECK(
      outcome_of(R"({"id":"a","as_of":"2024-12-31","d":"2025-01-01"})", false) ==
      "E404 as_of 2024-12-31 is outside the policy's effective period (2025-01-01 to 2025-12-31)");
  CHECK(
      outcome_of(R"({"id":"a","as_of":"2026-01-01","d":"2025-01-01"})", false) ==
      "E404 as_of 2026-01-01 is outside the policy's effective period (2025-01-01 to 2025-12-31)");
  CHECK(outcome_of(R"({"id":"a","as_of":"2026-01-01","d":"2025-01-01"})", true) == "reached");
}

TEST_CASE("case: results echo the policy's header and each rule's cites", "[case][result]") {
  // language.md §1: title, insurer, jurisdiction and line are echoed in results; §6: cites too.
  TempDir dir;
  std::string path = dir.write("echo.yaml",
                               "policy: echo\nversion: \"2\"\ndefinition: max-potential\n"
                               "title: Echo policy\ninsurer: Acme\njurisdiction: US-TX\n"
                               "line: workers' compensation\n"
                               "facts:\n  d: date\n"
                               "rules:\n  - id: r\n    when: d is present\n    mmi_date: d\n"
                               "    cites: Tex. Lab. Code 401.011(30)\n"
                               "  - id: s\n    when: false\n    mmi_date: d\n"
                               "decision:\n  hit: earliest\n");
  mmi::CompileOptions options;
  options.warnings = false;
  auto compiled = mmi::compile_policy(path, options);
  REQUIRE(compiled);
  mmi::Session session(compiled.graph);
  session.load_json(R"({"id":"E","as_of":"2025-01-01","d":"2024-12-01"})");
  session.evaluate();
  std::string json = session.result_json();
  CHECK_THAT(json, Contains(R"("version":"2","policy_digest":")"));
  CHECK_THAT(json, Contains(R"(,"title":"Echo policy","insurer":"Acme","jurisdiction":"US-TX",)"
                            R"("line":"workers' compensation","as_of":"2025-01-01")"));
  CHECK_THAT(json, Contains("\"r\":{\"state\":\"fired\",\"mmi_date\":\"2024-12-01\","
                            "\"cites\":\"Tex. Lab. Code 401.011(30)\"}"));
  CHECK_THAT(json, Contains(R"("s":{"state":"not_fired","mmi_date":null}})"));
}
