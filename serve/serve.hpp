// `mmi serve`: the engine as an HTTP/1.1 service (Boost.Beast). See docs/serve.md.
#pragma once

#include <cstdint>
#include <string>

namespace mmi::serve {

struct ServeOptions {
  std::string policies;                   // directory, searched recursively
  std::string listen = "127.0.0.1:8080";  // HOST:PORT (port 0: any free port, printed)
  unsigned threads = 0;                   // 0: the cores
  std::uint64_t max_body = 1024 * 1024;   // /evaluate body, and one /batch line
  std::string token_file;                 // required to listen beyond loopback
  std::string decision_log;               // FILE; empty: no log
  std::uint64_t decision_log_max_bytes = 256ull * 1024 * 1024;
  unsigned decision_log_keep = 5;
  std::uint64_t decision_log_queue = 65536;
  bool decision_log_fsync = false;
  double header_timeout = 10;  // seconds to receive a request's header (and an /evaluate body)
  double idle_timeout = 60;    // seconds a keep-alive connection may wait, or a /batch read stall
  unsigned max_connections = 512;
};

// Runs until SIGTERM/SIGINT (drains in-flight requests, then returns 0). Start-up problems are
// printed on stderr: 2 for usage (bad flags, two files with one id), 1 for policies with errors.
int run_serve(const ServeOptions& options);

}  // namespace mmi::serve
