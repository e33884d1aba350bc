#include "rules/yaml_util.hpp"

#include "rules/yaml_block.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace mmi {

namespace {
constexpr std::size_t kMaxNodesWalked = 1'000'000;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<std::string> read_text_file(const std::string& path, DiagnosticList& diags,
                                          const SourceLocation& requested_at,
                                          std::size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags.error(Code::E001, fmt::format("cannot read `{}`: it is a directory", path), requested_at);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(Code::E001, fmt::format("cannot read `{}`: no such file or not readable", path),
                requested_at);
    return std::nullopt;
  }
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0) {
    // Not seekable (a pipe, /dev/stdin): read it in pieces, still within the limit.
    in.clear();
    std::string text;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(in.gcount()));
      if (text.size() > max_bytes) {
        diags.error(Code::E004, fmt::format("`{}` is larger than {} MiB", path, max_bytes >> 20),
                    SourceLocation{nullptr, path});
        return std::nullopt;
      }
    }
    return text;
  }
  if (static_cast<std::size_t>(size) > max_bytes) {
    diags.error(Code::E004,
                fmt::format("`{}` is {} bytes; files over {} MiB are refused", path,
                            static_cast<long long>(size), max_bytes >> 20),
                SourceLocation{nullptr, path});
    return std::nullopt;
  }
  in.seekg(0);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), size);
  return text;
}

std::size_t find_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = (c >= 0xC2 && c <= 0xDF)   ? 1
                : (c >= 0xE0 && c <= 0xEF) ? 2
                : (c >= 0xF0 && c <= 0xF4) ? 3
                                           : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size()) return i;
    for (int k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
    }
    if (c == 0xE0 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return i;
    if (c == 0xED && static_cast<unsigned char>(s[i + 1]) > 0x9F) return i;
    if (c == 0xF0 && static_cast<unsigned char>(s[i + 1]) < 0x90) return i;
    if (c == 0xF4 && static_cast<unsigned char>(s[i + 1]) > 0x8F) return i;
    i += extra + 1;
  }
  return std::string_view::npos;
}

SourceLocation YamlContext::location_at(const YAML::Mark& mark, std::uint32_t length) const {
  SourceLocation loc;
  loc.file = source_;
  loc.path = source_->path;
  if (mark.line >= 0 && mark.column >= 0) {
    loc.line = static_cast<std::uint32_t>(mark.line) + 1;
    loc.column = static_cast<std::uint32_t>(mark.column) + 1;
  }
  loc.length = length;
  return loc;
}

SourceLocation YamlContext::location(const YAML::Node& node) const {
  std::uint32_t length = 1;
  if (node.IsScalar())
    length = static_cast<std::uint32_t>(
        std::min<std::size_t>(std::max<std::size_t>(1, node.Scalar().size()), 200));
  return location_at(node.Mark(), length);
}

namespace {
// The help for a YAML structure error (`illegal map value`, `end of map not found`, …): these
// come from indentation, so name the line where the enclosing block starts — the nearest line
// above indented less than the one in error.
std::string structure_help(const SourceFile& src, const std::string& message, int mark_line) {
  static const char* const kStructural[] = {
      "illegal map value", "end of map not found", "end of sequence not found", "block sequence",
      "block map",         "illegal tab"};
  bool structural = false;
  for (const char* s : kStructural) structural = structural || message.find(s) != std::string::npos;
  if (!structural || mark_line < 0) return "";
  auto indent_of = [](std::string_view line) -> std::optional<std::size_t> {
    std::size_t k = line.find_first_not_of(' ');
    if (k == std::string_view::npos || line[k] == '#' || line[k] == '\r') return std::nullopt;
    return k;
  };
  std::uint32_t line = static_cast<std::uint32_t>(mark_line) + 1;
  std::string help =
      "check the indentation: the keys of one block start in the same column (spaces, not "
      "tabs), and a value containing `: ` must be quoted";
  std::optional<std::size_t> here;
  for (std::uint32_t l = line; l >= 1 && !here; --l) here = indent_of(src.line(l)), line = l;
  if (!here) return help;
  auto text_of = [&](std::uint32_t l, std::size_t indent) {
    std::string text(src.line(l).substr(indent));
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
  };
  // The line above: indented less than `here` and holding a value (`when: true`), the line in
  // error is indented too deep under it; the enclosing block is then the one that line is in.
  std::size_t deeper_than = *here;
  for (std::uint32_t l = line - 1; l >= 1; --l) {
    auto indent = indent_of(src.line(l));
    if (!indent) continue;
    std::string text = text_of(l, *indent);
    if (*indent < *here && !text.empty() && text.back() != ':' && text.back() != '|' &&
        text.back() != '>') {
      help += fmt::format(
          "; line {} is indented deeper than line {} (`{}`), which already has "
          "a value",
          line, l, text);
      deeper_than = *indent;
    }
    break;
  }
  for (std::uint32_t l = line - 1; l >= 1; --l) {
    auto indent = indent_of(src.line(l));
    if (indent && *indent < deeper_than)
      return help +
             fmt::format("; the enclosing block starts at line {}: `{}`", l, text_of(l, *indent));
  }
  return help;
}

SourceLocation offset_location(const std::shared_ptr<const SourceFile>& src, std::size_t off) {
  SourceLocation loc{src, src->path};
  auto it = std::upper_bound(src->line_starts.begin(), src->line_starts.end(),
                             static_cast<std::uint32_t>(off));
  loc.line = static_cast<std::uint32_t>(it - src->line_starts.begin());
  loc.column = static_cast<std::uint32_t>(off - src->line_starts[loc.line - 1]) + 1;
  return loc;
}
}  // namespace

