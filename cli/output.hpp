// Shared by batch and whatif: thread count and cleanup of a temporary output file on signals.
#pragma once

#include <string>

namespace mmi::cli {

// --threads, 0 meaning the machine's cores.
unsigned resolve_threads(unsigned flag);
// Registers the temporary file an interrupt (SIGINT, SIGTERM, SIGHUP) must remove; "" clears it.
void guard_temp_file(const std::string& path);

}  // namespace mmi::cli
