// Engine micro-benchmarks (Google Benchmark): evaluation of a loaded case (Texas; Florida with
// 10 benefit periods), load+evaluate from JSON,
// result rendering, policy compilation, expression parsing, and checking a 10,000-rule policy.
//   build/bench/mmi_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "bench/cases.hpp"
#include "engine/mmi.hpp"

namespace {

using mmi::bench::florida_case;
using mmi::bench::texas_case;
const std::string& kTexas = mmi::bench::kTexasPolicy;

std::shared_ptr<const mmi::Graph> texas() {
  static auto compiled = mmi::compile_policy(kTexas);
  return compiled.graph;
}

void BM_EvaluateLoadedCase(benchmark::State& state) {
  mmi::Session session(texas());
  session.load_json(texas_case());
  for (auto _ : state) benchmark::DoNotOptimize(session.evaluate().status);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateLoadedCase);

// Florida with 10 benefit periods: the interval built-ins (days paid, cap dates) dominate.
void BM_EvaluateFloridaPeriods(benchmark::State& state) {
  static auto florida = mmi::compile_policy(mmi::bench::kFloridaPolicy);
  mmi::Session session(florida.graph);
  session.load_json(florida_case());
  if (session.case_data().error) state.SkipWithError(session.case_data().error->message.c_str());
  for (auto _ : state) benchmark::DoNotOptimize(session.evaluate().status);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateFloridaPeriods);

void BM_LoadJsonAndEvaluate(benchmark::State& state) {
  mmi::Session session(texas());
  std::string json = texas_case();
  for (auto _ : state) {
    session.load_json(json);
    benchmark::DoNotOptimize(session.evaluate().status);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(json.size()));
}
BENCHMARK(BM_LoadJsonAndEvaluate);

void BM_LoadEvaluateAndWriteResult(benchmark::State& state) {
  mmi::Session session(texas());
  std::string json = texas_case();
  std::string out;
  for (auto _ : state) {
    session.load_json(json);
    session.evaluate();
    out.clear();
    session.append_result_json(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoadEvaluateAndWriteResult);

void BM_CompileTexas(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(mmi::compile_policy(kTexas).graph);
}
BENCHMARK(BM_CompileTexas)->Unit(benchmark::kMillisecond);

void BM_ParseExpression(benchmark::State& state) {
  const std::string text =
      "last(opinions where source == \"designated\" and date <= as_of) ?? "
      "last(opinions where source == \"treating\")";
  for (auto _ : state) {
    mmi::DiagnosticList diags;
    benchmark::DoNotOptimize(mmi::parse_expression_text(text, "bench", diags).ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseExpression);

// A generated policy of `rules` rules over 200 facts, as an actuary's largest might be.
std::string large_policy(int rules) {
  std::string dir = (std::filesystem::temp_directory_path() / "mmi-bench").string();
  std::filesystem::create_directories(dir);
  std::string path = fmt::format("{}/large-{}.yaml", dir, rules);
  if (std::filesystem::exists(path)) return path;
  std::ofstream out(path);
  out << "policy: large\nversion: \"1\"\ndefinition: max-potential\nfacts:\n  claim:\n";
  for (int f = 0; f < 200; ++f) out << fmt::format("    f{}: {}\n", f, f % 2 ? "number" : "date");
  out << "  items:\n    - date: date\n      score: number\nparameters:\n";
  for (int p = 0; p < 50; ++p) out << fmt::format("  p{}: {} days\n", p, p + 1);
  out << "let:\n";
  for (int l = 0; l < 1000; ++l)
    out << fmt::format("  l{}: claim.f{} + p{}\n", l, (l * 2) % 200, l % 50);
  out << "rules:\n";
  for (int r = 0; r < rules; ++r) {
    out << fmt::format(
        "  - id: r{}\n    when: as_of >= l{} and claim.f{} > {} and count(items where score > {}) "
        ">= 1\n"
        "    mmi_date: l{}\n    cites: Bench\n",
        r, r % 1000, (r * 2 + 1) % 200, r % 97, r % 50, r % 1000);
  }
  out << "decision:\n  hit: earliest\n  coverage_cutoff: mmi_date\n";
  return path;
}

void BM_CheckLargePolicy(benchmark::State& state) {
  std::string path = large_policy(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    mmi::DiagnosticList diags;
    auto checked = mmi::load_checked_policy(path, {}, diags);
    if (!checked) state.SkipWithError(mmi::render_text(diags).substr(0, 400).c_str());
    benchmark::DoNotOptimize(checked);
  }
}
BENCHMARK(BM_CheckLargePolicy)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
