// Text positions for the Language Server Protocol: LSP counts columns in UTF-16 code units, the
// front end in bytes of UTF-8. Also file URIs and incremental edits of a buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mmi::lsp {

struct Position {
  std::uint32_t line = 0;       // 0-based
  std::uint32_t character = 0;  // UTF-16 code units
};

// UTF-16 code units of a UTF-8 string (invalid bytes count as one unit each).
std::uint32_t utf16_length(std::string_view utf8);
// Byte offset in `line` of UTF-16 column `column` (clamped to the line; never splits a character).
std::uint32_t byte_of_utf16(std::string_view line, std::uint32_t column);

// Line starts of a text, for position ↔ byte offset conversions.
class LineMap {
 public:
  explicit LineMap(std::string_view text);
  std::uint32_t line_count() const { return static_cast<std::uint32_t>(starts_.size()); }
  // The line without its line break.
  std::string_view line(std::uint32_t line) const;
  std::uint32_t offset_of(Position p) const;  // clamped
  Position position_of(std::uint32_t offset) const;

 private:
  std::string_view text_;
  std::vector<std::uint32_t> starts_;
};

// Replaces the LSP range [start, end) of `text` with `replacement`.
void apply_edit(std::string& text, Position start, Position end, std::string_view replacement);

// The value of a top-level YAML key written `key: value` at the start of a line (quotes and a
// trailing comment removed), or nullopt when no line starts with it. Plain scanning: no regex,
// whose recursion a long line could overflow.
std::optional<std::string> top_level_value(std::string_view text, std::string_view key);

// The texts between backquotes in `s`, in order.
std::vector<std::string> backquoted(std::string_view s);

std::string path_from_uri(std::string_view uri);  // "" for non-file URIs
std::string uri_from_path(std::string_view path);

// A character of a name (`injury`, `max_weeks`): what the cursor's word is made of.
inline bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace mmi::lsp
