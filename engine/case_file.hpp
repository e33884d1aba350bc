// One case file — JSON when the name ends in `.json`, else one YAML document — read into a
// Session's case. `mmi eval -c`, policy test suites and the editor's code lenses all read case
// files this way.
#pragma once

#include <optional>
#include <string>

#include "engine/mmi.hpp"
#include "rules/diagnostics.hpp"

namespace mmi {

// Why a case file gave no case at all: unreadable (E001, located at `referenced_from`) or not
// one YAML document (E403, located in the file). Errors in the case's values are not this: they
// are the case's own `error` (session.case_data().error), as for any other case.
struct CaseFileError {
  Code code;
  std::string message;
  std::string at;  // "file:line:col" or the path
};

std::optional<CaseFileError> load_case_file(Session& session, const std::string& path,
                                            const SourceLocation& referenced_from);

}  // namespace mmi
