// Helpers shared by the subcommands: output format, compiling with diagnostics on stderr,
// reading a case file, checked output, numeric flags, thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "engine/case_stream.hpp"
#include "engine/mmi.hpp"

namespace mmi::cli {

// Compiles a policy; prints its diagnostics on stderr. Null on errors, with `exit_code` set to
// 2 when only the command line's --set values were wrong, else 1.
// `extra_outputs`: command-line expressions (whatif --measure/--by) compiled as outputs.
std::shared_ptr<const Graph> compile_or_report(const std::string& path, const Assignments& set,
                                               int& exit_code,
                                               const std::vector<OutputDecl>& extra_outputs = {});
// Escapes text for HTML and XML (the report page, JUnit files); control bytes become spaces.
std::string markup_escape(const std::string& s);
// Prints one line "mmi: message" on stderr.
void complain(const std::string& message);
// Writes to stdout, checking every write; false (after saying why on stderr) when it failed,
// e.g. on a full disk or a closed pipe: the command then exits 2.
bool print(std::string_view text);
// A whole number flag within [min, max], digits only (no sign, no spaces, no wrap-around);
// otherwise nullopt, after a usage error on stderr naming the flag and the range (`complaint`).
std::optional<std::uint64_t> parse_count(const std::string& text, const char* flag,
                                         std::uint64_t min, std::uint64_t max,
                                         bool complaint = true);
// The most --threads accepts: 4 × the cores, at least 64.
unsigned max_threads();
// --threads ("" = one per core, capped at max_threads()); nullopt after a usage error.
std::optional<unsigned> resolve_threads(const std::string& flag);
// Installs handlers that remove every temporary output file (OutputFile) when a fatal signal
// that can be caught arrives, then die of that signal as before; SIGXFSZ (ulimit -f) is ignored
// so that the write fails with EFBIG and is cleaned up instead.
void remove_temporaries_on_signals();
// True when `path` names a readable regular file; otherwise says why on stderr (exit code 2).
bool readable_file(const std::string& path, const char* what);
// Why `path` cannot be read ("cannot read policy `x`: no such file"), nullopt when it can.
std::optional<std::string> why_unreadable(const std::string& path, const char* what);
// Case inputs of `batch`/`whatif`: files as given ("-" is stdin) and, for a directory, every
// *.jsonl, *.ndjson, *.yaml, *.yml and *.json directly inside it in name order (not recursive).
// nullopt after a usage error (a directory with no case files, a path that does not exist).
std::optional<std::vector<std::string>> expand_case_inputs(const std::vector<std::string>& inputs);
// Every case input of `batch`/`whatif` opened before anything is written (a missing third file
// fails the run up front), lines numbered from --first-line (one input only). `inputs` receives
// the expanded paths; empty after a usage error, already reported.
std::vector<std::unique_ptr<CaseStream>> open_case_inputs(const std::vector<std::string>& cases,
                                                          const std::string& first_line,
                                                          std::vector<std::string>& inputs);
std::optional<DayNumber> parse_date_flag(const std::string& text, const char* flag);
// Loads one case file (YAML or JSON) into the session's CaseData, without CaseLoader::finish()
// (the caller applies --fact/--as-of first); errors land in session.case_data().error.
void load_case_file(Session& session, const std::string& path);

}  // namespace mmi::cli
