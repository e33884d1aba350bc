// Running cases from the editor: code lenses on suites (each test's status, MMI date and coverage
// cutoff, evaluated against the unsaved policy) and above a policy's `decision:` (its suites), and
// the commands `mmi.runSuite` (what `mmi test` does, on the saved files) and `mmi.runCase`.
#include <fmt/format.h>

#include <filesystem>

#include "engine/case_file.hpp"
#include "engine/graph.hpp"
#include "engine/mmi.hpp"
#include "engine/suite.hpp"
#include "lsp/features.hpp"
#include "rules/yaml_util.hpp"

namespace mmi::lsp {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const Graph> compile_with_buffers(const std::string& path,
                                                  const ParameterOverrides& set,
                                                  const SourceReader& reader, std::string& error) {
  DiagnosticList diags;
  auto merged = load_and_merge(path, diags, reader);
  std::optional<CheckedPolicy> checked;
  if (merged) {
    CheckOptions options;
    options.overrides = set;
    options.warnings = false;
    checked = check_policy(*merged, options, diags);
  }
  diags.sort();
  if (!checked || diags.has_errors()) {
    error = diags.items().empty()
                ? "the policy does not compile"
                : diags.items().front().at.to_string() + ": " + diags.items().front().message;
    return nullptr;
  }
  if (checked->is_module) {
    error = "the policy is a module (no `decision:`)";
    return nullptr;
  }
  return compile_graph(std::move(*checked));
}

// The result object (§8) of one case: a YAML mapping, or a case file (YAML or JSON).
json evaluate(const std::shared_ptr<const Graph>& graph, const YAML::Node& case_node,
              const fs::path& dir, std::optional<DayNumber> as_of, std::string& error) {
  Session session(graph);
  CaseData& c = session.case_data();
  if (case_node.IsMap()) {
    session.loader().load_yaml(case_node, c);
  } else if (case_node.IsScalar()) {
    std::string file = (dir / case_node.Scalar()).lexically_normal().string();
    if (auto e = load_case_file(session, file, SourceLocation{nullptr, file})) {
      error = e->message;
      return nullptr;
    }
  } else {
    error = "`case` must be a file path or a mapping";
    return nullptr;
  }
  if (!c.error) {
    if (as_of) {
      c.as_of = *as_of;
      c.has_as_of = true;
    }
    session.loader().finish(c);
  }
  session.evaluate();
  json result = json::parse(session.result_json(), nullptr, false);
  return result.is_discarded() ? json(nullptr) : result;
}

std::string show(const json& v) {
  if (v.is_null()) return "—";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// "reached · MMI 2026-01-20 · cutoff 2026-01-20"
std::string summary(const json& r) {
  if (!r.is_object()) return "no result";
  std::string s = show(r.value("status", json()));
  s += " · MMI " + show(r.value("mmi_date", json()));
  s += " · cutoff " + show(r.value("coverage_cutoff", json()));
  if (r.contains("basis") && r["basis"].is_string())
    s += " (" + r["basis"].get<std::string>() + ")";
  return s;
}

struct SuiteTest {
  std::string name;
  std::uint32_t line = 0;  // 0-based
  SourceLocation at, case_at;
  YAML::Node case_node, expect;
  std::optional<DayNumber> as_of;
  ParameterOverrides set;
};

struct Suite {
  std::string policy_path;
  SourceLocation policy_at;
  std::vector<SuiteTest> tests;
};

// The suite's keys as `mmi test` reads them (engine/suite.cpp).
const std::vector<std::string> kSuiteKeys = {"policy", "tests", "description", "name"};
const std::vector<std::string> kTestKeys = {"name",  "description", "case",
                                            "as_of", "set",         "expect"};
const std::vector<std::string> kExpectKeys = {"status",  "basis", "mmi_date", "coverage_cutoff",
                                              "outputs", "rules", "missing"};

// Reads a suite from text; what is wrong with it goes to `diags` (unknown keys with their "did
// you mean", missing `policy:`/`tests:`/`case`/`expect`).
std::optional<Suite> read_suite(const std::string& path, const std::string& text,
                                DiagnosticList& diags) {
  YamlContext y(std::make_shared<const SourceFile>(path, text), diags);
  auto root = y.parse();
  if (!root) return std::nullopt;
  if (!root->IsMap()) {
    y.wrong_kind(*root, "a test suite is a mapping with `policy:` and `tests:`");
    return std::nullopt;
  }
  Suite s;
  YAML::Node tests;
  for (const auto& [key, value, at] : y.entries(*root, kSuiteKeys, "suite key")) {
    if (key == "policy" && value.IsScalar()) {
      s.policy_path = (fs::path(path).parent_path() / value.Scalar()).lexically_normal().string();
      s.policy_at = y.location(value);
    }
    if (key == "tests") tests = value;
  }
  if (s.policy_path.empty())
    diags.error(Code::E600, "a test suite needs `policy:`", y.location(*root));
  if (!tests.IsSequence())
    diags.error(Code::E600, "a test suite needs `tests:`, a list of tests", y.location(*root));
  if (s.policy_path.empty() || !tests.IsSequence()) return std::nullopt;
  for (const auto& node : tests) {
    if (!y.budget(node)) return std::nullopt;
    if (!node.IsMap()) {
      y.wrong_kind(node, "a test is a mapping with `name`, `case` and `expect`");
      continue;
    }
    SuiteTest t;
    t.at = y.location(node);
    t.line = t.at.line - 1;
    for (const auto& [key, value, at] : y.entries(node, kTestKeys, "test key")) {
      if (key == "name" && value.IsScalar()) t.name = value.Scalar();
      if (key == "case") {
        t.case_node = value;
        t.case_at = y.location(value);
      }
      if (key == "expect") {
        t.expect = value;
        if (value.IsMap()) y.entries(value, kExpectKeys, "expected field");
      }
      if (key == "as_of") t.as_of = y.date(value, "as_of");
      if (key == "set" && value.IsMap())
        for (const auto& kv : value)
          if (kv.first.IsScalar() && kv.second.IsScalar())
            t.set.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    }
    if (!t.case_node.IsDefined()) diags.error(Code::E600, "the test has no `case`", t.at);
    if (!t.expect.IsDefined()) diags.error(Code::E600, "the test has no `expect`", t.at);
    s.tests.push_back(std::move(t));
  }
  return s;
}

std::optional<Suite> read_suite(const std::string& path, const std::string& text) {
  DiagnosticList ignored;
  return read_suite(path, text, ignored);
}

// "✓ " when the expected status, mmi_date and coverage_cutoff the test states all match, "✗ …"
// naming the first that does not; "" when it states none of them.
std::string verdict(const SuiteTest& t, const json& r, std::string& expected) {
  if (!t.expect.IsMap() || !r.is_object()) return "";
  bool any = false;
  for (const char* field : {"status", "mmi_date", "coverage_cutoff"}) {
    YAML::Node want = t.expect[field];
    if (!want.IsDefined() || !want.IsScalar()) continue;
    any = true;
    std::string w = want.Scalar();
    if (w == "~" || w == "null") w = "—";
    if (w != show(r.value(field, json()))) {
      expected = fmt::format(" (expected {} {})", field, w);
      return "✗ ";
    }
  }
  return any ? "✓ " : "";
}

json lens(std::uint32_t line, const std::string& title, const std::string& command,
          const json& arguments) {
  json range = {{"start", {{"line", line}, {"character", 0}}},
                {"end", {{"line", line}, {"character", 0}}}};
  return {{"range", range},
          {"command", {{"title", title}, {"command", command}, {"arguments", arguments}}}};
}

// The suites next to a policy (its folder, its `tests/`, `../tests/`) that name it.
std::vector<std::string> suites_of(const std::string& policy_path) {
  std::vector<std::string> out;
  fs::path dir = fs::path(policy_path).parent_path();
  for (const fs::path& d : {dir, dir / "tests", dir.parent_path() / "tests"}) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.size() < 10 || name.compare(name.size() - 10, 10, ".test.yaml") != 0) continue;
      DiagnosticList io;
      auto text = read_text_file(it->path().string(), io, {}, 1 << 20);
      auto named = text ? top_level_value(*text, "policy") : std::nullopt;
      if (!named || named->empty()) continue;
      if (canonical_path((d / *named).lexically_normal().string()) == policy_path)
        out.push_back(canonical_path(it->path().string()));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

struct SuiteRun {
  std::vector<std::pair<const SuiteTest*, json>> results;
  std::string error;
};

SuiteRun run_with_buffers(const Suite& suite, const std::string& suite_path,
                          const SourceReader& reader) {
  SuiteRun run;
  std::map<std::string, std::shared_ptr<const Graph>> graphs;
  for (const auto& t : suite.tests) {
    std::string key;
    for (const auto& [k, v] : t.set) key += k + "=" + v + "\n";
    auto [it, fresh] = graphs.try_emplace(key);
    std::string error;
    if (fresh) it->second = compile_with_buffers(suite.policy_path, t.set, reader, error);
    if (!it->second) {
      if (run.error.empty()) run.error = error.empty() ? "the policy does not compile" : error;
      run.results.emplace_back(&t, nullptr);
      continue;
    }
    json r = evaluate(it->second, t.case_node, fs::path(suite_path).parent_path(), t.as_of, error);
    run.results.emplace_back(&t, r.is_null() ? json{{"error", error}} : r);
  }
  return run;
}

}  // namespace

DiagnosticList check_suite(const std::string& path, const std::string& text,
                           const SourceReader& reader, std::set<std::string>& sources) {
  DiagnosticList diags;
  auto suite = read_suite(path, text, diags);
  if (!suite) return diags;
  sources.insert(canonical_path(suite->policy_path));
  std::error_code ec;
  if (!(reader && reader(suite->policy_path)) && !fs::exists(suite->policy_path, ec)) {
    diags.error(Code::E600, fmt::format("policy file `{}` not found", suite->policy_path),
                suite->policy_at);
    return diags;
  }
  DiagnosticList policy_diags;
  if (auto merged = load_and_merge(suite->policy_path, policy_diags, reader))
    for (const auto& source : merged->sources) sources.insert(canonical_path(source->path));
  // Each test's case, evaluated against the unsaved policy: a case that cannot load is an error
  // of the suite (a policy that does not compile, one error at `policy:`).
  SuiteRun run = run_with_buffers(*suite, path, reader);
  if (!run.error.empty())
    diags.error(Code::E600, "the policy does not compile: " + run.error, suite->policy_at);
  for (const auto& [t, r] : run.results) {
    if (!r.is_object()) continue;
    if (r.contains("error") && !r.contains("status")) {
      diags.error(Code::E600, "the case cannot run: " + r["error"].get<std::string>(),
                  t->case_at.line ? t->case_at : t->at);
    } else if (r.value("status", "") == "error" && r.contains("error") && r["error"].is_object() &&
               !(t->expect.IsMap() && t->expect["status"].IsDefined() &&
                 t->expect["status"].IsScalar() && t->expect["status"].Scalar() == "error")) {
      diags.error(Code::E600,
                  "the case does not load: " + r["error"].value("message", std::string("?")),
                  t->case_at.line ? t->case_at : t->at);
    }
  }
  diags.sort();
  return diags;
}

json code_lenses(const DocumentView& doc, const SourceReader& reader) {
  json out = json::array();
  if (is_suite_text(doc.path, doc.text)) {
    auto suite = read_suite(doc.path, doc.text);
    if (!suite) return out;
    out.push_back(
        lens(0, fmt::format("▶ Run all {} tests (mmi test, saved files)", suite->tests.size()),
             "mmi.runSuite", json::array({doc.uri})));
    SuiteRun run = run_with_buffers(*suite, doc.path, reader);
    for (const auto& [t, r] : run.results) {
      std::string title;
      if (r.is_null()) {
        title = "policy error: " + run.error;
      } else if (r.contains("error") && !r.contains("status")) {
        title = "cannot run: " + r["error"].get<std::string>();
      } else {
        std::string expected;
        std::string mark = verdict(*t, r, expected);
        title = mark + summary(r) + expected;
      }
      out.push_back(lens(t->line, title, "mmi.runSuite", json::array({doc.uri})));
    }
    return out;
  }
  // A policy: above `decision:`, its suites evaluated against the unsaved text.
  LineMap map(doc.text);
  std::optional<std::uint32_t> decision;
  for (std::uint32_t l = 0; l < map.line_count() && !decision; ++l)
    if (map.line(l).substr(0, 9) == "decision:") decision = l;
  if (!decision) return out;
  for (const auto& path : suites_of(doc.path)) {
    std::optional<std::string> text = reader ? reader(path) : std::nullopt;
    if (!text) {
      DiagnosticList io;
      text = read_text_file(path, io, {});
    }
    if (!text) continue;
    auto suite = read_suite(path, *text);
    if (!suite) continue;
    SuiteRun run = run_with_buffers(*suite, path, reader);
    std::size_t reached = 0, differ = 0;
    for (const auto& [t, r] : run.results) {
      std::string expected;
      if (r.is_object() && r.value("status", "") == "reached") ++reached;
      if (verdict(*t, r, expected) == "✗ ") ++differ;
    }
    std::string name = fs::path(path).filename().string();
    std::string title =
        run.error.empty()
            ? fmt::format(
                  "▶ {}: {} cases, {} reached, {} differ from the expected status/MMI/cutoff", name,
                  run.results.size(), reached, differ)
            : fmt::format("▶ {}: policy error: {}", name, run.error);
    out.push_back(lens(*decision, title, "mmi.runSuite", json::array({uri_from_path(path)})));
  }
  return out;
}

json execute_command(const std::string& command, const json& arguments, const SourceReader& reader,
                     std::string& message) {
  auto path_arg = [&](std::size_t i) -> std::string {
    if (!arguments.is_array() || arguments.size() <= i || !arguments[i].is_string()) return {};
    std::string a = arguments[i];
    std::string p = a.rfind("file://", 0) == 0 ? path_from_uri(a) : a;
    return canonical_path(p);
  };
  if (command == "mmi.runSuite") {
    std::string path = path_arg(0);
    if (path.empty()) {
      message = "mmi.runSuite needs a suite file";
      return nullptr;
    }
    SuiteReport report = run_suite(path);
    json failures = json::array();
    for (const auto& t : report.tests) {
      if (t.passed) continue;
      std::string why = t.error;
      for (const auto& m : t.mismatches)
        why += (why.empty() ? "" : "; ") +
               fmt::format("{}: expected {}, got {}", m.field, m.expected, m.actual);
      failures.push_back({{"name", t.name}, {"line", t.line}, {"message", why}});
    }
    message = report.loaded
                  ? fmt::format("{}: {} passed, {} failed", fs::path(path).filename().string(),
                                report.passed(), report.failed())
                  : fmt::format("{}: the suite does not load: {}", path,
                                report.diagnostics.items().empty()
                                    ? std::string("?")
                                    : report.diagnostics.items().front().message);
    return {{"loaded", report.loaded},
            {"passed", report.passed()},
            {"failed", report.failed()},
            {"failures", failures}};
  }
  if (command == "mmi.runCase") {
    std::string policy = path_arg(0), case_path = path_arg(1);
    if (policy.empty() || case_path.empty()) {
      message = "mmi.runCase needs a policy and a case file";
      return nullptr;
    }
    std::string error;
    auto graph = compile_with_buffers(policy, {}, reader, error);
    if (!graph) {
      message = error;
      return nullptr;
    }
    json r = evaluate(graph, YAML::Node(case_path), fs::path("/"), std::nullopt, error);
    if (r.is_null()) {
      message = error;
      return nullptr;
    }
    message = fs::path(case_path).filename().string() + ": " + summary(r);
    return r;
  }
  message = "unknown command " + command;
  return nullptr;
}

}  // namespace mmi::lsp
