// `mmi`: argument parsing only (CLI11 lives in this one translation unit); the commands are in
// the other files of cli/ and the work in engine/ and rules/.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "engine/mmi.hpp"
#include "lsp/server.hpp"
#include "serve/serve.hpp"
#include "verify/verify.hpp"

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

// Edit distance, for "did you mean" on mistyped commands and flags.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The closest of `known` to `word` when it is close enough to be a typo; "" otherwise.
std::string closest(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& k : known) {
    std::size_t d = edit_distance(word, k);
    if (d < best_distance) best_distance = d, best = k;
  }
  return best;
}

std::string did_you_mean(const std::string& suggestion) {
  return suggestion.empty() ? std::string() : "; did you mean `" + suggestion + "`?";
}

// Every long and short flag name of `app` (with dashes), for suggestions.
std::vector<std::string> flag_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
    for (const auto& n : opt->get_snames()) names.push_back("-" + n);
  }
  return names;
}

// A usage error: one line on stderr pointing at the right --help; exit code 2.
int usage_error(const std::string& command, const std::string& message) {
  std::string where = command.empty() ? "mmi" : "mmi " + command;
  std::fprintf(stderr, "%s: %s (see `%s --help`)\n", where.c_str(), message.c_str(), where.c_str());
  return 2;
}

