#include <cstdio>

#include "cli/common.hpp"

namespace mmi::cli {

int run_check(const CheckArgs& args) {
  Format format = output_format(args.format);
  // For people, an unreadable file is one line on stderr. For programs (json, sarif) it is also an
  // E001 diagnostic in the document on stdout, beside the other files' — still exit 2.
  bool machine = format == Format::json || format == Format::sarif;
  DiagnosticList all;
  bool unreadable = false;
  for (const auto& path : args.policies) {
    auto why = why_unreadable(path, "policy");
    if (!why) continue;
    complain(*why);
    if (!machine) return 2;
    unreadable = true;
    all.error(Code::E001, *why, SourceLocation{nullptr, path});
  }
  std::vector<std::pair<std::string, bool>> verdicts;
  for (const auto& path : args.policies) {
    if (unreadable && why_unreadable(path, "policy")) continue;
    DiagnosticList diags;
    auto merged = load_and_merge(path, diags);
    if (merged) check_policy(*merged, CheckOptions{}, diags);
    diags.sort();
    bool ok = !diags.has_errors() && !(args.werror && diags.warning_count() > 0);
    verdicts.emplace_back(path, ok);
    all.append(diags);
  }
  bool failed = all.has_errors() || (args.werror && all.warning_count() > 0);
  std::string out;
  if (format == Format::json) {
    out = render_json(all);
  } else if (format == Format::sarif) {
    out = render_sarif(all, engine_version());
  } else {
    out = render_text(all, color_for(1));
    for (const auto& [path, ok] : verdicts)
      if (ok) out += path + ": ok\n";
    out += std::to_string(all.error_count()) + " error" + (all.error_count() == 1 ? "" : "s") +
           ", " + std::to_string(all.warning_count()) + " warning" +
           (all.warning_count() == 1 ? "" : "s") + "\n";
  }
  if (!print(out)) return 2;
  return unreadable ? 2 : failed ? 1 : 0;
}

}  // namespace mmi::cli
