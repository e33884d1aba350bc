// Diagnostics: every user error or warning with a stable code, its place and a rendering as
// text (source line and caret), JSON and SARIF 2.1.0. The front end never prints or throws:
// it appends to a DiagnosticList that the caller renders.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mmi {

// One loaded text file; kept so diagnostics can quote the offending line.
struct SourceFile {
  std::string path;
  std::string text;
  std::vector<std::uint32_t> line_starts;  // byte offset of each line
  SourceFile(std::string p, std::string t);
  std::string_view line(std::uint32_t line_1based) const;
};

struct SourceLocation {
  std::shared_ptr<const SourceFile> file;  // may be null for command-line input
  std::string path;                        // printed name
  std::uint32_t line = 0;                  // 1-based; 0 = no position
  std::uint32_t column = 0;                // 1-based byte column
  std::uint32_t length = 1;                // span on that line, for the caret/tildes
  std::string to_string() const;           // "file:line:col" (or "file")
};

enum class Severity { error, warning, note };

// Every diagnostic code, from the catalogue in rules/diagnostic_codes.def.
enum class Code : std::uint16_t {
#define MMI_DIAGNOSTIC(id, summary) id,
#include "rules/diagnostic_codes.def"
#undef MMI_DIAGNOSTIC
};
std::string_view code_name(Code code);     // Code::E200
std::string_view code_summary(Code code);  // "unknown name"
std::optional<Code> code_from_name(std::string_view name);

// A second place a diagnostic refers to, e.g. "first defined here".
struct Note {
  std::string message;
  SourceLocation at;
};

struct Diagnostic {
  Code code = Code::E900;
  Severity severity = Severity::error;
  std::string message;
  SourceLocation at;
  std::string help;  // e.g. "did you mean `income_start`?"
  std::vector<Note> notes;
};

class DiagnosticList {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  Diagnostic& error(Code code, std::string message, SourceLocation at, std::string help = {});
  Diagnostic& warning(Code code, std::string message, SourceLocation at, std::string help = {});
  void append(const DiagnosticList& other);
  bool has_errors() const;
  std::size_t error_count() const;
  std::size_t warning_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic>& items() { return items_; }
  // Orders by file, line, column (stable), so output is deterministic.
  void sort();

 private:
  std::vector<Diagnostic> items_;
};

// "error[E200]: message\n --> file:3:12\n  |\n3 | text\n  |     ^~~~\n  = help: …"
std::string render_text(const Diagnostic& d, bool color = false);
std::string render_text(const DiagnosticList& list, bool color = false);
std::string render_json(const DiagnosticList& list);
std::string render_sarif(const DiagnosticList& list, std::string_view tool_version);

// The closest candidate by edit distance, or "" when nothing is close enough.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

// Every code of the catalogue, in catalogue order (docs and SARIF rules).
const std::vector<Code>& all_codes();

}  // namespace mmi
