// `mmi verify`: proves a policy's properties and built-in checks for every case its facts allow
// (within bounds), or produces a case that breaks them (docs/verify.md). Backed by Z3; the only
// part of mmi that depends on it.
#pragma once

#include <string>
#include <vector>

namespace mmi::verify {

struct VerifyOptions {
  std::vector<std::string> policies;
  std::string format = "text";  // text | json | sarif
  std::string counterexamples;  // directory to write counterexample cases to ("": none)
  int max_items = 3;
  double timeout_seconds = 10;
  std::string date_range = "1900-01-01..2199-12-31";
  std::string against;  // another policy: semantic diff
  bool suggest_tests = false;
};

// Runs the command; returns the exit code (0 all proved, 1 violated or unknown, 2 usage).
int run_verify(const VerifyOptions& options);

}  // namespace mmi::verify
