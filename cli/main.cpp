// `mmi`: argument parsing only (CLI11 lives in this one translation unit); the commands are in
// the other files of cli/ and the work in engine/ and rules/.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "engine/mmi.hpp"
#include "serve/serve.hpp"

namespace {

// After a command: flushes and closes stdout, so that an error the system reports only then (a
// full disk behind a buffer, an NFS close) still makes the run fail.
int finish(int code) {
  errno = 0;
  std::cout.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
    mmi::cli::complain(std::string("cannot write stdout") +
                       (errno ? std::string(": ") + std::strerror(errno) : std::string()));
    return 2;
  }
  if (::close(STDOUT_FILENO) != 0 && errno != EBADF && errno != EINTR) {
    mmi::cli::complain(std::string("cannot write stdout: ") + std::strerror(errno));
    return 2;
  }
  return code;
}

// --help and --version, through the checked stdout.
int print_help(CLI::App& app, const CLI::Error& e) {
  std::ostringstream text;
  int code = app.exit(e, text);
  return mmi::cli::print(text.str()) ? finish(code) : 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mmi::cli;
  CLI::App app{"mmi — Maximum Medical Improvement rules engine", "mmi"};
  app.set_version_flag("--version", std::string("mmi ") + mmi::engine_version());
  app.require_subcommand(1);
  int verbosity = 0;
  app.add_flag("-v,--verbose", verbosity, "More log output (repeatable)");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr");

  auto add_log_flags = [&](CLI::App* sub) {
    sub->add_flag("-v,--verbose", verbosity, "More log output (repeatable)");
    sub->add_flag("-q,--quiet", quiet, "Only errors on stderr");
  };

  CheckArgs check;
  auto* c = app.add_subcommand("check", "Load, merge, parse and type-check policies");
  c->add_option("POLICY", check.policies, "Policy files")->required();
  c->add_option("--format", check.format, "text | json | sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  c->add_flag("--werror", check.werror, "Treat warnings as errors");
  add_log_flags(c);

  EvalArgs eval;
  auto* e = app.add_subcommand("eval", "Evaluate one case");
  e->add_option("-p,--policy", eval.policy, "Policy file")->required();
  e->add_option("-c,--case", eval.case_path, "Case file (YAML or JSON)")->required();
  e->add_option("--as-of", eval.as_of, "Evaluation date, overriding the case's as_of");
  e->add_option("--set", eval.set, "Override a parameter: NAME=VALUE (repeatable)");
  e->add_option("--fact", eval.facts, "Override a fact: PATH=VALUE (repeatable)");
  e->add_flag("--explain", eval.explain, "Show why each rule fired, did not, or is unknown");
  e->add_flag("--strict", eval.strict, "Unknown case fields are errors");
  e->add_flag("--ignore-dates", eval.ignore_dates, "Ignore the policy's effective/expires dates");
  e->add_option("--format", eval.format, "text | json")->check(CLI::IsMember({"text", "json"}));
  add_log_flags(e);

  GraphArgs graph;
  auto* g = app.add_subcommand("graph", "Print the compiled rule graph");
  g->add_option("-p,--policy", graph.policy, "Policy file")->required();
  g->add_option("--format", graph.format, "dot | json")->check(CLI::IsMember({"dot", "json"}));
  add_log_flags(g);

  TestArgs test;
  auto* t = app.add_subcommand("test", "Run policy test suites");
  t->add_option("SUITE", test.suites, "Test suite files (*.test.yaml)")->required();
  t->add_option("--junit", test.junit, "Write JUnit XML here");
  t->add_flag("--coverage", test.coverage, "Report how often each rule fired / did not fire");
  t->add_option("--format", test.format, "text | json")->check(CLI::IsMember({"text", "json"}));
  add_log_flags(t);

  BatchArgs batch;
  auto* b = app.add_subcommand("batch", "Evaluate many cases (JSON Lines or a YAML stream)");
  b->add_option("-p,--policy", batch.policy, "Policy file")->required();
  b->add_option("CASES", batch.cases, "Cases file (.jsonl, .yaml); - for stdin")->required();
  b->add_option("-o,--output", batch.output, "Write results here (atomically) instead of stdout");
  b->add_option("--threads", batch.threads,
                "Worker threads (default: the cores; at most 4 × the cores, at least 64)");
  b->add_option("--set", batch.set, "Override a parameter: NAME=VALUE (repeatable)");
  b->add_option("--as-of", batch.as_of, "Evaluation date for every case");
  b->add_flag("--strict", batch.strict, "Unknown case fields are errors");
  b->add_flag("--ignore-dates", batch.ignore_dates,
              "Evaluate cases outside the policy's effective/expires dates");
  b->add_flag("!--no-progress", batch.progress, "No progress bar");
  b->add_option("--first-line", batch.first_line,
                "Number of the input's first line, for error results of a shard (1 to 2^53)");
  b->add_option("--format", batch.format, "json (results are JSON Lines)")
      ->check(CLI::IsMember({"json", "text"}));
  add_log_flags(b);

  WhatifArgs whatif;
  auto* w = app.add_subcommand("whatif", "Compare a baseline with a variant over the same cases");
  w->add_option("-p,--policy", whatif.policy, "Baseline policy file")->required();
  w->add_option("CASES", whatif.cases, "Cases file (.jsonl, .yaml)")->required();
  w->add_option("--set", whatif.set, "Variant parameter: NAME=VALUE (repeatable)");
  w->add_option("--against", whatif.against, "Variant policy file");
  w->add_option("--sweep", whatif.sweep, "NAME=V1,V2,…: one variant per value (several: a grid)");
  w->add_option("--measure", whatif.measure, "NAME=EXPR: a number or duration to total per case");
  w->add_option("--by", whatif.by, "EXPR: segment every figure by its value (up to 3)");
  w->add_option("--report", whatif.report, "Write a self-contained HTML report here");
  w->add_option("--csv", whatif.csv, "Write the changed cases as CSV here");
  w->add_option("--threads", whatif.threads,
                "Worker threads (default: the cores; at most 4 × the cores, at least 64)");
  w->add_option("--top", whatif.top, "How many changed cases to list (default 20, 0: all)");
  w->add_option("--as-of", whatif.as_of, "Evaluation date for every case");
  w->add_flag("--ignore-dates", whatif.ignore_dates,
              "Evaluate cases outside the policies' effective/expires dates");
  w->add_flag("!--no-progress", whatif.progress, "No progress bar");
  w->add_option("--format", whatif.format, "text | json | csv")
      ->check(CLI::IsMember({"text", "json", "csv"}));
  add_log_flags(w);

  mmi::serve::ServeOptions serve;
  auto* s =
      app.add_subcommand("serve", "Serve the policies of a directory over HTTP (docs/serve.md)");
  s->add_option("--policies", serve.policies, "Directory of policies (recursive)")->required();
  s->add_option("--listen", serve.listen, "HOST:PORT (default 127.0.0.1:8080)");
  s->add_option("--threads", serve.threads, "Worker threads (default: the cores)");
  s->add_option("--max-body", serve.max_body, "Largest /evaluate body and /batch line, bytes");
  s->add_option("--token-file", serve.token_file, "Bearer token clients must send");
  s->add_option("--decision-log", serve.decision_log, "Append one JSON line per decision here");
  s->add_option("--decision-log-max-bytes", serve.decision_log_max_bytes, "Rotate past this size");
  s->add_option("--decision-log-keep", serve.decision_log_keep, "Rotated files kept");
  s->add_option("--decision-log-queue", serve.decision_log_queue, "Records waiting, at most");
  s->add_flag("--decision-log-fsync", serve.decision_log_fsync, "fdatasync after every write");
  s->add_option("--header-timeout", serve.header_timeout, "Seconds to send a request's header");
  s->add_option("--idle-timeout", serve.idle_timeout, "Seconds a connection may stay idle");
  s->add_option("--max-connections", serve.max_connections, "Open connections, at most");
  add_log_flags(s);

  // An option given an empty value (`-o ''`, `--as-of ''`) is a usage error, not "not given".
  const CLI::Validator not_empty(
      [](std::string& value) { return value.empty() ? std::string("needs a value, not ''") : ""; },
      "", "NOT_EMPTY");
  for (CLI::App* sub : {c, e, g, t, b, w, s})
    for (CLI::Option* opt : sub->get_options())
      if (opt->get_type_size() != 0) opt->check(not_empty);

  mmi::cli::remove_temporaries_on_signals();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return print_help(app, e);
  } catch (const CLI::CallForAllHelp& e) {
    return print_help(app, e);
  } catch (const CLI::CallForVersion& e) {
    return print_help(app, e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "mmi: %s (see mmi --help)\n", e.what());
    return 2;
  }

  // Logs go to stderr; stdout carries results only.
  spdlog::set_default_logger(spdlog::stderr_color_st("mmi"));
  spdlog::set_pattern("mmi: %l: %v");
  spdlog::set_level(quiet            ? spdlog::level::err
                    : verbosity >= 2 ? spdlog::level::debug
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::warn);
  try {
    if (*c) return finish(run_check(check));
    if (*e) return finish(run_eval(eval));
    if (*g) return finish(run_graph(graph));
    if (*t) return finish(run_test(test));
    if (*b) return finish(run_batch(batch));
    if (*w) return finish(run_whatif(whatif));
    if (*s) return finish(mmi::serve::run_serve(serve));
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "mmi: out of memory\n");
    return 2;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "mmi: internal error: %s\n", ex.what());
    return 2;
  }
  return 2;
}
