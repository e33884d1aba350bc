#include <fmt/format.h>

#include <cstdio>

#include "cli/common.hpp"
#include "engine/output_file.hpp"
#include "engine/suite.hpp"

namespace mmi::cli {

namespace {

std::string failure_text(const TestOutcome& t) {
  std::string s;
  if (!t.error.empty()) s += t.error + "\n";
  for (const auto& m : t.mismatches)
    s += fmt::format("{}: expected {}, got {}\n", m.field, m.expected, m.actual);
  return s;
}

std::string junit_xml(const std::vector<SuiteReport>& reports) {
  std::size_t tests = 0, failures = 0, errors = 0;
  double seconds = 0;
  for (const auto& r : reports) {
    tests += r.tests.size();
    for (const auto& t : r.tests) {
      seconds += t.seconds;
      if (!t.passed) (t.error.empty() ? failures : errors)++;
    }
    if (!r.loaded) ++errors;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format(
      "<testsuites name=\"mmi\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.6f}\">\n",
      tests, failures, errors, seconds);
  for (const auto& r : reports) {
    std::size_t f = 0, e = 0;
    double time = 0;
    for (const auto& t : r.tests) {
      time += t.seconds;
      if (!t.passed) (t.error.empty() ? f : e)++;
    }
    x += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.6f}\">\n",
        markup_escape(r.path), r.tests.size() + (r.loaded ? 0 : 1), f, e + (r.loaded ? 0 : 1),
        time);
    if (!r.loaded) {
      x += fmt::format("    <testcase name=\"load\" classname=\"{}\" file=\"{}\">\n",
                       markup_escape(r.path), markup_escape(r.path));
      x += fmt::format("      <error message=\"the suite does not load\">{}</error>\n",
                       markup_escape(render_text(r.diagnostics)));
      x += "    </testcase>\n";
    }
    for (const auto& t : r.tests) {
      x += fmt::format(
          "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.6f}\"",
          markup_escape(t.name), markup_escape(r.path), markup_escape(t.file), t.line, t.seconds);
      if (t.passed) {
        x += "/>\n";
        continue;
      }
      x += ">\n";
      std::string body = fmt::format("{}:{}\n{}", t.file, t.line, failure_text(t));
      const char* tag = t.error.empty() ? "failure" : "error";
      std::string message =
          t.error.empty() ? fmt::format("{} field(s) differ", t.mismatches.size()) : t.error;
      x += fmt::format("      <{} message=\"{}\">{}</{}>\n", tag, markup_escape(message),
                       markup_escape(body), tag);
      x += "    </testcase>\n";
    }
    x += "  </testsuite>\n";
  }
  x += "</testsuites>\n";
  return x;
}

}  // namespace

