#include "rules/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mmi {

SourceFile::SourceFile(std::string p, std::string t) : path(std::move(p)), text(std::move(t)) {
  line_starts.push_back(0);
  for (std::uint32_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts.push_back(i + 1);
}

std::string_view SourceFile::line(std::uint32_t n) const {
  if (n == 0 || n > line_starts.size()) return {};
  std::uint32_t begin = line_starts[n - 1];
  std::uint32_t end = n < line_starts.size() ? line_starts[n] - 1 : text.size();
  if (end > begin && text[end - 1] == '\r') --end;
  return std::string_view(text).substr(begin, end - begin);
}

std::string SourceLocation::to_string() const {
  if (line == 0) return path;
  return fmt::format("{}:{}:{}", path, line, column);
}

void DiagnosticList::error(std::string code, std::string message, SourceLocation at,
                           std::string help) {
  items_.push_back(
      {std::move(code), Severity::error, std::move(message), std::move(at), std::move(help)});
}

void DiagnosticList::warning(std::string code, std::string message, SourceLocation at,
                             std::string help) {
  items_.push_back(
      {std::move(code), Severity::warning, std::move(message), std::move(at), std::move(help)});
}

void DiagnosticList::append(const DiagnosticList& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool DiagnosticList::has_errors() const {
  return error_count() > 0;
}

std::size_t DiagnosticList::error_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

std::size_t DiagnosticList::warning_count() const {
  return std::count_if(items_.begin(), items_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::warning; });
}

void DiagnosticList::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.at.path != b.at.path) return a.at.path < b.at.path;
    if (a.at.line != b.at.line) return a.at.line < b.at.line;
    return a.at.column < b.at.column;
  });
}

namespace {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "error";
}

// Non-printable bytes would garble a terminal; show them as '?'.
std::string printable(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (unsigned char c : line) {
    if (c == '\t')
      out += ' ';
    else if (c < 0x20 || c == 0x7f)
      out += '?';
    else
      out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string render_text(const Diagnostic& d, bool color) {
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  const char* tint = !color ? "" : (d.severity == Severity::error ? "\033[1;31m" : "\033[1;33m");
  std::string out = fmt::format("{}: {}{}[{}]{}: {}{}{}\n", d.at.to_string(), tint,
                                severity_name(d.severity), d.code, reset, bold, d.message, reset);
  if (d.at.file && d.at.line > 0) {
    std::string_view raw = d.at.file->line(d.at.line);
    if (raw.size() > 240) raw = raw.substr(0, 240);  // a caret under a 50 MB line helps nobody
    std::string line = printable(raw);
    std::string gutter = std::to_string(d.at.line);
    std::string pad(gutter.size(), ' ');
    out += fmt::format("{} |\n{} | {}\n", pad, gutter, line);
    std::uint32_t col = std::max<std::uint32_t>(1, d.at.column);
    std::uint32_t len = std::max<std::uint32_t>(1, d.at.length);
    if (col - 1 <= line.size()) {
      if (col - 1 + len > line.size() + 1) len = static_cast<std::uint32_t>(line.size() + 2 - col);
      out += fmt::format("{} | {}{}^{}{}\n", pad, std::string(col - 1, ' '), tint,
                         std::string(len > 1 ? len - 1 : 0, '~'), reset);
    }
  }
  if (!d.help.empty()) {
    // Aligned with the gutter's bar when a source line was shown.
    std::string pad =
        d.at.file && d.at.line > 0 ? std::string(std::to_string(d.at.line).size(), ' ') : " ";
    out += fmt::format("{} = help: {}\n", pad, d.help);
  }
  return out;
}

std::string render_text(const DiagnosticList& list, bool color) {
  std::string out;
  for (const auto& d : list.items()) out += render_text(d, color);
  return out;
}

std::string render_json(const DiagnosticList& list) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& d : list.items()) {
    nlohmann::json j = {{"code", d.code},       {"severity", severity_name(d.severity)},
                        {"message", d.message}, {"file", d.at.path},
                        {"line", d.at.line},    {"column", d.at.column}};
    if (!d.help.empty()) j["help"] = d.help;
    arr.push_back(std::move(j));
  }
  nlohmann::json doc = {{"errors", list.error_count()},
                        {"warnings", list.warning_count()},
                        {"diagnostics", std::move(arr)}};
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_sarif(const DiagnosticList& list, std::string_view tool_version) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& info : diagnostic_codes())
    rules.push_back({{"id", info.code}, {"shortDescription", {{"text", info.summary}}}});
  nlohmann::json results = nlohmann::json::array();
  for (const auto& d : list.items()) {
    nlohmann::json region = nlohmann::json::object();
    if (d.at.line > 0) {
      region = {{"startLine", d.at.line},
                {"startColumn", std::max<std::uint32_t>(1, d.at.column)},
                {"endColumn", std::max<std::uint32_t>(1, d.at.column) + d.at.length}};
    }
    nlohmann::json physical = {{"artifactLocation", {{"uri", d.at.path}}}};
    if (!region.empty()) physical["region"] = region;
    std::string text = d.message;
    if (!d.help.empty()) text += " (" + d.help + ")";
    results.push_back({{"ruleId", d.code},
                       {"level", d.severity == Severity::error     ? "error"
                                 : d.severity == Severity::warning ? "warning"
                                                                   : "note"},
                       {"message", {{"text", text}}},
                       {"locations", {{{"physicalLocation", physical}}}}});
  }
  nlohmann::json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                        {"version", "2.1.0"},
                        {"runs",
                         {{{"tool",
                            {{"driver",
                              {{"name", "mmi"},
                               {"version", std::string(tool_version)},
                               {"informationUri", "https://example.invalid/mmi"},
                               {"rules", rules}}}}},
                           {"results", results}}}}};
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string closest_name(std::string_view name, const std::vector<std::string>& candidates) {
  if (name.size() > 64) return {};
  std::size_t best = std::max<std::size_t>(2, name.size() / 3) + 1;
  std::string found;
  for (const auto& c : candidates) {
    if (c.size() > 64) continue;
    std::size_t d = edit_distance(name, c);
    if (d < best) {
      best = d;
      found = c;
    }
  }
  return found;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  std::string c = closest_name(name, candidates);
  return c.empty() ? std::string{} : fmt::format("did you mean `{}`?", c);
}

