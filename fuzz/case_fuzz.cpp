// libFuzzer target: bytes as a case, read both as JSON (simdjson, as `mmi batch` lines are) and as
// YAML (as `mmi eval -c case.yaml` reads it), against the compiled policies/us-tx.yaml and the
// list-heavy policies/examples/acme-tx-plateau.yaml. Every input must give a result or a case
// error, never a crash, a hang or a sanitizer report — and as JSON it must be read as a strict
// JSON parser reads it, or rejected (fuzz/case_oracle.hpp), and loaded the same by the one-pass
// reader of plain lines and by the full reader: a difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/mmi.hpp"
#include "fuzz/case_oracle.hpp"
#include "rules/yaml_util.hpp"

namespace {

std::vector<std::shared_ptr<const mmi::Graph>> g_graphs;

void evaluate(mmi::Session& session) {
  const mmi::CaseData& c = session.case_data();
  if (c.error) return;
  session.evaluate();
  (void)session.result_json();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* policy : {"policies/us-tx.yaml", "policies/examples/acme-tx-plateau.yaml"}) {
    auto compiled = mmi::compile_policy(std::string(MMI_SOURCE_DIR) + "/" + policy);
    if (!compiled) {
      std::fputs(mmi::render_text(compiled.diagnostics).c_str(), stderr);
      std::abort();
    }
    g_graphs.push_back(compiled.graph);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& graph : g_graphs) {
    mmi::Session session(graph);
    std::string difference =
        mmi_oracle::check_line(text, [&](std::string_view json) -> const mmi::CaseData& {
          return session.loader().load_json(json, session.case_data()), session.case_data();
        });
    if (!difference.empty()) {
      std::fprintf(stderr, "case_fuzz: %s\n", difference.c_str());
      std::abort();
    }
    session.load_json(text);
    // The one-pass reader of plain lines and the full reader must load a line the same way.
    mmi::CaseOptions full_only;
    full_only.fast_json = false;
    mmi::Session full(graph, full_only);
    full.load_json(text);
    if (!mmi::same_case(session.case_data(), full.case_data())) {
      std::fprintf(stderr, "case_fuzz: the one-pass JSON reader and the full reader differ\n");
      std::abort();
    }
    evaluate(session);

    mmi::DiagnosticList diags;
    auto source = std::make_shared<const mmi::SourceFile>("fuzz.yaml", text);
    mmi::YamlContext ctx(source, diags);
    if (auto root = ctx.parse()) {
      session.load_yaml(*root);
      evaluate(session);
    }
  }
  return 0;
}