int run_test(const TestArgs& args) {
  Format format = output_format(args.format);
  const bool coverage = args.coverage || args.fail_uncovered;
  for (const auto& path : args.suites)
    if (!readable_file(path, "test suite")) return 2;
  OutputFile junit;  // opened first: a --junit that cannot be written fails before the tests run
  if (!args.junit.empty() && !junit.open(args.junit)) {
    complain("cannot write " + junit.error());
    return 2;
  }
  std::vector<SuiteReport> reports;
  for (const auto& path : args.suites) reports.push_back(run_suite(path));
  std::size_t passed = 0, failed = 0, uncovered = 0;
  for (const auto& r : reports) {
    passed += r.passed();
    failed += r.failed();
    for (const auto& c : r.coverage) uncovered += c.fired == 0 || c.not_fired == 0;
  }
  std::string out;
  if (format == Format::json) {
    out = "{\"suites\":[";
    for (std::size_t s = 0; s < reports.size(); ++s) {
      const auto& r = reports[s];
      if (s) out += ',';
      out += "{\"path\":";
      append_json_string(out, r.path);
      out += fmt::format(",\"loaded\":{},\"passed\":{},\"failed\":{}", r.loaded ? "true" : "false",
                         r.passed(), r.failed());
      if (!r.loaded) {
        out += ",\"error\":";
        append_json_string(out, render_text(r.diagnostics));
      }
      out += ",\"tests\":[";
      for (std::size_t k = 0; k < r.tests.size(); ++k) {
        const auto& t = r.tests[k];
        if (k) out += ',';
        out += "{\"name\":";
        append_json_string(out, t.name);
        out += fmt::format(",\"line\":{},\"passed\":{}", t.line, t.passed ? "true" : "false");
        if (!t.error.empty()) {
          out += ",\"error\":";
          append_json_string(out, t.error);
        }
        out += ",\"mismatches\":[";
        for (std::size_t m = 0; m < t.mismatches.size(); ++m) {
          if (m) out += ',';
          out += "{\"field\":";
          append_json_string(out, t.mismatches[m].field);
          out += ",\"expected\":";
          append_json_string(out, t.mismatches[m].expected);
          out += ",\"actual\":";
          append_json_string(out, t.mismatches[m].actual);
          out += '}';
        }
        out += "]}";
      }
      out += "]";
      if (coverage) {
        out += ",\"coverage\":[";
        for (std::size_t k = 0; k < r.coverage.size(); ++k) {
          const auto& c = r.coverage[k];
          if (k) out += ',';
          out += "{\"rule\":";
          append_json_string(out, c.rule);
          out += fmt::format(",\"fired\":{},\"not_fired\":{},\"unknown\":{},\"covered\":{}}}",
                             c.fired, c.not_fired, c.unknown,
                             c.fired > 0 && c.not_fired > 0 ? "true" : "false");
        }
        out += "]";
      }
      out += "}";
    }
    out += fmt::format("],\"passed\":{},\"failed\":{}", passed, failed);
    if (coverage) out += fmt::format(",\"uncovered_rules\":{}", uncovered);
    out += "}\n";
  } else {
    for (const auto& r : reports) {
      if (!r.loaded) {
        out += fmt::format("FAIL {}: the suite does not load\n", r.path);
        out += render_text(r.diagnostics);
        continue;
      }
      out += fmt::format("{} ({} tests, policy {})\n", r.path, r.tests.size(), r.policy_path);
      for (const auto& t : r.tests) {
        if (t.passed) continue;
        out += fmt::format("  FAIL {} ({}:{})\n", t.name, t.file, t.line);
        if (!t.error.empty()) out += "    " + t.error + "\n";
        for (const auto& m : t.mismatches)
          out += fmt::format("    {:<24} expected {}\n    {:<24} actual   {}\n", m.field,
                             m.expected, "", m.actual);
      }
      if (coverage) {
        out += "  coverage (tests in which each rule fired / did not fire / was unknown):\n";
        for (const auto& c : r.coverage) {
          std::string flag;
          if (c.fired == 0)
            flag = "  <- never fired";
          else if (c.not_fired == 0)
            flag = "  <- never not-fired";
          out += fmt::format("    {:<24} fired {:>3}  not fired {:>3}  unknown {:>3}{}\n", c.rule,
                             c.fired, c.not_fired, c.unknown, flag);
        }
      }
    }
    out += fmt::format("{} passed, {} failed\n", passed, failed);
    if (args.fail_uncovered && uncovered > 0)
      out += fmt::format("{} rule{} not exercised both ways (--fail-uncovered)\n", uncovered,
                         uncovered == 1 ? "" : "s");
  }
  if (!args.junit.empty() && !junit.write(junit_xml(reports))) {
    complain("cannot write " + junit.error());
    return 2;
  }
  if (!print(out)) return 2;
  if (!args.junit.empty() && !junit.commit()) {
    complain("cannot write " + junit.error());
    return 2;
  }
  // --fail-uncovered: a rule never fired or never not-fired fails the run like a failed test.
  return failed > 0 || (args.fail_uncovered && uncovered > 0) ? 1 : 0;
}

}  // namespace mmi::cli