// Inside a catch block: the located diagnostic for what yaml-cpp threw.
void YamlContext::report_load_failure() {
  try {
    throw;
  } catch (const YAML::DeepRecursion& e) {
    diags.error(Code::E004, "YAML nested too deeply", location_at(e.mark));
  } catch (const YAML::Exception& e) {
    diags.error(Code::E002, "YAML syntax error: " + e.msg, location_at(e.mark),
                structure_help(*source_, e.msg, e.mark.line));
  } catch (const std::exception& e) {
    diags.error(Code::E002, std::string("YAML could not be read: ") + e.what(),
                SourceLocation{source_, source_->path});
  }
}

std::optional<YAML::Node> YamlContext::parse() {
  std::size_t bad = find_invalid_utf8(source_->text);
  if (bad != std::string_view::npos) {
    diags.error(Code::E002,
                fmt::format("byte 0x{:02X} is not valid UTF-8 text (is this a binary file?)",
                            static_cast<unsigned char>(source_->text[bad])),
                offset_location(source_, bad));
    return std::nullopt;
  }
  // Plain block YAML (most policies, every generated one) is read without yaml-cpp's scanner;
  // anything else, and every error, is left to YAML::Load.
  if (auto root = load_plain_block_yaml(source_->text)) return root;
  try {
    YAML::Node root = YAML::Load(source_->text);
    if (root.IsNull() || !root.IsDefined()) {
      diags.error(Code::E002, "the file is empty", SourceLocation{source_, source_->path, 1, 1});
      return std::nullopt;
    }
    return root;
  } catch (const std::exception&) {
    report_load_failure();
  }
  return std::nullopt;
}

namespace {

struct DuplicateFinder {
  YamlWalkLimit& limit;
  std::vector<std::string> path;  // keys, or "[N]" for items

  std::string spelled() const {
    std::string p;
    for (const auto& part : path) {
      if (!p.empty() && part[0] != '[') p += '.';
      p += part;
    }
    return p;
  }

  std::optional<DuplicateKey> walk(const YAML::Node& node) {
    if (limit.exceeded) return std::nullopt;
    if (limit.nodes_left == 0 || path.size() > limit.max_depth) {
      limit.exceeded = true;
      return std::nullopt;
    }
    --limit.nodes_left;
    if (node.IsSequence()) {
      std::size_t index = 0;
      for (auto it = node.begin(); it != node.end(); ++it) {
        path.push_back(fmt::format("[{}]", index++));
        auto found = walk(*it);
        path.pop_back();
        if (found || limit.exceeded) return found;
      }
    } else if (node.IsMap()) {
      // Few keys: compare in place; many: by hash.
      std::vector<std::pair<std::string, YAML::Mark>> keys;
      std::unordered_map<std::string, YAML::Mark> many;
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;  // a copy: `it->` yields a temporary proxy
        if (key.IsScalar()) {
          const std::string& name = key.Scalar();
          std::optional<YAML::Mark> first;
          if (!many.empty()) {
            auto [at, inserted] = many.emplace(name, key.Mark());
            if (!inserted) first = at->second;
          } else {
            for (const auto& [k, m] : keys)
              if (k == name) first = m;
            if (!first) {
              keys.emplace_back(name, key.Mark());
              if (keys.size() > 16) many.insert(keys.begin(), keys.end());
            }
          }
          if (first) {
            path.push_back(name);
            DuplicateKey d{name, spelled(), *first, key.Mark()};
            path.pop_back();
            return d;
          }
        }
        path.push_back(key.IsScalar() ? key.Scalar() : std::string("?"));
        auto found = walk(it->second);
        path.pop_back();
        if (found || limit.exceeded) return found;
      }
    }
    return std::nullopt;
  }
};

