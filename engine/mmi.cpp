#include "engine/mmi.hpp"

namespace mmi {

const char* engine_version() {
  return MMI_VERSION;
}

CompiledPolicy compile_policy(const std::string& path, const CompileOptions& options) {
  CompiledPolicy out;
  CheckOptions check;
  check.overrides = options.set;
  check.warnings = options.warnings;
  try {
    std::optional<CheckedPolicy> checked;
    if (options.extra_outputs.empty()) {
      checked = load_checked_policy(path, check, out.diagnostics);
    } else if (auto merged = load_and_merge(path, out.diagnostics)) {
      for (const auto& o : options.extra_outputs) merged->outputs.push_back(o);
      checked = check_policy(*merged, check, out.diagnostics);
      if (out.diagnostics.has_errors()) checked.reset();
    }
    if (checked && checked->is_module) {
      out.diagnostics.error(Code::E011,
                            "`" + path +
                                "` is a module (it has no `decision:`): include it from a "
                                "policy to evaluate it",
                            checked->at);
      return out;
    }
    if (checked && !out.diagnostics.has_errors()) out.graph = compile_graph(std::move(*checked));
  } catch (const std::exception& e) {
    // Defensive: the front end reports through diagnostics; this only catches resource failures.
    out.diagnostics.error(Code::E900, std::string("internal error while compiling: ") + e.what(),
                          SourceLocation{nullptr, path});
    out.graph.reset();
  }
  return out;
}

Session::Session(std::shared_ptr<const Graph> graph, CaseOptions options)
    : graph_(graph), loader_(graph, options), evaluator_(graph) {}

CaseData& Session::load_json(std::string_view json, bool padded) {
  if (loader_.load_json(json, case_, padded)) loader_.finish(case_);
  return case_;
}

CaseData& Session::load_yaml(const YAML::Node& node) {
  if (loader_.load_yaml(node, case_)) loader_.finish(case_);
  return case_;
}

const Outcome& Session::evaluate(const EvalOptions& options) {
  return evaluate(case_, options);
}

const Outcome& Session::evaluate(const CaseData& c, const EvalOptions& options) {
  last_ = &c;
  return evaluator_.evaluate(c, options);
}

void Session::append_result_json(std::string& out) {
  const Outcome& o = evaluator_.outcome();
  bool unknown = false;
  for (auto s : o.rules) unknown = unknown || s == RuleState::unknown;
  static const std::vector<std::string> kNoneMissing;
  if (!unknown) {
    mmi::append_result_json(out, *graph_, last_ ? *last_ : case_, o, kNoneMissing);
    return;
  }
  mmi::append_result_json(out, *graph_, last_ ? *last_ : case_, o, evaluator_.missing_facts());
}

void Session::append_result_json(std::string& out, bool explain) {
  append_result_json(out);
  if (!explain) return;
  const Outcome& o = evaluator_.outcome();
  out.pop_back();  // reopen the result object to add the explanation
  out += ",\"explain\":{\"rules\":[";
  for (std::uint32_t r = 0; r < graph_->policy.rules.size() && o.status != Status::error; ++r) {
    if (r) out += ',';
    append_explanation_json(out, evaluator_.explain_rule(r));
  }
  out += "],\"decision\":";
  if (o.status != Status::error)
    append_explanation_json(out, evaluator_.explain_decision());
  else
    out += "null";
  out += ",\"parameters\":";
  if (o.status != Status::error)
    append_parameters_json(out, evaluator_.explain_parameters());
  else
    out += "[]";
  out += "}}";
}

std::string Session::result_json() {
  std::string s;
  append_result_json(s);
  return s;
}

}  // namespace mmi
