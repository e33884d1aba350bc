// Strict case input (docs/cli.md "Case input rules"): RFC 8259 JSON with every value validated
// and nothing after the case, one number rule, duplicate keys (E406), `to` before `from`, YAML
// case documents within a node budget and without trailing content, and the case stream's format
// by content, byte order mark and bound on input without line ends.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <string>

#include "engine/case_stream.hpp"
#include "engine/mmi.hpp"
#include "rules/yaml_util.hpp"
#include "test_support.hpp"

using mmi_test::TempDir;

namespace {

const char* kPolicy =
    "policy: s\n"
    "version: \"1\"\n"
    "definition: max-potential\n"
    "facts:\n"
    "  injury:\n"
    "    date: date required\n"
    "  n: number\n"
    "  flag: bool\n"
    "  t: text\n"
    "  dur: duration\n"
    "  periods:\n"
    "    - kind: enum(ttd, tpd)\n"
    "      from: date required\n"
    "      to: date\n"
    "rules:\n"
    "  - id: r\n"
    "    when: flag ?? true\n"
    "    mmi_date: injury.date\n"
    "decision:\n"
    "  hit: earliest\n"
    "outputs:\n"
    "  o_n: n\n"
    "  o_t: t\n";

class Fixture {
 public:
  Fixture() {
    std::string path = dir_.write("policy.yaml", kPolicy);
    mmi::CompileOptions compile;
    compile.warnings = false;
    compiled_ = mmi::compile_policy(path, compile);
    REQUIRE(compiled_);
    session_ = std::make_unique<mmi::Session>(compiled_.graph);
  }
  // "CODE at PATH: MESSAGE", or "ok" when the case loaded.
  std::string json(const std::string& text) { return show(session_->load_json(text)); }
  std::string yaml(const std::string& text, std::uint64_t first_line = 1) {
    mmi::YamlProblem problem;
    auto node = mmi::parse_case_yaml(text, problem);
    if (!node) return "yaml: " + problem.message;
    mmi::CaseData& c = session_->case_data();
    if (session_->loader().load_yaml(*node, c, first_line)) session_->loader().finish(c);
    return show(c);
  }
  mmi::CaseData& data() { return session_->case_data(); }
  std::string output(const std::string& name) {
    const mmi::Outcome& o = session_->evaluate();
    const auto& outs = compiled_.graph->policy.outputs;
    for (std::size_t k = 0; k < outs.size(); ++k)
      if (outs[k].name == name) return mmi::value_to_string(o.outputs[k], *compiled_.graph);
    return "<no output>";
  }

 private:
  static std::string show(const mmi::CaseData& c) {
    if (!c.error) return "ok";
    return std::string(mmi::code_name(c.error->code)) + " at " + c.error->at + ": " +
           c.error->message;
  }
  TempDir dir_;
  mmi::CompiledPolicy compiled_;
  std::unique_ptr<mmi::Session> session_;
};

const std::string kHead = R"({"id":"S","as_of":"2024-06-01","injury":{"date":"2024-01-15"})";
std::string with(const std::string& fields) {
  return kHead + "," + fields + "}";
}

std::string number(std::string_view text) {
  mmi::CaseNumber n = mmi::parse_case_number(text);
  switch (n.status) {
    case mmi::CaseNumber::Status::ok:
      return n.value.to_string();
    case mmi::CaseNumber::Status::syntax:
      return std::string("syntax: ") + n.reason;
    default:
      return "range";
  }
}

}  // namespace