// Counts a document's nodes from the parser's events, before yaml-cpp builds a tree of them.
struct NodeCounter final : YAML::EventHandler {
  std::size_t left;
  struct OverBudget {
    YAML::Mark mark;
  };
  explicit NodeCounter(std::size_t max) : left(max) {}
  void count(const YAML::Mark& m) {
    if (left == 0) throw OverBudget{m};
    --left;
  }
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    count(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnMapEnd() override {}
};

YAML::Mark mark_of_offset(const std::string& text, std::size_t offset) {
  YAML::Mark m;
  m.pos = static_cast<int>(offset);
  m.line = static_cast<int>(
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = line_start == std::string::npos || offset == 0 ? 0 : line_start + 1;
  m.column = static_cast<int>(offset - line_start);
  return m;
}

}  // namespace

std::optional<DuplicateKey> find_duplicate_key(const YAML::Node& node, YamlWalkLimit& limit) {
  DuplicateFinder finder{limit, {}};
  return finder.walk(node);
}

std::optional<YAML::Node> parse_case_yaml(const std::string& text, YamlProblem& problem,
                                          std::size_t max_nodes) {
  std::size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    problem = {
        fmt::format("byte 0x{:02X} is not valid UTF-8 text", static_cast<unsigned char>(text[bad])),
        mark_of_offset(text, bad), false};
    return std::nullopt;
  }
  try {
    // A node takes at least two bytes (`1,`), so only a longer text can be over budget: count
    // its nodes from the parser's events first, which builds nothing.
    if (text.size() / 2 > max_nodes) {
      std::istringstream in(text);
      YAML::Parser parser(in);
      NodeCounter counter(max_nodes);
      try {
        parser.HandleNextDocument(counter);
      } catch (const NodeCounter::OverBudget& over) {
        problem = {fmt::format("the case has more than {} YAML nodes; not read", max_nodes),
                   over.mark, true};
        return std::nullopt;
      }
    }
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    for (std::size_t k = 1; k < docs.size(); ++k)
      if (docs[k].IsDefined() && !docs[k].IsNull()) {
        problem = {
            "content after the end of the case (a second case needs a `---` line before "
            "it)",
            docs[k].Mark(), false};
        return std::nullopt;
      }
    if (docs.empty()) return YAML::Node(YAML::NodeType::Null);
    return docs.front();
  } catch (const YAML::DeepRecursion& e) {
    problem = {"YAML nested too deeply", e.mark, true};
  } catch (const YAML::Exception& e) {
    problem = {e.msg, e.mark, false};
  }
  return std::nullopt;
}

std::optional<YAML::Node> YamlContext::parse_case() {
  YamlProblem problem;
  auto root = parse_case_yaml(source_->text, problem);
  if (!root) {
    diags.error(problem.budget ? Code::E004 : Code::E002,
                problem.budget ? problem.message : "YAML syntax error: " + problem.message,
                location_at(problem.mark),
                problem.budget ? std::string()
                               : structure_help(*source_, problem.message, problem.mark.line));
    return std::nullopt;
  }
  if (root->IsNull()) {
    diags.error(Code::E002, "the file is empty", SourceLocation{source_, source_->path, 1, 1});
    return std::nullopt;
  }
  return root;
}

std::vector<YAML::Node> YamlContext::parse_all() {
  std::vector<YAML::Node> docs;
  std::size_t bad = find_invalid_utf8(source_->text);
  if (bad != std::string_view::npos) {
    diags.error(Code::E002,
                fmt::format("byte 0x{:02X} is not valid UTF-8 text",
                            static_cast<unsigned char>(source_->text[bad])),
                offset_location(source_, bad));
    return docs;
  }
  try {
    docs = YAML::LoadAll(source_->text);
  } catch (const std::exception&) {
    report_load_failure();
  }
  return docs;
}

bool YamlContext::budget(const YAML::Node& node) {
  if (over_budget_) return false;
  if (++walked_ > kMaxNodesWalked) {
    over_budget_ = true;
    diags.error(Code::E004, "too many YAML nodes (an alias bomb?); stopped reading here",
                location(node));
    return false;
  }
  return true;
}

