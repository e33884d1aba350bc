// `mmi whatif --merge PARTIAL…`: partials of one analysis over parts of a book → the summary one
// run over the whole book prints, byte for byte.
#pragma once

#include "cli/commands.hpp"

namespace mmi::cli {

int run_whatif_merge(const WhatifArgs& args);

}  // namespace mmi::cli
