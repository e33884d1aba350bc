// Helpers shared by the subcommands: output format, compiling with diagnostics on stderr,
// reading a case file.
#pragma once

#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "engine/mmi.hpp"

namespace mmi::cli {

// Compiles a policy; prints its diagnostics on stderr. Null on errors, with `exit_code` set to
// 2 when only the command line's --set values were wrong, else 1.
std::shared_ptr<const Graph> compile_or_report(const std::string& path, const Assignments& set,
                                               int& exit_code);
// Escapes text for HTML and XML (the report page, JUnit files); control bytes become spaces.
std::string markup_escape(const std::string& s);
// Prints one line "mmi: message" on stderr.
void complain(const std::string& message);
// True when `path` names a readable regular file; otherwise says why on stderr (exit code 2).
bool readable_file(const std::string& path, const char* what);
std::optional<DayNumber> parse_date_flag(const std::string& text, const char* flag);
// Loads one case file (YAML or JSON) into the session's CaseData, without CaseLoader::finish()
// (the caller applies --fact/--as-of first); errors land in session.case_data().error.
void load_case_file(Session& session, const std::string& path);

}  // namespace mmi::cli
