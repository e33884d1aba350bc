#include "engine/suite.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>

#include "engine/case_file.hpp"
#include "engine/mmi.hpp"
#include "rules/yaml_util.hpp"

namespace mmi {

std::size_t SuiteReport::passed() const {
  std::size_t n = 0;
  for (const auto& t : tests) n += t.passed;
  return n;
}

std::size_t SuiteReport::failed() const {
  return tests.size() - passed() + (loaded ? 0 : 1);
}

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kSuiteKeys = {"policy", "tests", "description", "name"};
const std::vector<std::string> kTestKeys = {"name",  "description", "case",
                                            "as_of", "set",         "expect"};
const std::vector<std::string> kExpectKeys = {"status",  "basis", "mmi_date", "coverage_cutoff",
                                              "outputs", "rules", "missing"};

std::string show_expected(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "null";
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

std::string show_actual(const Value& v, const Graph& g) {
  if (v.is_missing() || v.is_error()) return "null";
  return value_to_string(v, g);
}

// Does the expected YAML scalar denote this value? Numbers compare as decimals (36 == 36.0).
bool matches(const YAML::Node& expected, const Value& actual, const Graph& g) {
  if (!expected.IsDefined() || expected.IsNull()) return actual.is_missing();
  if (!expected.IsScalar()) return false;
  const std::string& text = expected.Scalar();
  switch (actual.kind) {
    case Kind::missing:
    case Kind::error:
      return text == "null" || text == "~";
    case Kind::number: {
      auto d = Decimal::parse(text);
      return d && *d == actual.as_number();
    }
    case Kind::date: {
      auto d = parse_iso_date(text);
      return d && *d == actual.i;
    }
    default:
      return text == value_to_string(actual, g);
  }
}

class SuiteRunner {
 public:
  SuiteRunner(const std::string& path, SuiteReport& report) : path_(path), report_(report) {}

  void run() {
    report_.path = path_;
    auto text = read_text_file(path_, report_.diagnostics, SourceLocation{nullptr, path_});
    if (!text) return;
    source_ = std::make_shared<const SourceFile>(path_, std::move(*text));
    YamlContext y(source_, report_.diagnostics);
    auto root = y.parse();
    if (!root) return;
    if (!root->IsMap()) {
      y.wrong_kind(*root, "a test suite is a mapping with `policy:` and `tests:`");
      return;
    }
    std::optional<YAML::Node> tests;
    std::string policy;
    for (const auto& [key, value, at] : y.entries(*root, kSuiteKeys, "suite key")) {
      if (key == "policy") policy = y.scalar(value, "policy");
      if (key == "tests") tests.emplace(value);
    }
    if (policy.empty())
      report_.diagnostics.error(Code::E600, "a test suite needs `policy:`", y.location(*root));
    if (!tests || !tests->IsSequence())
      report_.diagnostics.error(Code::E600, "a test suite needs `tests:`, a list of tests",
                                y.location(*root));
    if (report_.diagnostics.has_errors()) return;
    dir_ = fs::path(path_).parent_path();
    report_.policy_path = (dir_ / policy).lexically_normal().string();
    auto base = graph_for({});
    if (!base) return;
    for (const auto& r : base->policy.rules) report_.coverage.push_back({r.id, 0, 0, 0});
    report_.loaded = true;
    for (const auto& test : *tests) run_test(y, test);
  }

 private:
  std::string path_;
  SuiteReport& report_;
  std::shared_ptr<const SourceFile> source_;
  fs::path dir_;
  std::map<std::string, std::shared_ptr<const Graph>> graphs_;
  std::map<std::string, std::string> graph_errors_;

  std::shared_ptr<const Graph> graph_for(const ParameterOverrides& set) {
    std::string key;
    for (const auto& [k, v] : set) key += k + "=" + v + "\n";
    if (auto it = graphs_.find(key); it != graphs_.end()) return it->second;
    CompileOptions options;
    options.set = set;
    options.warnings = false;
    auto compiled = compile_policy(report_.policy_path, options);
    if (!compiled) {
      compiled.diagnostics.sort();
      if (set.empty()) report_.diagnostics.append(compiled.diagnostics);
      std::string first = compiled.diagnostics.items().empty()
                              ? "the policy does not compile"
                              : compiled.diagnostics.items().front().at.to_string() + ": " +
                                    compiled.diagnostics.items().front().message;
      graph_errors_[key] = first;
      graphs_[key] = nullptr;
      return nullptr;
    }
    graphs_[key] = compiled.graph;
    return compiled.graph;
  }

  void run_test(YamlContext& y, const YAML::Node& node) {
    auto started = std::chrono::steady_clock::now();
    TestOutcome t;
    t.file = path_;
    SourceLocation at = y.location(node);
    t.line = at.line;
    auto finish = [&] {
      t.passed = t.error.empty() && t.mismatches.empty();
      t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      report_.tests.push_back(std::move(t));
    };
    if (!node.IsMap()) {
      t.name = fmt::format("test at line {}", t.line);
      t.error = "a test is a mapping with `name`, `case` and `expect`";
      return finish();
    }
    // A key given twice (in `expect`, an inline case, anywhere in the test) would silently keep
    // one of its values: the test is an error naming both places.
    YamlWalkLimit limit{kMaxCaseYamlNodes};
    if (auto dup = find_duplicate_key(node, limit)) {
      SourceLocation second = y.location_at(dup->second), first = y.location_at(dup->first);
      t.name = fmt::format("test at line {}", t.line);
      for (auto it = node.begin(); it != node.end(); ++it)
        if (it->first.IsScalar() && it->first.Scalar() == "name" && it->second.IsScalar()) {
          t.name = it->second.Scalar();
          break;
        }
      t.error = fmt::format("{}: duplicate key `{}` (first at line {}, column {}) [E406]",
                            second.to_string(), dup->path, first.line, first.column);
      return finish();
    }
    DiagnosticList local;
    YamlContext ly(source_, local);
    // yaml-cpp's operator= writes through to the node, so optional<> rebinds instead.
    std::optional<YAML::Node> case_opt, expect_opt, set_opt, as_of_opt;
    for (const auto& [key, value, key_at] : ly.entries(node, kTestKeys, "test key")) {
      if (key == "name") t.name = ly.scalar(value, "name");
      if (key == "case") case_opt.emplace(value);
      if (key == "expect") expect_opt.emplace(value);
      if (key == "set") set_opt.emplace(value);
      if (key == "as_of") as_of_opt.emplace(value);
    }
    YAML::Node case_node = case_opt.value_or(YAML::Node(YAML::NodeType::Undefined));
    YAML::Node expect = expect_opt.value_or(YAML::Node(YAML::NodeType::Undefined));
    if (t.name.empty()) t.name = fmt::format("test at line {}", t.line);
    if (!case_opt) local.error(Code::E600, "the test has no `case`", at);
    if (!expect_opt)
      local.error(Code::E600, "the test has no `expect`", at);
    else if (!expect.IsMap())
      local.error(Code::E600, "`expect` must be a mapping of result fields", ly.location(expect));
    ParameterOverrides set;
    if (set_opt) {
      const YAML::Node& set_node = *set_opt;
      if (!set_node.IsMap())
        local.error(Code::E600, "`set` maps parameter names to values", ly.location(set_node));
      else
        for (const auto& [k, v, k_at] : ly.entries(set_node, {}, ""))
          set.emplace_back(k, ly.scalar(v, "parameter value"));
    }
    std::optional<DayNumber> as_of;
    if (as_of_opt) as_of = ly.date(*as_of_opt, "as_of");
    if (local.has_errors()) {
      const Diagnostic& d = local.items().front();
      t.error = d.at.to_string() + ": " + d.message;
      return finish();
    }

    auto graph = graph_for(set);
    if (!graph) {
      std::string key;
      for (const auto& [k, v] : set) key += k + "=" + v + "\n";
      t.error = "policy does not compile: " + graph_errors_[key];
      return finish();
    }
    Session session(graph);
    CaseData& c = session.case_data();
    if (case_node.IsMap()) {
      session.loader().load_yaml(case_node, c);
    } else if (case_node.IsScalar()) {
      std::string file = (dir_ / case_node.Scalar()).lexically_normal().string();
      if (auto e = load_case_file(session, file, y.location(case_node))) {
        t.error = e->at + ": " + e->message;
        return finish();
      }
    } else {
      t.error = fmt::format("{}: `case` must be a file path or a mapping",
                            y.location(case_node).to_string());
      return finish();
    }
    if (!c.error) {
      if (c.id.empty()) c.id = t.name;
      if (as_of) {
        c.as_of = *as_of;
        c.has_as_of = true;
      }
      session.loader().finish(c);
    }
    // An input error is a result (status error): a test may expect it, otherwise it fails.
    const Outcome& o = session.evaluate();
    const Graph& g = *graph;
    const CheckedPolicy& p = g.policy;
    if (o.status != Status::error)
      for (std::size_t r = 0; r < o.rules.size() && r < report_.coverage.size(); ++r) {
        if (o.rules[r] == RuleState::fired)
          ++report_.coverage[r].fired;
        else if (o.rules[r] == RuleState::not_fired)
          ++report_.coverage[r].not_fired;
        else
          ++report_.coverage[r].unknown;
      }
    compare(ly, expect, g, p, session, o, t);
    if (o.status == Status::error && !t.mismatches.empty() && o.error)
      t.mismatches.push_back({"error", "-", o.error->message + " at " + o.error->at});
    finish();
  }

  void compare(YamlContext& y, const YAML::Node& expect, const Graph& g, const CheckedPolicy& p,
               Session& session, const Outcome& o, TestOutcome& t) {
    auto mismatch = [&](const std::string& field, const std::string& want, const std::string& got) {
      t.mismatches.push_back({field, want, got});
    };
    auto field_error = [&](const YAML::Node& n, const std::string& message) {
      if (t.error.empty()) t.error = y.location(n).to_string() + ": " + message;
    };
    for (auto it = expect.begin(); it != expect.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
      const YAML::Node want = it->second;  // a copy: `it->` yields a temporary proxy
      if (std::find(kExpectKeys.begin(), kExpectKeys.end(), key) == kExpectKeys.end()) {
        std::string help = did_you_mean(key, kExpectKeys);
        field_error(it->first, fmt::format("`expect` has no field `{}`{}", key,
                                           help.empty() ? "" : " (" + help + ")"));
        continue;
      }
      if (key == "status") {
        std::string s = want.IsScalar() ? want.Scalar() : "";
        if (s != "reached" && s != "not_reached" && s != "undetermined" && s != "error") {
          field_error(want, "`status` must be reached, not_reached, undetermined or error");
          continue;
        }
        if (s != to_string(o.status)) {
          std::string got = to_string(o.status);
          if (o.error) got += " (" + o.error->message + " at " + o.error->at + ")";
          mismatch("status", s, got);
        }
      } else if (key == "basis") {
        std::string got = o.basis >= 0 ? p.rules[static_cast<std::size_t>(o.basis)].id : "null";
        std::string w = show_expected(want);
        if (!want.IsNull() && !want.IsScalar())
          field_error(want, "`basis` must be a rule id or null");
        else if (w != got)
          mismatch("basis", w, got);
      } else if (key == "mmi_date" || key == "coverage_cutoff") {
        const Value& v = key == "mmi_date" ? o.mmi_date : o.coverage_cutoff;
        if (!want.IsNull() && (!want.IsScalar() || !parse_iso_date(want.Scalar()))) {
          field_error(want, fmt::format("`{}` must be a date YYYY-MM-DD or null", key));
          continue;
        }
        if (!matches(want, v, g)) mismatch(key, show_expected(want), show_actual(v, g));
      } else if (key == "outputs") {
        if (!want.IsMap()) {
          field_error(want, "`outputs` must map output names to values");
          continue;
        }
        std::vector<std::string> names;
        for (const auto& out : p.outputs) names.push_back(out.name);
        for (auto ot = want.begin(); ot != want.end(); ++ot) {
          std::string name = ot->first.Scalar();
          auto pos = std::find(names.begin(), names.end(), name);
          if (pos == names.end()) {
            std::string help = did_you_mean(name, names);
            field_error(ot->first, fmt::format("the policy has no output `{}`{}", name,
                                               help.empty() ? "" : " (" + help + ")"));
            continue;
          }
          const Value& v = o.outputs[static_cast<std::size_t>(pos - names.begin())];
          if (!matches(ot->second, v, g))
            mismatch("outputs." + name, show_expected(ot->second), show_actual(v, g));
        }
      } else if (key == "rules") {
        if (!want.IsMap()) {
          field_error(want, "`rules` must map rule ids to fired, not_fired or unknown");
          continue;
        }
        for (auto rt = want.begin(); rt != want.end(); ++rt) {
          std::string id = rt->first.Scalar();
          std::vector<std::string> ids;
          for (const auto& r : p.rules) ids.push_back(r.id);
          auto pos = std::find(ids.begin(), ids.end(), id);
          if (pos == ids.end()) {
            std::string help = did_you_mean(id, ids);
            field_error(rt->first, fmt::format("the policy has no rule `{}`{}", id,
                                               help.empty() ? "" : " (" + help + ")"));
            continue;
          }
          std::string state = rt->second.IsScalar() ? rt->second.Scalar() : "";
          if (state != "fired" && state != "not_fired" && state != "unknown") {
            field_error(rt->second, "a rule's expected state is fired, not_fired or unknown");
            continue;
          }
          std::string got = to_string(o.rules[static_cast<std::size_t>(pos - ids.begin())]);
          if (got != state) mismatch("rules." + id, state, got);
        }
      } else if (key == "missing") {
        if (!want.IsSequence()) {
          field_error(want, "`missing` must be a list of fact paths");
          continue;
        }
        std::vector<std::string> w;
        for (const auto& item : want) w.push_back(item.IsScalar() ? item.Scalar() : "?");
        std::sort(w.begin(), w.end());
        auto got = session.evaluator().missing_facts();
        auto join = [](const std::vector<std::string>& v) {
          std::string s = "[";
          for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + v[k];
          return s + "]";
        };
        if (w != got) mismatch("missing", join(w), join(got));
      }
    }
  }
};

}  // namespace

SuiteReport run_suite(const std::string& path) {
  SuiteReport report;
  try {
    SuiteRunner(path, report).run();
  } catch (const std::exception& e) {
    report.loaded = false;
    report.diagnostics.error(Code::E600, std::string("the suite could not be run: ") + e.what(),
                             SourceLocation{nullptr, path});
  }
  return report;
}

}  // namespace mmi