// Compiling a large policy allocates and frees tens of MiB of trees in a few tenths of a second.
// glibc's defaults give every block over 128 KiB its own mapping and return freed heap tops to the
// kernel, so the same memory is faulted in again and again (20,600 faults, a third of `mmi check`
// of a 10,000-rule policy): keep blocks up to 32 MiB in the heap, grow it 16 MiB at a time, and
// keep up to 64 MiB of freed top. Peak RSS is unchanged (`batch` stays ~14 MiB a thread).
void tune_allocator() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mmi::cli;
  tune_allocator();
  CLI::App app{"mmi — Maximum Medical Improvement rules engine", "mmi"};
  app.set_version_flag("--version", std::string("mmi ") + mmi::engine_version());
  app.require_subcommand(0, 1);
  app.footer(
      "Examples:\n"
      "  mmi check policies/us-tx.yaml\n"
      "  mmi eval -p policies/us-tx.yaml -c policies/examples/cases/c-1001.yaml\n"
      "  mmi help batch\n");
  int verbosity = 0;
  bool quiet = false;
  std::string color = "auto";
  const auto add_common_flags = [&](CLI::App* sub) {
    sub->add_flag("-v,--verbose", verbosity, "More log output (repeatable)");
    sub->add_flag("-q,--quiet", quiet, "Only errors on stderr");
    sub->add_option("--color", color, "auto | always | never (default: auto; NO_COLOR is honoured)")
        ->option_text("WHEN")
        ->check(CLI::IsMember({"auto", "always", "never"}));
  };
  add_common_flags(&app);
  // One NAME=VALUE per occurrence: `--set a=1 cases.jsonl` leaves the positional alone.
  const auto add_assignments = [](CLI::App* sub, const char* name, std::vector<std::string>& into,
                                  const char* help) {
    return sub->add_option(name, into, help)->allow_extra_args(false)->option_text("NAME=VALUE");
  };

  CheckArgs check;
  auto* c = app.add_subcommand("check", "Load, merge, parse and type-check policies");
  c->add_option("POLICY", check.policies, "Policy files")->required();
  c->add_option("--format", check.format, "text | json | sarif (default: text)")
      ->option_text("FORMAT")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  c->add_flag("--werror", check.werror, "Treat warnings as errors");
  c->footer(
      "Examples:\n"
      "  mmi check policies/us-tx.yaml\n"
      "  mmi check --werror policies/*.yaml\n"
      "  mmi check --format sarif policies/us-tx.yaml > mmi.sarif\n");
  add_common_flags(c);

  EvalArgs eval;
  auto* e = app.add_subcommand("eval", "Evaluate one case");
  e->add_option("-p,--policy", eval.policy, "Policy file")->required();
  e->add_option("-c,--case", eval.case_path, "Case file (YAML or JSON)")->required();
  e->add_option("--as-of", eval.as_of, "Evaluation date, overriding the case's as_of");
  add_assignments(e, "--set", eval.set, "Override a parameter (repeat for more)");
  e->add_option("--fact", eval.facts, "Override a fact (repeat for more)")
      ->allow_extra_args(false)
      ->option_text("PATH=VALUE");
  e->add_flag("--explain", eval.explain, "Show why each rule fired, did not, or is unknown");
  e->add_flag("--strict", eval.strict, "Unknown case fields are errors");
  e->add_flag("--ignore-dates", eval.ignore_dates, "Ignore the policy's effective/expires dates");
  e->add_option("--format", eval.format, "text | json (default: text)")
      ->option_text("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  e->footer(
      "Examples:\n"
      "  mmi eval -p policies/us-tx.yaml -c policies/examples/cases/c-1001.yaml\n"
      "  mmi eval -p policies/us-tx.yaml -c policies/examples/cases/c-1001.yaml --explain\n"
      "  mmi eval -p policies/us-tx.yaml -c case.yaml --set tx_sib_threshold=10 --format json\n");
  add_common_flags(e);

  GraphArgs graph;
  auto* g = app.add_subcommand("graph", "Print the compiled rule graph");
  g->add_option("-p,--policy", graph.policy, "Policy file")->required();
  g->add_option("--format", graph.format, "dot | json (default: dot)")
      ->option_text("FORMAT")
      ->check(CLI::IsMember({"dot", "json"}));
  g->footer(
      "Examples:\n"
      "  mmi graph -p policies/us-tx.yaml | dot -Tsvg > us-tx.svg\n"
      "  mmi graph -p policies/us-tx.yaml --format json\n");
  add_common_flags(g);

  TestArgs test;
  auto* t = app.add_subcommand("test", "Run policy test suites");
  t->add_option("SUITE", test.suites, "Test suite files (*.test.yaml)")->required();
  t->add_option("--junit", test.junit, "Write JUnit XML here");
  t->add_flag("--coverage", test.coverage, "Report how often each rule fired / did not fire");
  t->add_flag("--fail-uncovered", test.fail_uncovered,
              "Exit 1 when a rule never fired or never not-fired (implies --coverage)");
  t->add_option("--format", test.format, "text | json (default: text)")
      ->option_text("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  t->footer(
      "Examples:\n"
      "  mmi test policies/tests/us-tx.test.yaml\n"
      "  mmi test --fail-uncovered policies/tests/*.test.yaml\n"
      "  mmi test --junit report.xml policies/tests/*.test.yaml\n");
  add_common_flags(t);

  BatchArgs batch;
  bool batch_no_progress = false;
  auto* b = app.add_subcommand("batch", "Evaluate many cases (JSON Lines or a YAML stream)");
  b->add_option("-p,--policy", batch.policy, "Policy file")->required();
  b->add_option("CASES", batch.cases,
                "Case files (.jsonl, .ndjson, .yaml, .yml, .json) and directories of them; "
                "- for stdin")
      ->required();
  b->add_option("-o,--output", batch.output, "Write results here (atomically) instead of stdout");
  b->add_option("--threads", batch.threads,
                "Worker threads (default: the cores; at most 4 × the cores, at least 64)");
  add_assignments(b, "--set", batch.set, "Override a parameter (repeat for more)");
  b->add_option("--as-of", batch.as_of, "Evaluation date for every case");
  b->add_flag("--strict", batch.strict, "Unknown case fields are errors");
  b->add_flag("--ignore-dates", batch.ignore_dates,
              "Evaluate cases outside the policy's effective/expires dates");
  b->add_flag("--no-progress", batch_no_progress, "No progress bar");
  b->add_option("--first-line", batch.first_line,
                "Number of the input's first line, for error results of a shard (1 to 2^53)");
  b->add_option("--format", batch.format, "json | text (default: json, one line per case)")
      ->option_text("FORMAT")
      ->check(CLI::IsMember({"json", "text"}));
  b->footer(
      "Examples:\n"
      "  mmi batch -p policies/us-tx.yaml policies/examples/book.jsonl > results.jsonl\n"
      "  mmi batch -p policies/us-tx.yaml cases/ more-cases.yaml -o results.jsonl\n"
      "  cat cases.jsonl | mmi batch -p policies/us-tx.yaml -\n");
  add_common_flags(b);

  WhatifArgs whatif;
  bool whatif_no_progress = false;
  auto* w = app.add_subcommand("whatif", "Compare a baseline with a variant over the same cases");
  w->add_option("-p,--policy", whatif.policy, "Baseline policy file (required unless --merge)");
  w->add_option("CASES", whatif.cases, "Case files (.jsonl, .yaml), directories, - for stdin");
  w->add_option("--merge", whatif.merge,
                "Merge these `--partial` outputs into one run's summary (no policy, no cases)")
      ->option_text("PARTIAL ...");
  w->add_flag("--partial", whatif.partial,
              "With --format json: the exact mergeable state, for --merge (docs/cli.md)");
  w->add_option("-o,--output", whatif.output, "Write the summary here (default: stdout)");
  w->add_option("--first-line", whatif.first_line,
                "Line number of the input's first line (a shard's place in its book)");
  add_assignments(w, "--set", whatif.set, "Variant parameter (repeat for more)");
  w->add_option("--against", whatif.against, "Variant policy file");
  w->add_option("--sweep", whatif.sweep, "NAME=V1,V2,…: one variant per value (several: a grid)")
      ->allow_extra_args(false)
      ->option_text("NAME=V1,V2,...");
  w->add_option("--measure", whatif.measure, "NAME=EXPR: a number or duration to total per case")
      ->allow_extra_args(false);
  w->add_option("--by", whatif.by, "EXPR: segment every figure by its value (up to 3)")
      ->allow_extra_args(false);
  w->add_option("--report", whatif.report, "Write a self-contained HTML report here");
  w->add_option("--csv", whatif.csv, "Write the changed cases as CSV here");
  w->add_option("--threads", whatif.threads,
                "Worker threads (default: the cores; at most 4 × the cores, at least 64)");
  w->add_option("--top", whatif.top, "How many changed cases to list (default 20, 0: all)");
  w->add_option("--as-of", whatif.as_of, "Evaluation date for every case");
  w->add_flag("--ignore-dates", whatif.ignore_dates,
              "Evaluate cases outside the policies' effective/expires dates");
  w->add_flag("--no-progress", whatif_no_progress, "No progress bar");
  w->add_option("--format", whatif.format, "text | json | csv | html (default: text)")
      ->option_text("FORMAT")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}));
  w->footer(
      "Examples:\n"
      "  mmi whatif -p policies/us-tx.yaml --set tx_sib_threshold=10 "
      "policies/examples/book.jsonl\n"
      "  mmi whatif -p policies/us-tx.yaml --sweep tx_sib_threshold=5,10,15 book.jsonl --report "
      "r.html\n"
      "  mmi whatif --merge shard-1.partial.json shard-2.partial.json --format text\n");
  add_common_flags(w);

  auto* lsp = app.add_subcommand("lsp", "Language server for editors (LSP over stdio)");

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
  s->footer(
      "Examples:\n"
      "  mmi serve --policies policies/\n"
      "  mmi serve --policies policies/ --listen 0.0.0.0:8080 --token-file token.txt\n");
  add_common_flags(s);

  mmi::verify::VerifyOptions verify;
  auto* v =
      app.add_subcommand("verify", "Prove a policy's properties for every case, or break them");
  v->add_option("POLICY", verify.policies, "Policy files")->required();
  v->add_option("--format", verify.format, "text | json | sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  v->add_option("--counterexamples", verify.counterexamples, "Write counterexample cases here");
  v->add_option("--max-items", verify.max_items, "Items per list (default 3)");
  v->add_option("--timeout", verify.timeout_seconds, "Seconds per finding (default 10)");
  v->add_option("--date-range", verify.date_range, "FROM..TO (default 1900-01-01..2199-12-31)");
  v->add_option("--against", verify.against, "Another policy: where do they decide differently");
  v->add_flag("--suggest-tests", verify.suggest_tests, "Print counterexamples as suite entries");

  const std::vector<CLI::App*> commands = {c, e, g, t, b, w, s, v, lsp};
  // An option given an empty value (`-o ''`, `--as-of ''`) is a usage error, not "not given".
  const CLI::Validator not_empty(
      [](std::string& value) { return value.empty() ? std::string("needs a value, not ''") : ""; },
      "", "NOT_EMPTY");
  for (CLI::App* sub : commands)
    for (CLI::Option* opt : sub->get_options())
      if (opt->get_type_size() != 0) opt->check(not_empty);

  // The command named on the line (the first word that is not a flag or a flag's value), so that
  // errors can point at its --help and a typo can be answered with the closest command.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command;
  std::size_t command_at = args.size();
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--color") {
      ++k;
      continue;
    }
    if (!args[k].empty() && args[k][0] == '-') continue;
    command = args[k];
    command_at = k;
    break;
  }
  std::vector<std::string> command_names = {"help"};
  for (CLI::App* sub : commands) command_names.push_back(sub->get_name());
  if (!command.empty() &&
      std::find(command_names.begin(), command_names.end(), command) == command_names.end())
    return usage_error(
        "", "unknown command `" + command + "`" + did_you_mean(closest(command, command_names)));
  if (command == "help") {
    // `mmi help` and `mmi help CMD` are `mmi --help` and `mmi CMD --help`.
    std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(command_at) + 1,
                                  args.end());
    if (!rest.empty() &&
        std::find(command_names.begin(), command_names.end(), rest[0]) == command_names.end())
      return usage_error(
          "", "unknown command `" + rest[0] + "`" + did_you_mean(closest(rest[0], command_names)));
    args = rest.empty() ? std::vector<std::string>{"--help"}
                        : std::vector<std::string>{rest[0], "--help"};
    command = rest.empty() ? "" : rest[0];
  }

  mmi::cli::remove_temporaries_on_signals();
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return print_help(app, e);
  } catch (const CLI::CallForAllHelp& e) {
    return print_help(app, e);
  } catch (const CLI::CallForVersion& e) {
    return print_help(app, e);
  } catch (const CLI::ExtrasError& e) {
    // CLI11 says "The following argument(s) was/were not expected: A B"; name each with advice.
    std::vector<std::string> known = flag_names(app);
    for (CLI::App* sub : commands)
      if (sub->get_name() == command)
        for (auto& n : flag_names(*sub)) known.push_back(n);
    std::string what = e.what();
    std::string extras = what.substr(what.rfind(": ") + 2);
    std::string first = extras.substr(0, extras.find(' '));
    if (!first.empty() && first[0] == '-') {
      std::string name = first.substr(0, first.find('='));
      return usage_error(command,
                         "unknown flag `" + name + "`" + did_you_mean(closest(name, known)));
    }
    return usage_error(command, "unexpected argument `" + first + "`");
  } catch (const CLI::ParseError& e) {
    return usage_error(command, e.what());
  }
  if (command.empty()) {
    // Bare `mmi` (or only global flags): the usage on stderr, and a usage error.
    std::fputs(app.help().c_str(), stderr);
    return 2;
  }
  batch.progress = !batch_no_progress;
  whatif.progress = !whatif_no_progress;
  set_color_choice(color == "always"  ? ColorChoice::always
                   : color == "never" ? ColorChoice::never
                                      : ColorChoice::auto_);

  // Logs go to stderr; stdout carries results only.
  spdlog::set_default_logger(spdlog::stderr_color_st(
      "mmi", color_for(2) ? spdlog::color_mode::always : spdlog::color_mode::never));
  spdlog::set_pattern("mmi: %l: %v");
  spdlog::set_level(quiet            ? spdlog::level::err
                    : verbosity >= 2 ? spdlog::level::debug
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::warn);
  try {
    if (*lsp) return mmi::lsp::serve(0, stdout);
    if (*c) return finish(run_check(check));
    if (*e) return finish(run_eval(eval));
    if (*g) return finish(run_graph(graph));
    if (*t) return finish(run_test(test));
    if (*b) return finish(run_batch(batch));
    if (*w) return finish(run_whatif(whatif));
    if (*s) return finish(mmi::serve::run_serve(serve));
    if (*v) return finish(mmi::verify::run_verify(verify));
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "mmi: out of memory\n");
    return 2;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "mmi: internal error: %s\n", ex.what());
    return 2;
  }
  return 2;
}
