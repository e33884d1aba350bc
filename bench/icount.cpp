// Instructions per case for each stage — load (JSON → CaseData, checks included), evaluate, and
// the result JSON — on mmi_bench's cases, counted by callgrind (stable where timings are not):
//   bench/icount.sh            # runs this under valgrind and prints the table
// Outside valgrind it runs the same loops and prints nothing useful; the counts come from the
// per-stage dumps (CALLGRIND_DUMP_STATS_AT) that bench/icount.sh reads.
#include <valgrind/callgrind.h>

#include <cstdio>

#include "bench/cases.hpp"
#include "engine/mmi.hpp"

namespace {

constexpr int kRounds = 200;

int measure(const char* name, const std::string& policy_path, const std::string& text) {
  auto policy = mmi::compile_policy(policy_path);
  if (!policy) {
    std::fprintf(stderr, "%s: %s\n", policy_path.c_str(),
                 mmi::render_text(policy.diagnostics).c_str());
    return 1;
  }
  mmi::Session session(policy.graph);
  // Loaded as `mmi batch` loads a line: in place, from a buffer with kJsonPadding bytes after it
  // (an unpadded caller pays a copy of the line on top: ~1,000 instructions for the Texas case).
  std::string buffer = text + std::string(mmi::kJsonPadding, ' ');
  const std::string_view json(buffer.data(), text.size());
  std::string out;
  for (int warm = 0; warm < 20; ++warm) {  // capacities reached: what follows is steady state
    session.load_json(json, true);
    session.evaluate();
    out.clear();
    session.append_result_json(out);
  }
  if (session.case_data().error) {
    std::fprintf(stderr, "%s: %s\n", name, session.case_data().error->message.c_str());
    return 1;
  }
  std::string label = std::string(name) + " load";
  CALLGRIND_ZERO_STATS;
  for (int r = 0; r < kRounds; ++r) session.load_json(json, true);
  CALLGRIND_DUMP_STATS_AT(label.c_str());
  label = std::string(name) + " evaluate";
  for (int r = 0; r < kRounds; ++r) session.evaluate();
  CALLGRIND_DUMP_STATS_AT(label.c_str());
  label = std::string(name) + " result";
  for (int r = 0; r < kRounds; ++r) {
    out.clear();
    session.append_result_json(out);
  }
  CALLGRIND_DUMP_STATS_AT(label.c_str());
  std::printf("%s rounds %d bytes %zu warnings %zu result %s\n", name, kRounds, json.size(),
              session.case_data().warnings.size(), out.c_str());
  return 0;
}

}  // namespace

int main() {
  return measure("texas", mmi::bench::kTexasPolicy, mmi::bench::texas_case()) |
         measure("florida", mmi::bench::kFloridaPolicy, mmi::bench::florida_case());
}
