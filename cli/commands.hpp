// The subcommands of `mmi`. main.cpp parses arguments (CLI11) into these structs; each run_*
// does the work through the engine and prints. Exit codes: 0 ok, 1 problems found, 2 usage and
// I/O errors (an output that cannot be written included).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mmi::cli {

enum class Format { text, json, sarif, dot, csv };

// Resolved from --format; without one, the command's default (never chosen by whether stdout is a
// terminal: only colour and the progress bar are).
Format output_format(const std::string& flag, Format default_format = Format::text);
// --color auto|always|never; auto colours a terminal unless NO_COLOR is set and non-empty.
enum class ColorChoice { auto_, always, never };
void set_color_choice(ColorChoice choice);
bool color_for(int fd);  // colour on this file descriptor (1 stdout, 2 stderr)?
bool stdout_is_terminal();
bool stderr_is_terminal();

using Assignments = std::vector<std::pair<std::string, std::string>>;
// "NAME=VALUE" → pair; returns false (and prints a usage error) when malformed.
bool parse_assignments(const std::vector<std::string>& raw, const char* flag, Assignments& out);

struct CheckArgs {
  std::vector<std::string> policies;
  std::string format;
  bool werror = false;
};

struct EvalArgs {
  std::string policy, case_path, as_of, format;
  std::vector<std::string> set, facts;
  bool explain = false, strict = false, ignore_dates = false;
};

struct GraphArgs {
  std::string policy, format;
};

struct TestArgs {
  std::vector<std::string> suites;
  std::string junit, format;
  bool coverage = false, fail_uncovered = false;  // --fail-uncovered implies --coverage
};

struct BatchArgs {
  std::string policy, format;
  std::vector<std::string> cases;  // files, directories (their case files), "-" for stdin
  std::string output = "-";        // -o; "-" is stdout
  std::vector<std::string> set;
  std::string threads;  // "" = the cores; checked by resolve_threads
  bool strict = false, progress = true, ignore_dates = false;
  std::string as_of;
  std::string first_line = "1";  // line number of the input's first line (for shards)
};

struct WhatifArgs {
  std::string policy, against, format, report, csv;
  std::vector<std::string> cases;  // files, directories (their case files), "-" for stdin
  std::vector<std::string> merge;  // --merge PARTIAL…: merge partials instead of reading cases
  std::string output = "-";        // -o; "-" is stdout
  bool partial = false;            // --partial: the exact mergeable state (JSON)
  std::string first_line = "1";    // line number of the input's first line (for shards)
  std::vector<std::string> set;
  std::vector<std::string> sweep;    // NAME=V1,V2,... each; several make a grid
  std::vector<std::string> measure;  // NAME=EXPR
  std::vector<std::string> by;       // segment expressions
  std::string threads;               // "" = the cores
  std::string top;                   // changed cases listed ("": 20, 0: all)
  std::string as_of;
  bool progress = true;
  bool ignore_dates = false;
};

int run_check(const CheckArgs& args);
int run_eval(const EvalArgs& args);
int run_graph(const GraphArgs& args);
int run_test(const TestArgs& args);
int run_batch(const BatchArgs& args);
int run_whatif(const WhatifArgs& args);

}  // namespace mmi::cli
