// `mmi batch`: flags → engine/batch; progress and the closing summary on stderr.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "engine/batch.hpp"
#include "engine/output_file.hpp"

namespace mmi::cli {

namespace {

// With several inputs, an error result names its file: `"file":"…"` first in a JSON line, the
// file before "line N" in a text row. Results that are not errors pass unchanged.
std::string mark_errors_with_file(std::string_view chunk, const std::string& file, bool text) {
  std::string quoted;
  append_json_string(quoted, file);
  std::string out;
  out.reserve(chunk.size() + 64);
  while (!chunk.empty()) {
    std::size_t end = chunk.find('\n');
    std::string_view row = chunk.substr(0, end == std::string_view::npos ? chunk.size() : end + 1);
    chunk.remove_prefix(row.size());
    if (text) {
      // "CASE\terror\t-\t-\t-\tline N: message": the file goes before "line N".
      std::size_t status = row.find("\terror\t"), at = row.find("\tline ");
      if (status != std::string_view::npos && at != std::string_view::npos && status < at) {
        out.append(row.substr(0, at + 1)).append(printable(file)).append(": ");
        out.append(row.substr(at + 1));
      } else {
        out.append(row);
      }
    } else if (row.starts_with("{") && row.find("\"status\":\"error\"") != std::string_view::npos) {
      out.append("{\"file\":").append(quoted).append(",").append(row.substr(1));
    } else {
      out.append(row);
    }
  }
  return out;
}

}  // namespace

int run_batch(const BatchArgs& args) {
  Assignments set;
  if (!parse_assignments(args.set, "--set", set)) return 2;
  BatchOptions options;
  if (!args.as_of.empty() && !(options.as_of = parse_date_flag(args.as_of, "--as-of"))) return 2;
  auto threads = resolve_threads(args.threads);
  if (!threads) return 2;
  options.threads = *threads;
  options.case_options.strict = args.strict;
  options.case_options.ignore_dates = args.ignore_dates;
  options.text = args.format == "text";

  if (!readable_file(args.policy, "policy")) return 2;
  std::vector<std::string> inputs;
  auto streams = open_case_inputs(args.cases, args.first_line, inputs);
  if (streams.empty()) return 2;
  const bool several = inputs.size() > 1;
  OutputFile out;
  if (!out.open(args.output)) {
    complain(out.error());
    return 2;
  }
  int code = 1;
  auto graph = compile_or_report(args.policy, set, code);
  if (!graph) return code;

  BatchSummary summary;
  std::uint64_t cases_read = 0;  // records the streams handed out: one result each
  const char* nothing_left = args.output == "-" ? "" : "; no output file was left";
  for (std::size_t k = 0; k < streams.size(); ++k) {
    const std::string& input = inputs[k];
    BatchProgress progress;
    BatchSummary part;
    {
      std::unique_ptr<ProgressBar> bar;
      if (args.progress && stderr_is_terminal())
        bar = std::make_unique<ProgressBar>(progress, streams[k]->total_bytes());
      auto write = [&](std::string_view chunk) {
        return several ? out.write(mark_errors_with_file(chunk, input, options.text))
                       : out.write(chunk);
      };
      part = run_batch(graph, *streams[k], options, write, &progress);
    }
    if (!part.start_error.empty()) {
      complain(part.start_error + "; use fewer --threads" + nothing_left);
      return 2;
    }
    if (part.write_failed) {
      complain("cannot write " + out.error() + nothing_left);
      return 2;
    }
    if (!part.read_error.empty()) {
      out.abort();
      complain(input + ": read failed after " + thousands(part.cases) +
               " cases: " + part.read_error + nothing_left);
      return 2;
    }
    summary.cases += part.cases;
    cases_read += streams[k]->records_read();
    for (int s = 0; s < 4; ++s) summary.by_status[s] += part.by_status[s];
    if (part.warned_cases && !summary.warned_cases)
      summary.first_warning = several ? input + " " + part.first_warning : part.first_warning;
    summary.warned_cases += part.warned_cases;
    summary.bytes_in += part.bytes_in;
    summary.bytes_out += part.bytes_out;
    summary.seconds += part.seconds;
  }
  std::uint64_t results_written = 0;
  for (auto count : summary.by_status) results_written += count;
  if (results_written != cases_read) {
    // Never a silent loss: a case read without its result fails the run.
    out.abort();
    complain(thousands(cases_read) + " cases read but " + thousands(results_written) +
             " results written (internal error)" + nothing_left);
    return 2;
  }
  if (!out.commit()) {
    complain("cannot write " + out.error() + nothing_left);
    return 2;
  }

  if (spdlog::get_level() < spdlog::level::err) {
    double secs = summary.seconds > 0 ? summary.seconds : 1e-9;
    std::string line =
        "mmi batch: " + thousands(cases_read) + " cases read, " + thousands(results_written) +
        " results written in " + fmt::format("{:.2f}", summary.seconds) + " s (" +
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
