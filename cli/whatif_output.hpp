// The outputs of `mmi whatif`: one summary (what a run compared and its impacts) as text, JSON,
// CSV or the HTML page. A single run and `--merge` of partials print through these same
// functions, which is what makes their outputs equal byte for byte.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "engine/output_file.hpp"
#include "engine/whatif.hpp"

namespace mmi::cli {

// What the command line asked for, as the outputs name it.
struct WhatifLayout {
  std::vector<std::string> sweep_names;    // several: a grid, each value an object
  std::vector<Assignments> grid;           // per variant: its sweep values
  std::vector<std::string> measures;       // --measure names
  std::vector<std::string> measure_exprs;  // their expressions (checked when merging)
  std::vector<std::string> by;             // --by texts
  bool sweep() const { return !sweep_names.empty(); }
};

struct WhatifSummary {
  WhatifLayout layout;
  std::string baseline_name, variant_name;  // "POLICY_ID VERSION"
  Assignments set;                          // --set
  std::vector<Impact> impacts;              // one per variant, most_affected finished
  // The variant's description: "NAME with A=1, B=2" (its --set then its sweep values).
  std::string variant_text(std::size_t variant) const;
};

// "5 days" for a 1-D sweep, "a=1 b=2" for a grid point.
std::string grid_label(const Assignments& point);

// FORMAT: text, json, csv or html (the --report page).
std::string render_whatif(const WhatifSummary& summary, const std::string& format);

// `--csv FILE`: the header and one row per changed case (`with_file`: a `file` column).
std::string changed_csv_header(bool with_file);
void append_changed_csv(std::string& out, const std::string& value, const ChangedCase& c,
                        bool with_file);

// Opens -o (unless stdout) and --report before any work, so a bad path fails first; false after
// saying why.
bool open_whatif_outputs(const WhatifArgs& args, OutputFile& output, OutputFile& report);
// Writes `text` (the summary or a partial) to stdout or -o and the --report page, then commits
// -o, `also` (the --csv file, when open) and --report: nothing is renamed into place before
// everything is written. The exit code.
int emit_whatif(const WhatifSummary& summary, const std::string& text, const WhatifArgs& args,
                OutputFile& output, OutputFile& report, OutputFile* also = nullptr);

}  // namespace mmi::cli
