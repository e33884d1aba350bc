// `mmi whatif --merge`: reads the partials (cli/whatif_partial), checks they ran one analysis,
// adds them up (Impact::add, the same as a run adds its chunks) and prints the summary.
#include "cli/whatif_merge.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/common.hpp"
#include "cli/whatif_output.hpp"
#include "cli/whatif_partial.hpp"

namespace mmi::cli {

namespace {

// The flags that choose the analysis: the partials fixed it when they ran.
std::optional<std::string> analysis_flag(const WhatifArgs& args) {
  if (!args.policy.empty()) return "policy (-p)";
  if (!args.cases.empty()) return "cases (`" + args.cases[0] + "`)";
  if (!args.set.empty()) return "--set";
  if (!args.against.empty()) return "--against";
  if (!args.sweep.empty()) return "--sweep";
  if (!args.measure.empty()) return "--measure";
  if (!args.by.empty()) return "--by";
  if (!args.top.empty()) return "--top";
  if (!args.as_of.empty()) return "--as-of";
  if (args.ignore_dates) return "--ignore-dates";
  if (!args.csv.empty()) return "--csv";
  if (args.first_line != "1") return "--first-line";
  return std::nullopt;
}

}  // namespace

int run_whatif_merge(const WhatifArgs& args) {
  if (auto flag = analysis_flag(args)) {
    complain("--merge takes no " + *flag +
             ": the partials' own runs chose the policy, the cases and the analysis");
    return 2;
  }
  if (args.partial && !args.format.empty() && args.format != "json") {
    complain("--partial writes JSON; use it with --format json");
    return 2;
  }
  std::vector<WhatifPartial> partials;
  for (const std::string& path : args.merge) {
    if (std::count(args.merge.begin(), args.merge.end(), path) > 1) {
      complain("--merge is given " + path + " twice; its cases would count twice");
      return 2;
    }
    if (!readable_file(path, "partial")) return 2;
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    auto p = read_whatif_partial(text.str(), error);
    if (!p) {
      complain(path + ": " + error);
      return 2;
    }
    if (!partials.empty())
      if (auto what = whatif_partial_mismatch(partials[0], *p)) {
        complain(path + " and " + args.merge[0] + " disagree on " + *what +
                 "; merge only partials of one analysis");
        return 2;
      }
    partials.push_back(std::move(*p));
  }
  OutputFile output, report;
  if (!open_whatif_outputs(args, output, report)) return 2;
  WhatifPartial& merged = partials[0];
  std::vector<Impact>& impacts = merged.summary.impacts;
  for (std::size_t i = 1; i < partials.size(); ++i) {
    for (std::size_t k = 0; k < impacts.size(); ++k)
      impacts[k].add(std::move(partials[i].summary.impacts[k]), merged.top);
    merged.inputs.insert(merged.inputs.end(), partials[i].inputs.begin(), partials[i].inputs.end());
  }
  for (Impact& im : impacts) im.finish_most_affected(merged.top);
  std::string text =
      args.partial ? write_whatif_partial(merged)
                   : render_whatif(merged.summary, args.format.empty() ? "text" : args.format);
  return emit_whatif(merged.summary, text, args, output, report);
}

}  // namespace mmi::cli
