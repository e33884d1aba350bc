// `mmi lsp`: a Language Server Protocol 3.17 server for policy and suite files, over stdio.
#pragma once

#include <cstdio>

namespace mmi::lsp {

// Serves one client on `in_fd`/`out` until `exit` or end of input. Returns the process exit
// code: 0 after a `shutdown` request, 1 otherwise (LSP §exit).
int serve(int in_fd, std::FILE* out);

}  // namespace mmi::lsp
