#include "cli/common.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/case_file.hpp"
#include "engine/output_file.hpp"
#include "rules/yaml_util.hpp"

namespace mmi::cli {

bool stdout_is_terminal() {
  return isatty(STDOUT_FILENO) == 1;
}
bool stderr_is_terminal() {
  return isatty(STDERR_FILENO) == 1;
}

Format output_format(const std::string& flag, Format default_format) {
  // The default never depends on whether stdout is a terminal: a CI log gets the same text as a
  // person does; programs ask for --format json.
  if (flag == "text") return Format::text;
  if (flag == "json") return Format::json;
  if (flag == "sarif") return Format::sarif;
  if (flag == "dot") return Format::dot;
  if (flag == "csv") return Format::csv;
  return default_format;
}

namespace {
ColorChoice g_color = ColorChoice::auto_;
}

void set_color_choice(ColorChoice choice) {
  g_color = choice;
}

bool color_for(int fd) {
  if (g_color == ColorChoice::always) return true;
  if (g_color == ColorChoice::never) return false;
  // https://no-color.org: a set, non-empty NO_COLOR turns colour off unless --color=always.
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  return isatty(fd) == 1;
}

std::string markup_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

void complain(const std::string& message) {
  std::fprintf(stderr, "mmi: %s\n", message.c_str());
}

bool print(std::string_view text) {
  OutputFile out;
  if (out.open("-") && out.write(text) && out.commit()) return true;
  complain("cannot write " + out.error());
  return false;
}

std::optional<std::uint64_t> parse_count(const std::string& text, const char* flag,
                                         std::uint64_t min, std::uint64_t max, bool complaint) {
  std::uint64_t n = 0;
  bool ok = !text.empty() && text.size() <= 20;
  for (char c : text) {
    if (!ok) break;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (c < '0' || c > '9' || digit > max || n > (max - digit) / 10) {
      ok = false;
      break;
    }
    n = n * 10 + digit;
  }
  if (ok && n >= min) return n;
  if (complaint)
    complain(std::string(flag) + " takes a whole number from " + std::to_string(min) + " to " +
             std::to_string(max) + ", not `" + text + "`");
  return std::nullopt;
}

namespace {
unsigned cores() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}
}  // namespace

unsigned max_threads() {
  return std::max(64u, 4 * cores());
}

std::optional<unsigned> resolve_threads(const std::string& flag) {
  if (flag.empty()) return cores();
  unsigned most = max_threads();
  auto n = parse_count(flag, "--threads", 1, most, false);
  if (n) return static_cast<unsigned>(*n);
  complain("--threads takes 1 to " + std::to_string(most) + " (the maximum: 4 × the " +
           std::to_string(cores()) + " cores, at least 64), not `" + flag + "`");
  return std::nullopt;
}

namespace {
extern "C" void remove_temporaries_and_die(int sig) {
  OutputFile::remove_temporaries();
  std::signal(sig, SIG_DFL);
  std::raise(sig);  // pending until the handler returns, then the default action: death
}
}  // namespace

void remove_temporaries_on_signals() {
  // Every signal whose default is to end the process and that a handler can catch.
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGXCPU,
                  SIGVTALRM, SIGPROF}) {
    struct sigaction old {};
    // A signal the caller ignores (nohup, a background job's SIGINT) stays ignored.
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_die;
    sigemptyset(&action.sa_mask);
    ::sigaction(sig, &action, nullptr);
  }
  std::signal(SIGXFSZ, SIG_IGN);
}

std::optional<std::string> why_unreadable(const std::string& path, const char* what) {
  std::error_code ec;
  if (path == "-") return std::nullopt;
  std::string prefix = std::string("cannot read ") + what + " `" + path + "`: ";
  if (!std::filesystem::exists(path, ec)) return prefix + "no such file";
  if (std::filesystem::is_directory(path, ec)) return prefix + "it is a directory";
  std::ifstream in(path);
  if (!in) return prefix + "permission denied";
  return std::nullopt;
}

bool readable_file(const std::string& path, const char* what) {
  auto why = why_unreadable(path, what);
  if (why) complain(*why);
  return !why;
}

