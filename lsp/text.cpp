#include "lsp/text.hpp"

#include <algorithm>
#include <filesystem>

namespace mmi::lsp {
namespace {

// Bytes in the UTF-8 sequence starting with `lead`, or 1 for a stray byte.
std::uint32_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

std::uint32_t utf16_length(std::string_view s) {
  std::uint32_t units = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t n = sequence_length(static_cast<unsigned char>(s[i]));
    if (i + n > s.size()) n = 1;
    units += n == 4 ? 2 : 1;  // characters beyond the BMP are a surrogate pair
    i += n;
  }
  return units;
}

std::uint32_t byte_of_utf16(std::string_view s, std::uint32_t column) {
  std::uint32_t units = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::uint32_t n = sequence_length(static_cast<unsigned char>(s[i]));
    if (i + n > s.size()) n = 1;
    std::uint32_t w = n == 4 ? 2 : 1;
    if (units + w > column) break;
    units += w;
    i += n;
  }
  return static_cast<std::uint32_t>(i);
}

LineMap::LineMap(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts_.push_back(static_cast<std::uint32_t>(i + 1));
}

std::string_view LineMap::line(std::uint32_t line) const {
  if (line >= starts_.size()) return {};
  std::size_t b = starts_[line];
  std::size_t e = line + 1 < starts_.size() ? starts_[line + 1] - 1 : text_.size();
  if (e > b && text_[e - 1] == '\r') --e;
  return text_.substr(b, e - b);
}

std::uint32_t LineMap::offset_of(Position p) const {
  if (p.line >= starts_.size()) return static_cast<std::uint32_t>(text_.size());
  return starts_[p.line] + byte_of_utf16(line(p.line), p.character);
}

Position LineMap::position_of(std::uint32_t offset) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  std::uint32_t l = static_cast<std::uint32_t>(it - starts_.begin()) - 1;
  std::string_view ln = line(l);
  std::uint32_t in_line = std::min<std::uint32_t>(offset - starts_[l], ln.size());
  return {l, utf16_length(ln.substr(0, in_line))};
}

void apply_edit(std::string& text, Position start, Position end, std::string_view replacement) {
  LineMap map(text);
  std::uint32_t b = map.offset_of(start), e = map.offset_of(end);
  if (e < b) std::swap(b, e);
  text.replace(b, e - b, replacement);
}

std::optional<std::string> top_level_value(std::string_view text, std::string_view key) {
  for (std::size_t start = 0; start < text.size();) {
    std::size_t eol = text.find('\n', start);
    std::string_view line = text.substr(start, eol == std::string_view::npos ? eol : eol - start);
    if (line.substr(0, key.size()) == key) {
      std::size_t i = key.size();
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] == ':') {
        std::string_view v = line.substr(i + 1);
        if (auto hash = v.find(" #"); hash != std::string_view::npos) v = v.substr(0, hash);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
          v.remove_suffix(1);
        if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
          v = v.substr(1, v.size() - 2);
        return std::string(v);
      }
    }
    if (eol == std::string_view::npos) break;
    start = eol + 1;
  }
  return std::nullopt;
}

std::vector<std::string> backquoted(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t b = s.find('`'); b != std::string_view::npos;) {
    std::size_t e = s.find('`', b + 1);
    if (e == std::string_view::npos) break;
    out.emplace_back(s.substr(b + 1, e - b - 1));
    b = s.find('`', e + 1);
  }
  return out;
}

std::string path_from_uri(std::string_view uri) {
  constexpr std::string_view scheme = "file://";
  if (uri.substr(0, scheme.size()) != scheme) return {};
  uri.remove_prefix(scheme.size());
  // file://host/path: only the local host (empty or localhost) is a path here.
  if (!uri.empty() && uri[0] != '/') {
    auto slash = uri.find('/');
    if (slash == std::string_view::npos) return {};
    uri.remove_prefix(slash);
  }
  std::string out;
  for (std::size_t i = 0; i < uri.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (uri[i] == '%' && i + 2 < uri.size() && hex(uri[i + 1]) >= 0 && hex(uri[i + 2]) >= 0) {
      out += static_cast<char>(hex(uri[i + 1]) * 16 + hex(uri[i + 2]));
      i += 2;
    } else {
      out += uri[i];
    }
  }
  return out;
}

std::string uri_from_path(std::string_view path) {
  std::string abs(path);
  std::error_code ec;
  if (!abs.empty() && abs[0] != '/') abs = std::filesystem::absolute(abs, ec).string();
  std::string out = "file://";
  const char* hex = "0123456789ABCDEF";
  for (unsigned char c : abs) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace mmi::lsp
