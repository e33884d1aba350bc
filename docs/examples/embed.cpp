// Embedding mmi from C++ (engine/mmi.hpp): compile a policy once, then load and evaluate cases.
// Built and run by the tests (tests/embed.cmake):
//   mmi_embed_example policies/us-tx.yaml
#include <iostream>
#include <string>

#include "engine/mmi.hpp"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "policies/us-tx.yaml";

  // Compile once; the graph is immutable and may be shared by any number of threads.
  mmi::CompiledPolicy policy = mmi::compile_policy(path);
  if (!policy) {
    std::cerr << mmi::render_text(policy.diagnostics);
    return 1;
  }

  // One Session per thread: it holds the case being evaluated and the evaluator's scratch state.
  mmi::Session session(policy.graph);
  const mmi::CaseData& c = session.load_json(R"({
    "id": "C1",
    "as_of": "2026-03-01",
    "injury": {"date": "2024-01-15"},
    "benefits": {"income_start": "2024-01-23"}
  })");
  if (c.error) {
    std::cerr << "case error: " << c.error->message << " at " << c.error->at << "\n";
    return 1;
  }

  const mmi::Outcome& o = session.evaluate(c);
  const mmi::Graph& g = *policy.graph;
  std::cout << "policy: " << g.policy.policy_id << " " << g.policy.version << "\n";
  std::cout << "status: " << mmi::to_string(o.status) << "\n";
  std::cout << "mmi_date: " << mmi::value_to_string(o.mmi_date, g) << "\n";
  std::cout << "basis: "
            << (o.basis >= 0 ? g.policy.rules[static_cast<std::size_t>(o.basis)].id : "-") << "\n";
  std::cout << "coverage_cutoff: " << mmi::value_to_string(o.coverage_cutoff, g) << "\n";
  for (std::size_t r = 0; r < g.policy.rules.size(); ++r)
    std::cout << "rule " << g.policy.rules[r].id << ": " << mmi::to_string(o.rules[r]) << "\n";
  // The §8 result object, as `mmi eval --format json` prints it.
  std::cout << session.result_json() << "\n";
  return o.status == mmi::Status::error ? 1 : 0;
}