bool parse_assignments(const std::vector<std::string>& raw, const char* flag, Assignments& out) {
  for (const auto& item : raw) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      complain(std::string(flag) + " takes NAME=VALUE, not `" + item + "`");
      return false;
    }
    std::string name = item.substr(0, eq);
    for (const auto& [given, value] : out)
      if (given == name) {
        complain(std::string(flag) + " `" + name + "` is given twice; give each name once");
        return false;
      }
    out.emplace_back(std::move(name), item.substr(eq + 1));
  }
  return true;
}

std::optional<std::vector<std::string>> expand_case_inputs(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (input == "-" || !fs::is_directory(input, ec)) {
      files.push_back(input);  // opened (and any error reported) by the caller
      continue;
    }
    std::vector<std::string> inside;
    for (const auto& entry : fs::directory_iterator(input, ec)) {
      std::string ext = entry.path().extension().string();
      for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (ext != ".jsonl" && ext != ".ndjson" && ext != ".yaml" && ext != ".yml" && ext != ".json")
        continue;
      if (entry.is_regular_file(ec)) inside.push_back(entry.path().string());
    }
    if (ec) {
      complain("cannot read directory `" + input + "`: " + ec.message());
      return std::nullopt;
    }
    if (inside.empty()) {
      complain("no case files (*.jsonl, *.ndjson, *.yaml, *.yml, *.json) in `" + input + "`");
      return std::nullopt;
    }
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

std::shared_ptr<const Graph> compile_or_report(const std::string& path, const Assignments& set,
                                               int& exit_code,
                                               const std::vector<OutputDecl>& extra_outputs) {
  CompileOptions options;
  options.set = set;
  options.extra_outputs = extra_outputs;
  options.warnings = false;
  auto started = std::chrono::steady_clock::now();
  auto compiled = compile_policy(path, options);
  spdlog::info("compiled {} in {:.1f} ms", path,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                   .count());
  if (compiled)
    spdlog::debug("{}: {} rules, {} lets, {} graph nodes ({} shared), digest {}", path,
                  compiled.graph->policy.rules.size(), compiled.graph->policy.lets.size(),
                  compiled.graph->nodes.size(), compiled.graph->shared_nodes,
                  compiled.graph->policy.digest);
  if (!compiled) {
    bool usage = true;
    for (const auto& d : compiled.diagnostics.items())
      if (d.severity == Severity::error && d.at.path.rfind("--", 0) != 0) usage = false;
    exit_code = usage ? 2 : 1;
    compiled.diagnostics.sort();
    std::fputs(render_text(compiled.diagnostics, color_for(2)).c_str(), stderr);
    return nullptr;
  }
  return compiled.graph;
}

std::vector<std::unique_ptr<CaseStream>> open_case_inputs(const std::vector<std::string>& cases,
                                                          const std::string& first_line_text,
                                                          std::vector<std::string>& inputs) {
  std::vector<std::unique_ptr<CaseStream>> streams;
  // Line numbers stay exact in any JSON reader (a double holds integers up to 2^53).
  auto first_line = parse_count(first_line_text, "--first-line", 1, std::uint64_t{1} << 53);
  if (!first_line) return streams;
  auto expanded = expand_case_inputs(cases);
  if (!expanded) return streams;
  inputs = std::move(*expanded);
  if (inputs.size() > 1 && *first_line != 1) {
    // A shard is one input; numbering several files from N would name lines that are not theirs.
    complain("--first-line numbers one input's lines; it cannot be used with several inputs");
    return streams;
  }
  CaseStreamOptions options;
  options.first_line = *first_line;
  options.json_file_is_one_case = true;
  for (const auto& input : inputs) {
    std::string error;
    streams.push_back(open_case_stream(input, options, error));
    if (!streams.back()) {
      complain(input + ": " + error);
      streams.clear();
      return streams;
    }
  }
  return streams;
}

std::optional<DayNumber> parse_date_flag(const std::string& text, const char* flag) {
  auto d = parse_iso_date(text);
  if (!d) complain(std::string(flag) + " takes a date YYYY-MM-DD, not `" + text + "`");
  return d;
}

void load_case_file(Session& session, const std::string& path) {
  CaseData& c = session.case_data();
  if (auto e = mmi::load_case_file(session, path, SourceLocation{nullptr, path})) {
    c.error = CaseError{e->code, e->message, e->at};
    return;
  }
  if (c.error && c.error->at.empty()) c.error->at = path;  // a JSON case's error names its file
}

}  // namespace mmi::cli
