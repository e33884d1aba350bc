// The plain block YAML reader (rules/yaml_block.hpp) against YAML::Load: whatever it accepts, it
// must read into the very tree yaml-cpp builds — kinds, scalars, tags, styles, marks (pos, line,
// column) and key order — and whatever it does not know it must refuse, so yaml-cpp reads it.
// Checked on hand-written cases, on every YAML file of the repository and on seeded mutations
// of them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rules/yaml_block.hpp"

namespace {

std::string mark_text(const YAML::Mark& m) {
  return std::to_string(m.pos) + "@" + std::to_string(m.line) + ":" + std::to_string(m.column);
}

// The first difference between two trees, or "" when they are the same.
std::string tree_difference(const YAML::Node& a, const YAML::Node& b, const std::string& where) {
  if (a.Type() != b.Type()) return where + ": node kinds differ";
  if (a.Tag() != b.Tag()) return where + ": tag `" + a.Tag() + "` vs `" + b.Tag() + "`";
  if (mark_text(a.Mark()) != mark_text(b.Mark()))
    return where + ": mark " + mark_text(a.Mark()) + " vs " + mark_text(b.Mark());
  if (a.IsScalar() && a.Scalar() != b.Scalar())
    return where + ": `" + a.Scalar() + "` vs `" + b.Scalar() + "`";
  if (!a.IsSequence() && !a.IsMap()) return "";
  if (a.Style() != b.Style()) return where + ": styles differ";
  if (a.size() != b.size()) return where + ": sizes differ";
  if (a.IsSequence()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto d = tree_difference(a[i], b[i], where + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    auto d = tree_difference(ia->first, ib->first, where + " key");
    if (d.empty())
      d = tree_difference(ia->second, ib->second,
                          where + "." + (ia->first.IsScalar() ? ia->first.Scalar() : "?"));
    if (!d.empty()) return d;
  }
  return "";
}

enum class Outcome { refused, same, different };

// What the reader makes of `text`, compared with yaml-cpp ("different" also when yaml-cpp
// refuses what the reader accepted).
Outcome compare(const std::string& text, std::string* why = nullptr) {
  auto fast = mmi::load_plain_block_yaml(text);
  if (!fast) return Outcome::refused;
  YAML::Node slow;
  try {
    slow = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    if (why) *why = "yaml-cpp refuses it: " + e.msg;
    return Outcome::different;
  }
  std::string d = tree_difference(*fast, slow, "$");
  if (why) *why = d;
  return d.empty() ? Outcome::same : Outcome::different;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The repository's YAML files, with the bytes the reader refuses (non-ASCII, tabs, CR) replaced,
// so that more of them exercise it.
std::vector<std::string> repository_yaml() {
  std::vector<std::string> texts;
  namespace fs = std::filesystem;
  for (const char* dir : {"policies", "examples", "tests"}) {
    fs::path root = fs::path(MMI_SOURCE_DIR) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
      std::string text = read_file(entry.path());
      if (text.size() > 64 * 1024) continue;
      for (char& c : text)
        if (static_cast<unsigned char>(c) > 0x7e || c == '\t' || c == '\r') c = 'x';
      texts.push_back(std::move(text));
    }
  }
  return texts;
}

}  // namespace

TEST_CASE("the block reader builds yaml-cpp's tree for what it accepts") {
  const char* const same[] = {
      "policy: p\nversion: \"1\"\nrules:\n  - id: r1\n    when: a > 1 and b\n    mmi_date: d\n",
      "a:\nb: 1\nc:\n",                                    // empty values: marked at the next token
      "a: 1\nc:",                                          // … or at the end of the text
      "a: 1\nc:\n\n# x\n",                                 //
      "a:   \n  # comment\nb: ~\nc: null\nd: \"null\"\n",  // null words, but not quoted ones
      "a:\n- x\n- y\nb: 2\n",                              // a sequence level with its key
      "- \n-\n- a\n",                                      // empty items
      "- a: 1\n  b:\n  - x\n  c: 3\n-   d: 4\n    e: 5\n",  // compact mappings in items
      "- - a\n  - b\n- c\n",                                // a sequence in an item
      "a: b # c\n# top\n  # indented comment\nc: \"q\" # x\nd: 'single'\n",
      "a: -5\nb: -.5\nc: a-b\nd: 1 days\n",
      "a:\n\n  b: c\n\n\nd: e\n",
      "a b: c d  e\n",                  // spaces inside plain scalars
      "a: http://x\nb: a:b\nc: x#y\n",  // `:` and `#` that are not indicators
      "a: 1\na: 2\n",                   // duplicates stay (entries() reports them)
      "  a: 1\n  b: 2\n",
      "a:\n  -\n  - 2\n",
  };
  for (const char* text : same) {
    INFO(text);
    std::string why;
    Outcome o = compare(text, &why);
    INFO(why);
    CHECK(o == Outcome::same);
  }
}

TEST_CASE("the block reader leaves everything else to yaml-cpp") {
  const char* const refused[] = {
      "",                     // empty: yaml-cpp's "the file is empty"
      "# only a comment\n",   //
      "a: [1, 2]\n",          // flow collections
      "a: {b: 1}\n",          //
      "a: |\n  text\n",       // block scalars
      "a: >\n  text\n",       //
      "a: b\n  c\n",          // a multi-line plain scalar
      "a: \"b\n  c\"\n",      // a multi-line quoted scalar
      "a: \"b\\n\"\n",        // escapes
      "a: 'it''s'\n",         //
      "a: &x 1\nb: *x\n",     // anchors and aliases
      "a: !tag 1\n",          // tags
      "---\na: 1\n",          // document markers
      "a: 1\n...\n",          //
      "a:\tb\n",              // tabs
      "a: 1\r\n",             // CR
      "a: caf\xc3\xa9\n",     // non-ASCII
      "\"a\": 1\n",           // quoted keys
      "? a\n: 1\n",           // explicit keys
      "a: b: c\n",            // errors: a mapping value in a plain scalar
      "a: 1\n b: 2\n",        // bad indentation
      "a:\n  b: 1\n c: 2\n",  //
      "a: 1\n- b\n",          // a sequence where a key belongs
      "- a\nb: 1\n",          //
      "a\n",                  // a scalar document
      "a: \"b\" c\n",         // text after a quoted scalar
      "null: 1\n",            // a null key
  };
  for (const char* text : refused) {
    INFO(text);
    CHECK(compare(text) == Outcome::refused);
  }
  // Nesting deeper than the reader's own limit goes to yaml-cpp's depth guard, both as nested
  // items on one line and as indentation.
  std::string items, keys;
  for (int depth = 0; depth < 5000; ++depth) items += "- ";
  items += "x\n";
  for (int depth = 0; depth < 300; ++depth) keys += std::string(depth, ' ') + "k:\n";
  CHECK(!mmi::load_plain_block_yaml(items));
  CHECK(!mmi::load_plain_block_yaml(keys));
  CHECK(mmi::load_plain_block_yaml(keys.substr(0, keys.find(std::string(150, ' ')))));
}

TEST_CASE("the block reader agrees with yaml-cpp on the repository's YAML and its mutations") {
  auto texts = repository_yaml();
  REQUIRE(texts.size() > 20);
  int accepted = 0;
  for (const auto& text : texts) {
    std::string why;
    Outcome o = compare(text, &why);
    INFO(text.substr(0, 200));
    INFO(why);
    CHECK(o != Outcome::different);
    accepted += o == Outcome::same;
  }
  CHECK(accepted >= 5);
  // Seeded mutations: bytes deleted, inserted or replaced by the characters YAML structure is
  // made of. Every mutant the reader accepts must read as yaml-cpp reads it.
  std::mt19937 rng(11);
  const std::string alphabet = " -:#\n'\"ab1~ \n-:";
  int mutants_accepted = 0;
  for (int round = 0; round < 6000; ++round) {
    std::string text = texts[rng() % texts.size()];
    if (text.empty()) continue;
    for (int m = 1 + static_cast<int>(rng() % 3); m > 0 && !text.empty(); --m) {
      std::size_t at = rng() % text.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text[at] = c;
      }
    }
    std::string why;
    Outcome o = compare(text, &why);
    if (o == Outcome::different) {
      INFO(text);
      INFO(why);
      CHECK(o != Outcome::different);
    }
    mutants_accepted += o == Outcome::same;
  }
  CHECK(mutants_accepted > 300);
}
