// The self-contained HTML page of `mmi whatif --report`: inline data, inline script drawing SVG
// charts (no network), and the changed-cases tables.
#pragma once

#include <string>

namespace mmi::cli {

// impacts_json: the `mmi whatif --format json` output (an object, or a list for a sweep).
std::string render_report(const std::string& title, const std::string& subtitle,
                          const std::string& impacts_json, bool sweep);

}  // namespace mmi::cli