TEST_CASE("strict: numbers follow one rule, read exactly", "[case][strict]") {
  CHECK(number("12") == "12");
  CHECK(number("-0") == "0");
  CHECK(number("812.50") == "812.5");
  CHECK(number("1.5e3") == "1500");
  CHECK(number("1E+3") == "1000");
  CHECK(number("125e-2") == "1.25");
  CHECK(number("1e18") == "1000000000000000000");
  CHECK(number("0.1") == "0.1");   // exact, never 0.1000000000000000055…
  CHECK(number("0e-400") == "0");  // zero is zero whatever its exponent
  CHECK(number("1.000000000000000000000000000000000000000") == "1");  // trailing zeros
  CHECK(number("1234567890123456789012345678901234") == "1234567890123456789012345678901234");
  CHECK(number("0.0000000000000000000000000000000001") == "0.0000000000000000000000000000000001");
  // Out of range: never rounded, never zero.
  CHECK(number("1e-400") == "range");
  CHECK(number("1e-35") == "range");
  CHECK(number("1e34") == "range");
  CHECK(number("12345678901234567890123456789012345") == "range");  // 35 significant digits
  CHECK(number("1e999999999999999999999") == "range");
  // RFC 8259 syntax.
  CHECK(number("00012") == "syntax: leading zeros are not allowed");
  CHECK(number("-01") == "syntax: leading zeros are not allowed");
  CHECK(number("+1") == "syntax: a number starts with a digit or `-` and a digit");
  CHECK(number(".5") == "syntax: a number starts with a digit or `-` and a digit");
  CHECK(number("1.") == "syntax: a digit must follow the decimal point");
  CHECK(number("1e") == "syntax: an exponent needs digits");
  CHECK(number("1e+") == "syntax: an exponent needs digits");
  CHECK(number("0x10") == "syntax: this is not a number");
  CHECK(number("-") == "syntax: a number starts with a digit or `-` and a digit");
}

TEST_CASE("strict: non-JSON tokens are errors naming the column, never missing facts",
          "[case][strict]") {
  Fixture f;
  const std::string message =
      ", which is not a JSON value (values are true, false, null, numbers, \"text\", [lists] and "
      "{mappings})";
  // kHead is 61 characters and `,"flag":` 8 more: the value starts at column 70.
  for (const char* token : {"TRUE", "NaN", "Infinity", "undefined", "nul", "'x'", "@@@"})
    CHECK(f.json(with(std::string(R"("flag":)") + token)) ==
          std::string("E403 at flag: invalid JSON at column 70: found `") + token + "`" + message);
  CHECK(f.json(with(R"("n":-Infinity)")) ==
        "E403 at n: invalid JSON at column 67: `-Infinity` is not a JSON number: a number starts "
        "with a digit or `-` and a digit");
  // In fields the policy does not read too.
  CHECK(f.json(with(R"("extra":{"deep":[1,TRUE]})")) ==
        "E403 at extra.deep[1]: invalid JSON at column 82: found `TRUE`" + message);
  CHECK(f.json(with(R"("flag":true)")) == "ok");
  CHECK(f.json(with(R"("flag":null)")) == "ok");
}

TEST_CASE("strict: one JSON value per line, nothing after it", "[case][strict]") {
  Fixture f;
  std::string c = with(R"("n":1)");
  std::string col = std::to_string(c.size() + 1);
  CHECK(f.json(c + c) == "E403 at : invalid JSON at column " + col +
                             ": `{` after the end of the case (one case per line)");
  CHECK(f.json(c + " trailing garbage") ==
        "E403 at : invalid JSON at column " + std::to_string(c.size() + 2) +
            ": `trailing` after the end of the case (one case per line)");
  CHECK(f.json(c + "// note") == "E403 at : invalid JSON at column " + col +
                                     ": `//` after the end of the case (one case per line)");
  CHECK(f.json(c + "  \r") == "ok");
  CHECK(f.json(c.substr(0, c.size() - 1)) ==
        "E403 at : invalid JSON at column " + std::to_string(c.size()) +
            ": the line ends inside the case (a `}` or `]` is missing)");
  CHECK(f.json(with(R"("n":1,)")) ==
        "E403 at : invalid JSON at column " + std::to_string(c.size() + 1) + ": unexpected `}`");
  CHECK(f.json(with(R"("x":[1 2])")) == "E403 at x: invalid JSON at column 70: unexpected `2`");
  CHECK(f.json("[1]") ==
        "E403 at : invalid JSON at column 1: a case must be a JSON object "
        "`{…}`, found `[`");
  // A byte order mark before the case is not content.
  CHECK(f.json("\xEF\xBB\xBF" + c) == "ok");
  // Errors in a JSON file of several lines name the line too.
  CHECK(f.json("{\"id\":\"S\",\n  \"n\": TRUE}") ==
        "E403 at n: invalid JSON at line 2, column 8: found `TRUE`, which is not a JSON value "
        "(values are true, false, null, numbers, \"text\", [lists] and {mappings})");
}