const std::vector<DiagnosticCodeInfo>& diagnostic_codes() {
  static const std::vector<DiagnosticCodeInfo> codes = {
      {"E001", "file cannot be read"},
      {"E002", "YAML syntax error"},
      {"E003", "duplicate YAML key"},
      {"E004", "input too large or too deeply nested"},
      {"E010", "unknown key"},
      {"E011", "required key missing"},
      {"E012", "YAML node of the wrong kind"},
      {"E013", "invalid identifier"},
      {"E014", "invalid type declaration"},
      {"E015", "invalid parameter value"},
      {"E016", "included file not found"},
      {"E017", "include cycle"},
      {"E018", "invalid date"},
      {"E019", "invalid policy setting"},
      {"E020", "defined twice without override"},
      {"E021", "fact declared with two different types"},
      {"E100", "expression syntax error"},
      {"E101", "expression nested too deeply"},
      {"E200", "unknown name"},
      {"E201", "operator applied to the wrong types"},
      {"E202", "unknown field or field of a non-record"},
      {"E203", "value not in the enum"},
      {"E204", "invalid function call"},
      {"E205", "expression of the wrong type"},
      {"E206", "cycle among lets and rules"},
      {"E207", "`at` applied to something other than a parameter"},
      {"E208", "unknown rule"},
      {"W300", "unused parameter"},
      {"W301", "unused let"},
      {"W302", "unused fact"},
      {"W303", "rule can never fire"},
      {"W304", "rule condition is always true"},
      {"W305", "rules with identical conditions"},
      {"E400", "invalid case value"},
      {"E401", "required fact absent from the case"},
      {"E402", "unknown case field"},
      {"E403", "malformed case"},
      {"E404", "case date outside the policy's effective period"},
      {"E405", "invalid override"},
      {"E406", "duplicate key in a case or test"},
      {"E500", "division by zero"},
      {"E501", "date out of range"},
      {"E600", "invalid test suite"},
  };
  return codes;
}

}  // namespace mmi
