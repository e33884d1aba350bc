// Policy test suites (*.test.yaml, cli.md): load a suite, run each test's case through its
// policy, compare the expected fields, and count how often each rule fired / did not fire.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rules/diagnostics.hpp"

namespace mmi {

struct FieldMismatch {
  std::string field;     // "status", "outputs.impairment_weeks", "rules.certified"
  std::string expected;  // rendered
  std::string actual;
};

struct TestOutcome {
  std::string name;
  std::string file;
  std::uint32_t line = 0;
  bool passed = false;
  std::vector<FieldMismatch> mismatches;
  std::string error;  // the test could not run (bad case, bad expect, policy error)
  double seconds = 0;
};

struct RuleCoverage {
  std::string rule;
  std::size_t fired = 0, not_fired = 0, unknown = 0;
};

struct SuiteReport {
  std::string path;
  std::string policy_path;
  bool loaded = false;         // false: the suite itself or its policy failed to load
  DiagnosticList diagnostics;  // why it failed to load
  std::vector<TestOutcome> tests;
  std::vector<RuleCoverage> coverage;  // in rule order
  std::size_t passed() const;
  std::size_t failed() const;
};

SuiteReport run_suite(const std::string& path);

}  // namespace mmi
