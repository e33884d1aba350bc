// `mmi whatif`: flags → engine/whatif over each case input → the summary (cli/whatif_output),
// or with --partial its mergeable state (cli/whatif_partial); --merge goes to cli/whatif_merge.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "cli/whatif_merge.hpp"
#include "cli/whatif_output.hpp"
#include "cli/whatif_partial.hpp"
#include "engine/output_file.hpp"
#include "engine/whatif.hpp"

namespace mmi::cli {

namespace {

std::vector<std::string> split_values(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = s.find(',', start);
    std::string v = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto b = v.find_first_not_of(' '), e = v.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? std::string() : v.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

constexpr std::size_t kMaxVariants = 1000;
constexpr std::size_t kMaxBy = 3;

// --sweep flags → layout.sweep_names and layout.grid (the cartesian product of their values, the
// last one varying fastest); false after a usage error.
bool parse_grid(const WhatifArgs& args, WhatifLayout& layout) {
  std::vector<std::vector<std::string>> sweep_values;
  for (const std::string& sweep : args.sweep) {
    auto eq = sweep.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == sweep.size()) {
      complain("--sweep takes NAME=V1,V2,…, not `" + sweep + "`");
      return false;
    }
    layout.sweep_names.push_back(sweep.substr(0, eq));
    sweep_values.push_back(split_values(sweep.substr(eq + 1)));
    for (const auto& v : sweep_values.back())
      if (v.empty()) {
        complain("--sweep has an empty value in `" + sweep + "`");
        return false;
      }
  }
  std::size_t grid_size = sweep_values.empty() ? 0 : 1;
  for (const auto& values : sweep_values) {
    grid_size *= values.size();
    if (grid_size > kMaxVariants) {
      complain(fmt::format("the --sweep grid has more than {} variants; sweep fewer values",
                           kMaxVariants));
      return false;
    }
  }
  for (std::size_t k = 0; k < grid_size; ++k) {
    Assignments point(sweep_values.size());
    for (std::size_t j = sweep_values.size(), rest = k; j-- > 0;) {
      point[j] = {layout.sweep_names[j], sweep_values[j][rest % sweep_values[j].size()]};
      rest /= sweep_values[j].size();
    }
    layout.grid.push_back(std::move(point));
  }
  return true;
}

// The case inputs, opened before anything is compiled or written; empty after a usage error.
bool valid_measure_name(const std::string& name) {
  if (name.empty() || !(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

// --measure NAME=EXPR and --by EXPR become outputs checked with the policy; their diagnostics
// point into the command-line text (`--measure NAME:1:COL`).
bool parse_measures(const WhatifArgs& args, WhatifLayout& layout, std::vector<OutputDecl>& extra) {
  for (const std::string& m : args.measure) {
    auto eq = m.find('=');
    std::string name = eq == std::string::npos ? m : m.substr(0, eq);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (eq == std::string::npos || !valid_measure_name(name) ||
        m.find_first_not_of(' ', eq + 1) == std::string::npos) {
      complain("--measure takes NAME=EXPR with NAME like [a-z_][a-z0-9_]*, not `" + m + "`");
      return false;
    }
    if (std::find(layout.measures.begin(), layout.measures.end(), name) != layout.measures.end()) {
      complain("--measure `" + name + "` is given twice");
      return false;
    }
    layout.measures.push_back(name);
    layout.measure_exprs.push_back(m.substr(m.find_first_not_of(' ', eq + 1)));
    OutputDecl o;
    o.name = "--measure " + name;
    // Blanks in place of `NAME=`: columns count in the whole argument.
    o.expr = ExprSource::detached(std::string(eq + 1, ' ') + m.substr(eq + 1), o.name);
    o.at = o.expr.location();
    extra.push_back(std::move(o));
  }
  if (args.by.size() > kMaxBy) {
    complain(fmt::format("at most {} --by expressions", kMaxBy));
    return false;
  }
  for (const std::string& b : args.by) {
    if (std::find(layout.by.begin(), layout.by.end(), b) != layout.by.end()) {
      complain("--by `" + b + "` is given twice");
      return false;
    }
    layout.by.push_back(b);
    OutputDecl o;
    o.name = "--by";
    o.expr = ExprSource::detached(b, "--by " + b);
    o.at = o.expr.location();
    extra.push_back(std::move(o));
  }
  return true;
}

// Measures are numbers or durations, --by values scalars: located errors, before any case.
bool check_measure_types(const Graph& graph, const WhatifLayout& layout) {
  const CheckedPolicy& p = graph.policy;
  std::size_t first = p.outputs.size() - layout.measures.size() - layout.by.size();
  DiagnosticList diags;
  for (std::size_t j = 0; j < layout.measures.size() + layout.by.size(); ++j) {
    const CheckedExpr& e = p.outputs[first + j].expr;
    const TypeDesc& t = p.types[e.type_id];
    bool measure = j < layout.measures.size();
    bool ok = measure ? !t.list && (t.tag == TypeTag::number || t.tag == TypeTag::duration ||
                                    t.tag == TypeTag::any)
                      : !t.list && t.tag != TypeTag::record && t.tag != TypeTag::error;
    if (ok) continue;
    diags.error(Code::E205,
                fmt::format("{} is {}; {}", measure ? "a measure" : "a --by expression",
                            p.type_name(e.type_id),
                            measure ? "a measure is a number or a duration"
                                    : "segments need a single value (text, number, date, …)"),
                e.source.location());
  }
  if (!diags.has_errors()) return true;
  std::fputs(render_text(diags, stderr_is_terminal()).c_str(), stderr);
  return false;
}

}  // namespace

int run_whatif(const WhatifArgs& args) {
  if (!args.merge.empty()) return run_whatif_merge(args);
  if (args.policy.empty() || args.cases.empty()) {
    complain(args.policy.empty() ? "whatif needs a baseline policy: -p POLICY (or --merge PARTIAL…)"
                                 : "whatif needs cases: a file, a directory or - (stdin)");
    return 2;
  }
  if (args.partial && !args.format.empty() && args.format != "json") {
    complain("--partial writes JSON; use it with --format json");
    return 2;
  }
  Assignments set;
  if (!parse_assignments(args.set, "--set", set)) return 2;
  WhatifLayout layout;
  if (!parse_grid(args, layout)) return 2;
  std::vector<OutputDecl> extra_outputs;
  if (!parse_measures(args, layout, extra_outputs)) return 2;
  const bool sweep = layout.sweep();
  if (set.empty() && args.against.empty() && !sweep) {
    complain("whatif needs a variant: --set NAME=VALUE, --against POLICY or --sweep NAME=V1,V2,…");
    return 2;
  }
  WhatifOptions options;
  if (!args.as_of.empty() && !(options.as_of = parse_date_flag(args.as_of, "--as-of"))) return 2;
  auto threads = resolve_threads(args.threads);
  if (!threads) return 2;
  options.threads = *threads;
  options.case_options.ignore_dates = args.ignore_dates;
  auto top = parse_count(args.top.empty() ? "20" : args.top, "--top", 0, std::uint64_t{1} << 53);
  if (!top) return 2;
  options.top = static_cast<std::size_t>(*top);
  options.measures = layout.measures.size();
  options.by = layout.by.size();

  std::vector<std::string> inputs;
  auto streams = open_case_inputs(args.cases, args.first_line, inputs);
  if (streams.empty()) return 2;
  const bool several = inputs.size() > 1;
  if (!readable_file(args.policy, "policy") ||
      (!args.against.empty() && !readable_file(args.against, "policy")))
    return 2;
  OutputFile csv, output, report;
  if (!args.csv.empty() && !csv.open(args.csv)) {
    complain(csv.error());
    return 2;
  }
  if (!open_whatif_outputs(args, output, report)) return 2;

  int code = 1;
  auto baseline = compile_or_report(args.policy, {}, code, extra_outputs);
  if (!baseline) return code;
  if (!check_measure_types(*baseline, layout)) return 2;
  const std::string variant_path = args.against.empty() ? args.policy : args.against;
  std::vector<WhatifVariant> variants;
  for (std::size_t k = 0; k < std::max<std::size_t>(1, layout.grid.size()); ++k) {
    Assignments vs = set;
    if (sweep) vs.insert(vs.end(), layout.grid[k].begin(), layout.grid[k].end());
    auto g = compile_or_report(variant_path, vs, code, extra_outputs);
    if (!g) return code;
    if (k == 0 && !args.against.empty() && !check_measure_types(*g, layout)) return 2;
    variants.push_back(
        {sweep ? grid_label(layout.grid[k]) : std::string(), g, args.against.empty() ? 0 : 1});
  }

  std::string csv_buffer;
  bool csv_ok = true;
  ChangedSink sink;
  if (!args.csv.empty()) {
    csv_buffer = changed_csv_header(several);
    sink = [&](const ChangedCase& c, std::size_t v) {
      append_changed_csv(csv_buffer, variants[v].value, c, several);
      if (csv_buffer.size() > (1 << 20)) {
        csv_ok = csv.write(csv_buffer);
        csv_buffer.clear();
      }
      return csv_ok;
    };
  }
  WhatifSummary summary;
  double seconds = 0;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    BatchProgress progress;
    WhatifResult result;
    options.input_name = several ? inputs[i] : std::string();
    {
      std::unique_ptr<ProgressBar> bar;
      if (args.progress && stderr_is_terminal())
        bar = std::make_unique<ProgressBar>(progress, streams[i]->total_bytes());
      result = run_whatif(baseline, variants, *streams[i], options, sink, &progress);
    }
    if (!result.start_error.empty()) {
      complain(result.start_error + "; use fewer --threads");
      return 2;
    }
    if (!result.read_error.empty()) {
      complain(inputs[i] + ": read failed: " + result.read_error);
      return 2;
    }
    if (i == 0)
      summary.impacts = std::move(result.impacts);
    else
      for (std::size_t k = 0; k < variants.size(); ++k)
        summary.impacts[k].add(std::move(result.impacts[k]), options.top);
    seconds += result.seconds;
  }
  for (Impact& im : summary.impacts) im.finish_most_affected(options.top);
  // Everything is written before anything is committed: a failure leaves no file changed.
  if (!args.csv.empty() && (!csv_ok || !csv.write(csv_buffer))) {
    complain("cannot write " + csv.error());
    return 2;
  }
  summary.layout = layout;
  summary.baseline_name = baseline->policy.policy_id + " " + baseline->policy.version;
  summary.variant_name =
      variants[0].graph->policy.policy_id + " " + variants[0].graph->policy.version;
  summary.set = set;
  std::string text;
  if (args.partial) {
    WhatifPartial partial;
    partial.summary = summary;
    partial.engine_version = engine_version();
    partial.baseline_digest = baseline->policy.digest;
    partial.variant_digest = variants[0].graph->policy.digest;
    partial.against = !args.against.empty();
    partial.as_of = args.as_of;
    partial.ignore_dates = args.ignore_dates;
    partial.top = options.top;
    partial.inputs = inputs;
    text = write_whatif_partial(partial);
  } else {
    text = render_whatif(summary, args.format.empty() ? "text" : args.format);
  }
  if (int rc = emit_whatif(summary, text, args, output, report, &csv)) return rc;
  if (spdlog::get_level() < spdlog::level::err) {
    std::uint64_t cases = summary.impacts.empty() ? 0 : summary.impacts[0].cases;
    double secs = seconds > 0 ? seconds : 1e-9;
    std::fprintf(
        stderr, "mmi whatif: %s cases × %zu variant%s in %.2f s (%s cases/s, %u thread%s)\n",
        thousands(cases).c_str(), variants.size(), variants.size() == 1 ? "" : "s", seconds,
        thousands(static_cast<std::uint64_t>(static_cast<double>(cases) / secs)).c_str(),
        options.threads, options.threads == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace mmi::cli