TEST_CASE("strict: text is valid JSON text", "[case][strict]") {
  Fixture f;
  // Was "`id` must be text, found text".
  CHECK(f.json(R"({"id":"\ud800","as_of":"2024-06-01"})") ==
        "E403 at id: invalid JSON at column 7: `\\ud800` is a lone UTF-16 surrogate, not a "
        "character");
  CHECK(f.json(with(R"("t":"a\udc00")")) ==
        "E403 at t: invalid JSON at column 67: `\\udc00` is a lone UTF-16 surrogate, not a "
        "character");
  CHECK(f.json(with(R"("t":"\q")")) ==
        "E403 at t: invalid JSON at column 67: `\\q` is not a JSON escape");
  CHECK(f.json(with("\"t\":\"a\tb\"")) ==
        "E403 at : invalid JSON at column 69: a control character (0x09) inside text must be "
        "escaped");
  CHECK(f.json(with("\"t\":\"\xFF\"")) ==
        "E403 at : invalid JSON at column 68: byte 0xFF is not valid UTF-8");
  CHECK(f.json(with(R"("t":"\ud83d\ude00 \u00e9")")) == "ok");
  CHECK(f.output("o_t") == "\xF0\x9F\x98\x80 \xC3\xA9");
  CHECK(f.json(with(R"("\udc00x":1)")) ==
        "E403 at : invalid JSON at column 63: `\\udc00` is a lone UTF-16 surrogate, not a "
        "character");
  CHECK(f.json(with(R"("n":1 "t":"x")")) ==
        "E403 at : invalid JSON at column 69: unexpected `\"t\"`");
  // Keys are compared after their escapes are read: `\u0069d` is `id`.
  CHECK(f.json(R"({"\u0069d":"A","as_of":"2024-06-01","injury":{"date":"2024-01-15"}})") == "ok");
  CHECK(f.data().id == "A");
}

TEST_CASE("strict: numbers in JSON cases", "[case][strict]") {
  Fixture f;
  CHECK(f.json(with(R"("n":1e-400)")) ==
        "E400 at n: `1e-400` is out of range: numbers are read exactly, with at most 34 "
        "significant digits and at most 34 digits before and 34 after the decimal point");
  CHECK(f.json(with(R"("n":00012)")) ==
        "E403 at n: invalid JSON at column 67: `00012` is not a JSON number: leading zeros are "
        "not allowed");
  CHECK(f.json(with(R"("n":1e18)")) == "ok");
  CHECK(f.output("o_n") == "1000000000000000000");
  CHECK(f.json(with(R"("n":12.5E-1)")) == "ok");
  CHECK(f.output("o_n") == "1.25");
  CHECK(f.json(with(R"("dur":1.4e1)")) == "ok");  // 14 days
  // In a field nobody reads, the same rule.
  CHECK(f.json(with(R"("extra":1e-400)")) ==
        "E400 at extra: `1e-400` is out of range: numbers are read exactly, with at most 34 "
        "significant digits and at most 34 digits before and 34 after the decimal point");
  // A numeric id is echoed as written.
  CHECK(f.json(R"({"id":1.50,"as_of":"2024-06-01","injury":{"date":"2024-01-15"}})") == "ok");
  CHECK(f.data().id == "1.50");
}

