// `mmi whatif --format json --partial`: the exact, mergeable state of a what-if run over part of
// a book (docs/cli.md, "Partials"), and reading it back for `mmi whatif --merge`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/whatif_output.hpp"

namespace mmi::cli {

// The `format` field: a reader refuses any other.
inline constexpr const char* kWhatifPartialFormat = "mmi-whatif-partial/1";

struct WhatifPartial {
  WhatifSummary summary;  // impacts' most_affected already trimmed to `top` and sorted
  std::string engine_version;
  std::string baseline_digest, variant_digest;  // the policies' sources (sha256:…)
  bool against = false;                         // the variant is another policy
  std::string as_of;                            // --as-of ("" without)
  bool ignore_dates = false;
  std::size_t top = 20;
  std::vector<std::string> inputs;  // the case inputs it read (for people; not compared)
};

std::string write_whatif_partial(const WhatifPartial& partial);
// nullopt with `error` set when the text is not a partial of this format.
std::optional<WhatifPartial> read_whatif_partial(std::string_view text, std::string& error);
// What two partials disagree on ("the measures"), nullopt when they ran the same analysis.
std::optional<std::string> whatif_partial_mismatch(const WhatifPartial& a, const WhatifPartial& b);

}  // namespace mmi::cli
