// libFuzzer target: bytes as a policy file. Loads the text (load_policy_text), then writes it into
// a scratch copy of the shipped modules (so `include: [std/facts.yaml]` resolves) and runs the
// whole front end: merge, parse, type-check, compile, and one evaluation of a fixed case. Every
// input must end in diagnostics or a result, never a crash, a hang or a sanitizer report.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/mmi.hpp"
#include "rules/diagnostics.hpp"
#include "rules/policy_ast.hpp"

namespace fs = std::filesystem;

namespace {

fs::path g_policy_path;

const char* kCase = R"({"id": "F-1", "as_of": "2026-03-01",
  "injury": {"date": "2024-01-15", "spinal_surgery_date": "2025-12-01"},
  "benefits": {"income_start": "2024-01-23", "mmi_extension_date": "2026-06-01"},
  "prognosis": {"expected_function": 85},
  "assessments": [{"date": "2025-10-01", "function": 70, "pain": 4},
                  {"date": "2025-12-01", "function": 72}, {"date": "2026-02-01", "function": 73}],
  "treatments": [{"date": "2025-03-01", "kind": "surgery", "status": "completed"}],
  "opinions": [{"date": "2025-06-01", "source": "treating", "mmi": true, "impairment": 12.5}]})";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A private scratch directory holding the shipped modules beside the fuzzed file.
  fs::path dir = fs::temp_directory_path() / ("mmi-policy-fuzz-" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::path src = fs::path(MMI_SOURCE_DIR) / "policies";
  for (const char* sub : {"std", "jurisdictions"})
    fs::copy(src / sub, dir / sub,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  g_policy_path = dir / "fuzz.yaml";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  {
    mmi::DiagnosticList diags;
    (void)mmi::load_policy_text("fuzz.yaml", text, diags);
    (void)mmi::render_text(diags, false);
  }
  {
    std::ofstream out(g_policy_path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  mmi::CompiledPolicy compiled = mmi::compile_policy(g_policy_path.string());
  (void)mmi::render_json(compiled.diagnostics);
  if (!compiled) return 0;
  mmi::Session session(compiled.graph);
  const mmi::CaseData& c = session.load_json(kCase);
  if (!c.error) {
    session.evaluate();
    (void)session.result_json();
  }
  return 0;
}