TEST_CASE("strict: duplicate keys name both places", "[case][strict]") {
  Fixture f;
  CHECK(f.json(R"({"id":"DUP","id":"DUP2","as_of":"2024-06-01"})") ==
        "E406 at id: duplicate key `id` at column 13 (first at column 2)");
  CHECK(f.json(with(R"("n":1,"n":2)")) ==
        "E406 at n: duplicate key `n` at column 69 (first at column 63)");
  CHECK(f.json(with(R"("periods":[{"from":"2024-01-01","from":"2024-02-01"}])")) ==
        "E406 at periods[0].from: duplicate key `from` at column 95 (first at column 75)");
  CHECK(f.json(with(R"("extra":{"a":{"b":1,"b":2}})")) ==
        "E406 at extra.a.b: duplicate key `b` at column 83 (first at column 77)");
  CHECK(f.json(with(R"("extra":1,"extra":2)")) ==
        "E406 at extra: duplicate key `extra` at column 73 (first at column 63)");
  // Escapes are read first: "\u006e" is "n".
  CHECK(f.json(with(R"("n":1,"\u006e":2)")) ==
        "E406 at n: duplicate key `n` at column 69 (first at column 63)");
  // Many keys (looked up by hash): still found.
  std::string many = R"("extra":{)";
  for (int k = 0; k < 100; ++k) many += "\"k" + std::to_string(k) + "\":" + std::to_string(k) + ",";
  CHECK(f.json(with(many + R"("k7":0})"))
            .rfind("E406 at extra.k7: duplicate key `k7` at column ", 0) == 0);

  // YAML: both places as line and column, counted from the document's first line.
  CHECK(f.yaml("id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\nid: B\n", 10) ==
        "E406 at id: duplicate key `id` at line 13, column 1 (first at line 10, column 1)");
  CHECK(f.yaml("id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\n"
               "extra:\n  - {a: 1, a: 2}\n") ==
        "E406 at extra[0].a: duplicate key `a` at line 5, column 12 (first at line 5, column 6)");
}

TEST_CASE("strict: a period's `to` before its `from` is an input error", "[case][strict]") {
  Fixture f;
  std::string line = with(
      R"("periods":[{"kind":"ttd","from":"2024-01-01"},{"kind":"tpd","from":"2024-03-01","to":"2024-02-01"}])");
  CHECK(f.json(line) ==
        "E400 at periods[1].to: `to` 2024-02-01 is before `from` 2024-03-01 (at "
        "column " +
            std::to_string(line.find("\"2024-02-01\"") + 1) + ")");
  CHECK(f.json(with(R"("periods":[{"kind":"ttd","from":"2024-03-01","to":"2024-03-01"}])")) ==
        "ok");
  CHECK(f.yaml("id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\nperiods:\n"
               "  - {kind: ttd, from: 2024-01-01}\n"
               "  - kind: tpd\n    from: 2024-03-01\n    to: 2024-02-01\n",
               5) ==
        "E400 at periods[1].to: `to` 2024-02-01 is before `from` 2024-03-01 (at line 12, column "
        "9)");
}

TEST_CASE("strict: YAML case documents are one document within a node budget", "[case][strict]") {
  Fixture f;
  CHECK(f.yaml("{id: A, as_of: 2024-06-01, injury: {date: 2024-01-15}}\n{id: B}\n") ==
        "yaml: content after the end of the case (a second case needs a `---` line before it)");
  CHECK(f.yaml("id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\n---\n") == "ok");
  // A large document is counted before it is built: over the budget, nothing is built.
  std::string big = "id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\nextra: [";
  for (std::size_t k = 0; k < mmi::kMaxCaseYamlNodes; ++k) big += "1,";
  big += "1]\n";
  CHECK(f.yaml(big) == "yaml: the case has more than 100000 YAML nodes; not read");
  // An alias bomb is small text but a huge walk: stopped by the walk's budget.
  std::string bomb = "id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\na0: &a0 [1, 1, 1, 1]\n";
  for (int k = 1; k < 12; ++k)
    bomb += "a" + std::to_string(k) + ": &a" + std::to_string(k) + " [*a" + std::to_string(k - 1) +
            ", *a" + std::to_string(k - 1) + ", *a" + std::to_string(k - 1) + ", *a" +
            std::to_string(k - 1) + "]\n";
  const std::string over =
      "E403 at : the case has more than 100000 YAML nodes or is nested more than 256 deep "
      "(aliases count each time they are used); not read";
  CHECK(f.yaml(bomb) == over);
  // An alias inside its own anchor (found by the case fuzzer: it overflowed the stack).
  CHECK(f.yaml("a: &a [*a]\n") == over);
  // YAML numbers follow the JSON number rule.
  CHECK(f.yaml("id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\nn: 00012\n") ==
        "E400 at n: expected a number, found `00012` (leading zeros are not allowed)");
  CHECK(f.yaml("id: A\nas_of: 2024-06-01\ninjury: {date: 2024-01-15}\nn: 1.5e3\n") == "ok");
  CHECK(f.output("o_n") == "1500");
}

