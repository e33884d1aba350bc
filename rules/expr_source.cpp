#include "rules/expr_source.hpp"

#include <algorithm>

namespace mmi {

ExprSource ExprSource::detached(std::string text, std::string origin) {
  ExprSource s;
  s.text_ = std::move(text);
  s.origin_ = std::move(origin);
  s.line_ = 1;
  s.column_ = 1;
  return s;
}

SourceLocation ExprSource::location() const {
  SourceLocation loc;
  loc.file = file_;
  loc.path = path();
  loc.line = line_;
  loc.column = column_;
  loc.length = static_cast<std::uint32_t>(std::min<std::size_t>(text_.size(), 200));
  if (loc.length == 0) loc.length = 1;
  return loc;
}

SourceLocation ExprSource::location_of(std::uint32_t offset, std::uint32_t length) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
  SourceLocation loc;
  loc.file = file_;
  loc.path = path();
  loc.length = std::max<std::uint32_t>(1, length);
  if (!file_) {
    loc.line = 1;
    loc.column = offset + 1;
    return loc;
  }
  // Walk the raw file from the scalar's start, matching the scalar's characters in order.
  // Quotes, escapes, line folding and block indentation are skipped over as they appear.
  const std::string& raw = file_->text;
  std::size_t pos = scalar_pos_;
  if (pos < raw.size()) {
    char c0 = raw[pos];
    if (c0 == '"' || c0 == '\'') {
      ++pos;
    } else if (c0 == '|' || c0 == '>') {
      while (pos < raw.size() && raw[pos] != '\n') ++pos;
    }
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (std::uint32_t i = 0; i <= offset && pos < raw.size(); ++i) {
    char want = i < text_.size() ? text_[i] : '\0';
    std::size_t probe = pos;
    std::size_t limit = std::min(raw.size(), pos + 64);
    bool found = false;
    while (probe < limit) {
      char have = raw[probe];
      if (have == want || (is_space(want) && is_space(have))) {
        found = true;
        break;
      }
      if (!is_space(have) && have != '\\' && have != '"' && have != '\'') break;
      ++probe;
    }
    if (i == offset) {
      if (found || want == '\0') pos = found ? probe : pos;
      break;
    }
    if (found) pos = probe + 1;
  }
  auto it = std::upper_bound(file_->line_starts.begin(), file_->line_starts.end(),
                             static_cast<std::uint32_t>(pos));
  std::uint32_t line_index = static_cast<std::uint32_t>(it - file_->line_starts.begin());
  loc.line = line_index;
  loc.column = static_cast<std::uint32_t>(pos - file_->line_starts[line_index - 1]) + 1;
  return loc;
}

}  // namespace mmi
