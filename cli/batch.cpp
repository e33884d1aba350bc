// `mmi batch`: flags → engine/batch; progress and the closing summary on stderr.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "engine/batch.hpp"
#include "engine/output_file.hpp"

namespace mmi::cli {

int run_batch(const BatchArgs& args) {
  Assignments set;
  if (!parse_assignments(args.set, "--set", set)) return 2;
  BatchOptions options;
  if (!args.as_of.empty() && !(options.as_of = parse_date_flag(args.as_of, "--as-of"))) return 2;
  auto threads = resolve_threads(args.threads);
  if (!threads) return 2;
  options.threads = *threads;
  // Line numbers stay exact in any JSON reader (a double holds integers up to 2^53).
  auto first_line = parse_count(args.first_line, "--first-line", 1, std::uint64_t{1} << 53);
  if (!first_line) return 2;
  options.case_options.strict = args.strict;
  options.case_options.ignore_dates = args.ignore_dates;
  options.text = args.format == "text";

  std::string error;
  CaseStreamOptions stream_options;
  stream_options.first_line = *first_line;
  if (!readable_file(args.policy, "policy")) return 2;
  auto stream = open_case_stream(args.cases, stream_options, error);
  if (!stream) {
    complain(args.cases + ": " + error);
    return 2;
  }
  OutputFile out;
  if (!out.open(args.output)) {
    complain(out.error());
    return 2;
  }
  int code = 1;
  auto graph = compile_or_report(args.policy, set, code);
  if (!graph) return code;

  BatchProgress progress;
  BatchSummary summary;
  {
    std::unique_ptr<ProgressBar> bar;
    if (args.progress && stderr_is_terminal())
      bar = std::make_unique<ProgressBar>(progress, stream->total_bytes());
    summary = run_batch(
        graph, *stream, options, [&](std::string_view chunk) { return out.write(chunk); },
        &progress);
  }
  const char* nothing_left = args.output == "-" ? "" : "; no output file was left";
  if (!summary.start_error.empty()) {
    complain(summary.start_error + "; use fewer --threads" + nothing_left);
    return 2;
  }
  if (summary.write_failed) {
    complain("cannot write " + out.error() + nothing_left);
    return 2;
  }
  if (!summary.read_error.empty()) {
    out.abort();
    complain(args.cases + ": read failed after " + thousands(summary.cases) +
             " cases: " + summary.read_error + nothing_left);
    return 2;
  }
  if (!out.commit()) {
    complain("cannot write " + out.error() + nothing_left);
    return 2;
  }

  if (spdlog::get_level() < spdlog::level::err) {
    double secs = summary.seconds > 0 ? summary.seconds : 1e-9;
    std::string line =
        "mmi batch: " + thousands(summary.cases) + " cases in " +
        fmt::format("{:.2f}", summary.seconds) + " s (" +
        thousands(static_cast<std::uint64_t>(static_cast<double>(summary.cases) / secs)) +
        " cases/s, " + fmt::format("{:.0f}", static_cast<double>(summary.bytes_in) / secs / 1e6) +
        " MB/s, " + std::to_string(options.threads) +
        (options.threads == 1 ? " thread" : " threads") + "):";
    const Status order[] = {Status::reached, Status::not_reached, Status::undetermined,
                            Status::error};
    for (std::size_t k = 0; k < 4; ++k)
      line += (k ? ", " : " ") + thousands(summary.by_status[static_cast<int>(order[k])]) + " " +
              to_string(order[k]);
    std::fprintf(stderr, "%s\n", line.c_str());
    if (summary.warned_cases)
      std::fprintf(stderr, "mmi batch: %s cases with unknown fields (first: %s)\n",
                   thousands(summary.warned_cases).c_str(), summary.first_warning.c_str());
  }
  return 0;
}

}  // namespace mmi::cli