namespace {

// Reads a whole case stream: the format, "line:text" of each record (or "line:problem"), the
// records counted, and the error.
struct StreamRead {
  mmi::CaseFormat format{};
  std::vector<std::string> records;
  std::uint64_t counted = 0;
  std::string error;
};

StreamRead read_stream(const std::string& path, mmi::CaseStreamOptions options = {}) {
  StreamRead r;
  std::string error;
  auto stream = mmi::open_case_stream(path, options, error);
  REQUIRE(stream);
  r.format = stream->format();
  mmi::CaseChunk chunk;
  while (stream->next(chunk))
    for (const auto& rec : chunk.records)
      r.records.push_back(
          std::to_string(rec.line) + ":" +
          (rec.problem ? std::string("problem") : std::string(chunk.record_text(rec))));
  r.counted = stream->records_read();
  r.error = stream->error();
  return r;
}

}  // namespace

TEST_CASE("strict: the case stream's format comes from the content", "[case][strict]") {
  TempDir dir;
  const std::string lines = "{\"id\":\"A\"}\n{\"id\":\"B\"}\n";
  // JSON Lines named *.yaml, with and without a byte order mark.
  for (const std::string& text : {lines, "\xEF\xBB\xBF" + lines}) {
    StreamRead r = read_stream(dir.write("book.yaml", text));
    CHECK(r.format == mmi::CaseFormat::json_lines);
    CHECK(r.records == std::vector<std::string>{"1:{\"id\":\"A\"}", "2:{\"id\":\"B\"}"});
    CHECK(r.counted == 2);
  }
  // A YAML flow mapping over several lines stays YAML.
  StreamRead flow = read_stream(dir.write("flow.yaml", "{id: A,\n as_of: 2024-06-01}\n"));
  CHECK(flow.format == mmi::CaseFormat::yaml_stream);
  // A YAML stream with a byte order mark.
  StreamRead yaml = read_stream(dir.write("cases", "\xEF\xBB\xBFid: A\n---\nid: B\n"));
  CHECK(yaml.format == mmi::CaseFormat::yaml_stream);
  CHECK(yaml.records == std::vector<std::string>{"1:id: A\n", "2:---\nid: B\n"});
  CHECK(yaml.counted == 2);
}

TEST_CASE("strict: input without a line end ends the stream with an error", "[case][strict]") {
  mmi::CaseStreamOptions options;
  options.max_record_bytes = 1024;
  options.chunk_bytes = 1024;
  options.max_unterminated_bytes = 64 * 1024;
  StreamRead zero = read_stream("/dev/zero", options);
  CHECK(zero.error ==
        "no line end within 0 MiB from line 1 (is this a text file of cases?); stopped");
  // An over-long line that does end is still reported and skipped.
  TempDir dir;
  std::string text = "{\"id\":\"A\"}\n{\"x\":\"" + std::string(5000, 'x') + "\"}\n{\"id\":\"B\"}\n";
  StreamRead skipped = read_stream(dir.write("long.jsonl", text), options);
  CHECK(skipped.error.empty());
  CHECK(skipped.records ==
        std::vector<std::string>{"1:{\"id\":\"A\"}", "2:problem", "3:{\"id\":\"B\"}"});
  CHECK(skipped.counted == 3);
}

