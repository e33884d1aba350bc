// The embedding API: compile a policy once, evaluate many cases from C++.
//
//   auto policy = mmi::compile_policy("policies/us-tx.yaml");
//   if (!policy) { std::cerr << mmi::render_text(policy.diagnostics); return 1; }
//   mmi::Session session(policy.graph);            // one per thread
//   const mmi::CaseData& c = session.load_json(R"({"id":"C1","as_of":"2026-03-01",...})");
//   const mmi::Outcome& o = session.evaluate(c);   // o.status, o.mmi_date, o.basis, …
//   std::string json = session.result_json();      // the §8 result object
//
// A compiled graph is immutable and may be shared by any number of threads; a Session holds one
// thread's scratch state and must not be shared.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/case.hpp"
#include "engine/evaluator.hpp"
#include "engine/graph.hpp"
#include "engine/result.hpp"
#include "rules/checked_policy.hpp"
#include "rules/diagnostics.hpp"

namespace mmi {

const char* engine_version();

struct CompileOptions {
  ParameterOverrides set;  // --set NAME=VALUE
  bool warnings = true;
  // Outputs added after the policy's own, type-checked like them (what-if's --measure and --by);
  // their expressions are usually ExprSource::detached command-line text.
  std::vector<OutputDecl> extra_outputs;
};

struct CompiledPolicy {
  std::shared_ptr<const Graph> graph;  // null when the policy has errors
  DiagnosticList diagnostics;
  explicit operator bool() const { return graph != nullptr; }
};

// Loads, merges, type-checks and compiles a policy file. Never throws for bad input.
CompiledPolicy compile_policy(const std::string& path, const CompileOptions& options = {});

class Session {
 public:
  explicit Session(std::shared_ptr<const Graph> graph, CaseOptions options = {});

  // Loads a case into the session's reusable CaseData; check case().error.
  // padded: kJsonPadding readable bytes follow `json` (saves a copy; see CaseLoader).
  CaseData& load_json(std::string_view json, bool padded = false);
  CaseData& load_yaml(const YAML::Node& node);
  CaseData& case_data() { return case_; }
  CaseLoader& loader() { return loader_; }

  const Outcome& evaluate(const EvalOptions& options = {});
  const Outcome& evaluate(const CaseData& c, const EvalOptions& options = {});
  Evaluator& evaluator() { return evaluator_; }
  // The result object of the last evaluation, `missing` included.
  std::string result_json();
  void append_result_json(std::string& out);
  // The same with an "explain" member (why each rule fired or not, and the decision).
  void append_result_json(std::string& out, bool explain);

 private:
  std::shared_ptr<const Graph> graph_;
  CaseLoader loader_;
  Evaluator evaluator_;
  CaseData case_;
  const CaseData* last_ = nullptr;
};

}  // namespace mmi