std::vector<YamlEntry> YamlContext::entries(const YAML::Node& map,
                                            const std::vector<std::string>& allowed,
                                            const char* what) {
  std::vector<YamlEntry> out;
  if (!map.IsMap()) return out;
  out.reserve(map.size());
  // Keys seen so far (the tree owns their text), with the key node for a duplicate's note. Few
  // keys are compared in place; many by hash, so a mapping of thousands stays linear.
  std::vector<std::pair<std::string_view, YAML::Node>> seen;
  std::unordered_map<std::string_view, std::size_t> many;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!budget(it->first)) break;
    const YAML::Node key = it->first;  // a copy: `it->` yields a temporary proxy
    if (!key.IsScalar()) {
      diags.error(Code::E012, "keys must be plain names", location(key));
      continue;
    }
    const std::string& name = key.Scalar();
    std::optional<std::size_t> first;
    if (!many.empty()) {
      auto [at, fresh] = many.emplace(name, seen.size());
      if (!fresh) first = at->second;
    } else {
      for (std::size_t k = 0; k < seen.size() && !first; ++k)
        if (seen[k].first == name) first = k;
    }
    if (!first) {
      seen.emplace_back(name, key);
      if (many.empty() && seen.size() > 16)
        for (std::size_t k = 0; k < seen.size(); ++k) many.emplace(seen[k].first, k);
    }
    SourceLocation at = location(key);
    if (first) {
      diags.error(Code::E003, fmt::format("duplicate key `{}`", name), at)
          .notes.push_back({"first written here", location(seen[*first].second)});
      continue;
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      diags.error(Code::E010, fmt::format("unknown {} `{}`", what, name), at,
                  did_you_mean(name, allowed));
      continue;
    }
    out.push_back({name, it->second, std::move(at)});
  }
  return out;
}

bool YamlContext::has_key(const YAML::Node& map, const std::string& key) {
  if (!map.IsMap()) return false;
  for (auto it = map.begin(); it != map.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == key) return true;
  return false;
}

// yaml-cpp accepts a quoted scalar that runs to the end of the file; that is a typo (a missing
// closing quote) which would silently swallow the rest of the document.
bool YamlContext::quote_closed(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  const std::string& raw = source_->text;
  if (m.pos < 0 || static_cast<std::size_t>(m.pos) >= raw.size()) return true;
  std::size_t pos = static_cast<std::size_t>(m.pos);
  char quote = raw[pos];
  if (quote != '"' && quote != '\'') return true;
  for (std::size_t i = pos + 1; i < raw.size(); ++i) {
    if (quote == '"' && raw[i] == '\\') {
      ++i;
      continue;
    }
    if (raw[i] != quote) continue;
    if (quote == '\'' && i + 1 < raw.size() && raw[i + 1] == '\'') {
      ++i;
      continue;
    }
    return true;
  }
  diags.error(Code::E002, "YAML syntax error: this quoted string is never closed", location_at(m));
  return false;
}

std::string YamlContext::scalar(const YAML::Node& node, const char* what) {
  if (node.IsScalar()) return quote_closed(node) ? node.Scalar() : std::string();
  if (node.IsNull()) return {};
  diags.error(Code::E012, fmt::format("{} must be a single value, not a list or mapping", what),
              location(node));
  return {};
}

bool YamlContext::boolean(const YAML::Node& node, const char* what) {
  std::string s = scalar(node, what);
  if (s == "true") return true;
  if (s == "false") return false;
  diags.error(Code::E012, fmt::format("{} must be `true` or `false`", what), location(node));
  return false;
}

std::optional<DayNumber> YamlContext::date(const YAML::Node& node, const std::string& what) {
  std::string s = scalar(node, what.c_str());
  auto d = parse_iso_date(s);
  if (!d)
    diags.error(Code::E018, fmt::format("{} must be a date YYYY-MM-DD, not `{}`", what, s),
                location(node));
  return d;
}

ExprSource YamlContext::expr(const YAML::Node& node) {
  if (!node.IsScalar() && !node.IsNull()) {
    diags.error(Code::E012, "an expression must be a YAML string, not a list or mapping",
                location(node));
    return ExprSource::detached("", source_->path);
  }
  std::string text = node.IsScalar() && quote_closed(node) ? node.Scalar() : std::string();
  const YAML::Mark m = node.Mark();
  std::uint32_t pos = m.pos >= 0 ? static_cast<std::uint32_t>(m.pos) : 0;
  std::uint32_t line = m.line >= 0 ? static_cast<std::uint32_t>(m.line) + 1 : 0;
  std::uint32_t col = m.column >= 0 ? static_cast<std::uint32_t>(m.column) + 1 : 0;
  return ExprSource(std::move(text), source_, pos, line, col);
}

void YamlContext::wrong_kind(const YAML::Node& node, const std::string& message) {
  diags.error(Code::E012, message, location(node));
}

}  // namespace mmi