TEST_CASE("strict: duplicate keys in YAML trees are found within a budget", "[case][strict]") {
  YAML::Node doc = YAML::Load("a: 1\nb: {c: 1, d: [ {e: 1}, {e: 2, e: 3} ]}\n");
  mmi::YamlWalkLimit limit{1000};
  auto dup = mmi::find_duplicate_key(doc, limit);
  REQUIRE(dup);
  CHECK(dup->key == "e");
  CHECK(dup->path == "b.d[1].e");
  CHECK(dup->first.line == 1);
  CHECK(dup->second.line == 1);
  CHECK(dup->second.column > dup->first.column);
  mmi::YamlWalkLimit tiny{3};
  CHECK_FALSE(mmi::find_duplicate_key(doc, tiny));
  CHECK(tiny.exceeded);
}

// The fuzzer's differential oracle (fuzz/case_oracle.hpp), run over the case corpus and hostile
// mutations of it: every line is read as nlohmann::json (strict, duplicates rejected) reads it,
// or rejected.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/case_oracle.hpp"

TEST_CASE("strict: JSON lines are read as a strict parser reads them, or rejected",
          "[case][strict][oracle]") {
  std::vector<std::string> seeds;
  for (const auto& e : std::filesystem::directory_iterator(std::string(MMI_SOURCE_DIR) +
                                                           "/fuzz/corpus/case_fuzz")) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::string line;
    std::getline(in, line);
    seeds.push_back(line);
  }
  REQUIRE(seeds.size() >= 20);
  std::vector<std::string> lines;
  auto replace_all = [](std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
    return s;
  };
  for (const auto& s : seeds) {
    lines.push_back(s);
    for (auto [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"true", "TRUE"},
                                                          {"false", "fals"},
                                                          {"null", "nul"},
                                                          {": ", ":: "},
                                                          {", ", ",, "},
                                                          {"\"id\"", "\"\\u0069d\""},
                                                          {"\"date\"", "\"d\\u0061te\""},
                                                          {"1", "01"},
                                                          {"0", "0.0e0"},
                                                          {"5", "5e-400"},
                                                          {"2", "2E+1"},
                                                          {"\"2", "\"\\ud8002"},
                                                          {"-", "\\u002d"},
                                                          {"}", "},"},
                                                          {"]", ",]"},
                                                          {"{", "{\"id\": 1, "},
                                                          {"\"as_of\"", "\"id\": \"X\", \"as_of\""},
                                                          {": \"", ": '"},
                                                          {"a", "\\a"}}) {
      lines.push_back(replace_all(s, from, to));
      std::size_t at = s.find(from);
      if (at != std::string::npos) lines.push_back(std::string(s).replace(at, from.size(), to));
    }
    lines.push_back("\xEF\xBB\xBF" + s);
    lines.push_back(s + s);
    lines.push_back(s + " x");
    lines.push_back(s + " /* c */");
    for (std::size_t cut = 1; cut < s.size(); cut += 13) {
      lines.push_back(s.substr(0, cut));
      lines.push_back(s.substr(0, cut) + s.substr(cut + 1));  // one byte dropped
      lines.push_back(s.substr(0, cut) + "\"" + s.substr(cut));
    }
  }
  std::size_t rejected = 0;
  for (const char* policy : {"policies/us-tx.yaml", "policies/examples/acme-tx-plateau.yaml"}) {
    auto compiled = mmi::compile_policy(std::string(MMI_SOURCE_DIR) + "/" + policy);
    REQUIRE(compiled);
    mmi::Session session(compiled.graph);
    for (const auto& line : lines) {
      std::string difference =
          mmi_oracle::check_line(line, [&](std::string_view json) -> const mmi::CaseData& {
            session.loader().load_json(json, session.case_data());
            return session.case_data();
          });
      INFO(policy);
      CHECK(difference == "");
      std::string plain;
      if (!mmi_oracle::plain_form(line, plain)) ++rejected;
    }
  }
  // The mutations exercise both sides: many lines a strict parser rejects, many it reads.
  CHECK(rejected > lines.size() / 2);
  CHECK(rejected < 2 * lines.size() - lines.size() / 4);
}
