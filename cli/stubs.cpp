// Temporary: batch and whatif land with their own files.
#include "cli/common.hpp"
namespace mmi::cli {

int run_batch(const BatchArgs&) { complain("batch: not built yet"); return 2; }
int run_whatif(const WhatifArgs&) { complain("whatif: not built yet"); return 2; }
}  // namespace mmi::cli
