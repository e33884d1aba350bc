#include "rules/yaml_block.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mmi {
struct PlainBlockYamlAccess {};
}  // namespace mmi

// yaml-cpp makes its builders friends of Node, and `as_if` with them: a specialisation of it for
// a type of ours is how a tree built here becomes a YAML::Node, exactly as yaml-cpp's own
// NodeBuilder makes one (the same detail::node calls, in the same order).
template <>
struct YAML::as_if<mmi::PlainBlockYamlAccess, mmi::PlainBlockYamlAccess> {
  static Node wrap(detail::node& root, const detail::shared_memory_holder& memory) {
    return Node(root, memory);
  }
};

namespace mmi {
namespace {

using YamlNode = YAML::detail::node;

// Thrown inside the reader only: the text is outside the subset (load_plain_block_yaml returns
// nullopt and YAML::Load reads it instead).
struct Unsupported {};

struct Line {
  std::uint32_t start;   // offset of the line's first byte
  std::uint32_t end;     // offset of its '\n' (or of the end of the text)
  std::uint32_t indent;  // leading spaces
  bool content;          // not blank, not only a comment
};

bool is_null_text(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// Characters that give a plain scalar or key a meaning this reader leaves to yaml-cpp when they
// start it (indicators: flow collections, anchors, tags, block scalars, directives, quotes).
bool special_start(char c) {
  switch (c) {
    case '[':
    case ']':
    case '{':
    case '}':
    case ',':
    case '#':
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case '\'':
    case '"':
    case '%':
    case '@':
    case '`':
    case '?':
    case ':':
    case '-':
      return true;
    default:
      return false;
  }
}

class BlockReader {
 public:
  explicit BlockReader(std::string_view text)
      : text_(text), memory_(std::make_shared<YAML::detail::memory_holder>()) {}

  std::optional<YAML::Node> read() {
    if (!split_lines()) return std::nullopt;
    try {
      std::size_t first = next_content(0);
      if (first == lines_.size()) return std::nullopt;  // empty: yaml-cpp says what it is
      YamlNode& root = block_node(first, lines_[first].indent);
      if (at_ != lines_.size()) return std::nullopt;  // something left outside the root
      return YAML::as_if<PlainBlockYamlAccess, PlainBlockYamlAccess>::wrap(root, memory_);
    } catch (const Unsupported&) {
      return std::nullopt;
    }
  }

 private:
  std::string_view text_;
  YAML::detail::shared_memory_holder memory_;
  std::vector<Line> lines_;
  std::size_t at_ = 0;  // the next content line not yet read
  static constexpr int kMaxDepth = 200;
  int depth_ = 0;

  bool split_lines() {
    if (text_.size() >= UINT32_MAX) return false;
    lines_.reserve(text_.size() / 24 + 1);
    std::uint32_t start = 0;
    const auto size = static_cast<std::uint32_t>(text_.size());
    while (start < size) {
      std::uint32_t i = start;
      while (i < size && text_[i] == ' ') ++i;
      std::uint32_t indent = i - start;
      bool content = i < size && text_[i] != '\n' && text_[i] != '#';
      for (; i < size && text_[i] != '\n'; ++i) {
        unsigned char c = static_cast<unsigned char>(text_[i]);
        if (c < 0x20 || c > 0x7e) return false;  // tabs, CR, non-ASCII: yaml-cpp's to read
      }
      lines_.push_back({start, i, indent, content});
      start = i + 1;
    }
    return true;
  }

  std::size_t next_content(std::size_t from) const {
    while (from < lines_.size() && !lines_[from].content) ++from;
    return from;
  }

  char at(std::size_t line, std::uint32_t col) const {
    std::uint32_t offset = lines_[line].start + col;
    return offset < lines_[line].end ? text_[offset] : '\n';
  }

  YAML::Mark mark(std::size_t line, std::uint32_t col) const {
    YAML::Mark m;
    m.pos = static_cast<int>(lines_[line].start + col);
    m.line = static_cast<int>(line);
    m.column = static_cast<int>(col);
    return m;
  }

  // A `-` item marker at `col`: a dash followed by a space or the end of the line.
  bool dash_at(std::size_t line, std::uint32_t col) const {
    char next = at(line, col + 1);
    return at(line, col) == '-' && (next == ' ' || next == '\n');
  }

  // Skips spaces from `col`; true if only a comment or nothing follows.
  bool rest_empty(std::size_t line, std::uint32_t& col) const {
    std::uint32_t from = col;
    while (at(line, col) == ' ') ++col;
    char c = at(line, col);
    return c == '\n' || (c == '#' && col > from);
  }

  // The offset of the `:` ending a plain one-line key at `col`, or 0 if there is none.
  std::uint32_t find_key_end(std::size_t line, std::uint32_t col) const {
    if (special_start(at(line, col)) || at(line, col) == ' ') return 0;
    for (std::uint32_t c = col;; ++c) {
      char ch = at(line, c);
      if (ch == '\n' || ch == '#' || ch == '\'' || ch == '"') return 0;
      if (ch == ':' && (at(line, c + 1) == ' ' || at(line, c + 1) == '\n'))
        return at(line, c - 1) == ' ' || c - col > 1000 ? 0 : c;
    }
  }

  std::uint32_t key_end(std::size_t line, std::uint32_t col) const {
    std::uint32_t end = find_key_end(line, col);
    if (end == 0) throw Unsupported{};
    return end;
  }

  YamlNode& new_node(std::size_t line, std::uint32_t col) {
    YamlNode& n = memory_->create_node();
    n.set_mark(mark(line, col));
    return n;
  }

  // An empty value: yaml-cpp marks it where the next token starts (the next content line's
  // first character), or at the end of the text on the line after the last '\n', column 0.
  YamlNode& empty_value(std::size_t next) {
    YamlNode& n = memory_->create_node();
    if (next < lines_.size()) {
      n.set_mark(mark(next, lines_[next].indent));
    } else {
      YAML::Mark m;
      m.pos = static_cast<int>(text_.size());
      m.line = static_cast<int>(lines_.size() - (text_.back() == '\n' ? 0 : 1));
      m.column = 0;
      n.set_mark(m);
    }
    n.set_null();
    return n;
  }

  YamlNode& null_node(std::size_t line, std::uint32_t col) {
    YamlNode& n = new_node(line, col);
    n.set_null();
    return n;
  }

  YamlNode& scalar_node(std::size_t line, std::uint32_t col, std::string_view value, bool quoted) {
    if (!quoted && is_null_text(value)) return null_node(line, col);
    YamlNode& n = new_node(line, col);
    n.set_scalar(std::string(value));
    n.set_tag(quoted ? "!" : "?");
    return n;
  }

  // The block node whose first line is `line`, starting at `col` (a line's indent, or the column
  // after a `- ` marker). Leaves at_ at the first content line after it.
  YamlNode& block_node(std::size_t line, std::uint32_t col) {
    // Deeper nesting is left to yaml-cpp, whose depth guard reports it (and this stack is safe).
    if (++depth_ > kMaxDepth) throw Unsupported{};
    if (!dash_at(line, col)) key_end(line, col);  // a mapping, or not for this reader
    YamlNode& node = dash_at(line, col) ? sequence(line, col) : mapping(line, col);
    --depth_;
    return node;
  }

  // The value after `key:` or `- ` with nothing else on its line: a block below it (deeper than
  // `owner_col`; a sequence may also sit at owner_col under a key), or null.
  YamlNode& value_below(std::size_t line, std::uint32_t owner_col, bool sequence_may_align) {
    std::size_t next = next_content(line + 1);
    if (next < lines_.size()) {
      std::uint32_t indent = lines_[next].indent;
      if (indent > owner_col) return block_node(next, indent);
      if (sequence_may_align && indent == owner_col && dash_at(next, indent))
        return sequence(next, indent);
    }
    at_ = next;
    return empty_value(next);
  }

  // A scalar that fills the rest of `line` from `col`; nothing may continue it below.
  YamlNode& inline_scalar(std::size_t line, std::uint32_t col, std::uint32_t owner_col) {
    char first = at(line, col);
    YamlNode* node = nullptr;
    std::uint32_t after = 0;
    if (first == '"' || first == '\'') {
      std::uint32_t close = col + 1;
      while (at(line, close) != first) {
        char c = at(line, close);
        if (c == '\n' || c == '\\') throw Unsupported{};
        ++close;
      }
      if (first == '\'' && at(line, close + 1) == '\'') throw Unsupported{};  // an escaped quote
      node = &scalar_node(line, col, text_.substr(lines_[line].start + col + 1, close - col - 1),
                          true);
      after = close + 1;
      if (!rest_empty(line, after)) throw Unsupported{};
    } else {
      char second = at(line, col + 1);
      bool negative = first == '-' && ((second >= '0' && second <= '9') || second == '.');
      if (special_start(first) && !negative) throw Unsupported{};
      std::uint32_t end = col;
      for (std::uint32_t c = col;; ++c) {
        char ch = at(line, c);
        if (ch == '\n' || (ch == '#' && at(line, c - 1) == ' ')) break;
        if (ch == ':' && (at(line, c + 1) == ' ' || at(line, c + 1) == '\n')) throw Unsupported{};
        if (ch != ' ') end = c + 1;
      }
      node = &scalar_node(line, col, text_.substr(lines_[line].start + col, end - col), false);
    }
    std::size_t next = next_content(line + 1);
    // A deeper line would continue the scalar (or be an error): yaml-cpp's to read.
    if (next < lines_.size() && lines_[next].indent > owner_col) throw Unsupported{};
    at_ = next;
    return *node;
  }

  YamlNode& sequence(std::size_t line, std::uint32_t col) {
    YamlNode& seq = new_node(line, col);
    seq.set_tag("?");
    seq.set_type(YAML::NodeType::Sequence);
    seq.set_style(YAML::EmitterStyle::Block);
    for (;;) {
      std::uint32_t item_col = col + 1;
      YamlNode* item;
      if (rest_empty(line, item_col)) {
        item = &value_below(line, col, false);
      } else if (dash_at(line, item_col) || find_key_end(line, item_col) != 0) {
        item = &block_node(line, item_col);
      } else {
        item = &inline_scalar(line, item_col, col);
      }
      seq.push_back(*item, memory_);
      if (at_ == lines_.size()) break;
      const Line& next = lines_[at_];
      if (next.indent > col) throw Unsupported{};
      if (next.indent < col || !dash_at(at_, col)) break;  // the owner decides
      line = at_;
    }
    return seq;
  }

  YamlNode& mapping(std::size_t line, std::uint32_t col) {
    YamlNode& map = new_node(line, col);
    map.set_type(YAML::NodeType::Map);
    map.set_tag("?");
    map.set_style(YAML::EmitterStyle::Block);
    for (;;) {
      std::uint32_t colon = key_end(line, col);
      YamlNode& key =
          scalar_node(line, col, text_.substr(lines_[line].start + col, colon - col), false);
      if (key.type() == YAML::NodeType::Null) throw Unsupported{};
      std::uint32_t value_col = colon + 1;
      YamlNode& value = rest_empty(line, value_col) ? value_below(line, col, true)
                                                    : inline_scalar(line, value_col, col);
      map.insert(key, value, memory_);
      if (at_ == lines_.size()) break;
      const Line& next = lines_[at_];
      if (next.indent > col) throw Unsupported{};
      if (next.indent < col) break;
      if (dash_at(at_, col)) throw Unsupported{};  // a sequence where a key belongs
      line = at_;
    }
    return map;
  }
};

}  // namespace

std::optional<YAML::Node> load_plain_block_yaml(std::string_view text) {
  return BlockReader(text).read();
}

}  // namespace mmi
