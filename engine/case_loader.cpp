// Stage 6: case input (JSON via simdjson, YAML via yaml-cpp) → CaseData laid out for a graph.
// One templated walker serves both formats through a small node adapter.
//
// JSON is read strictly (RFC 8259): simdjson On-Demand only checks what is read, so the walker
// reads every value of the line — the facts it loads, and the values of unknown fields, which it
// validates without keeping — then checks that nothing follows the case. A line is therefore
// either read as a strict JSON parser reads it, or rejected; never read differently.
#include <fmt/format.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "engine/case.hpp"
#include "engine/json_case_reader.hpp"
#include "rules/yaml_util.hpp"

namespace mmi {

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

CaseNumber parse_case_number(std::string_view t) {
  // Fast path, most numbers of a case: up to 18 digits, an optional fraction, no exponent.
  if (t.size() <= 19) {
    std::size_t i = t.empty() || t[0] != '-' ? 0 : 1;
    std::uint64_t v = 0;
    int digits = 0, fraction = -1;
    bool plain = i < t.size() && !(t[i] == '0' && i + 1 < t.size() && t[i + 1] != '.');
    for (; plain && i < t.size(); ++i) {
      char ch = t[i];
      if (ch >= '0' && ch <= '9') {
        v = v * 10 + static_cast<std::uint64_t>(ch - '0');
        ++digits;
        if (fraction >= 0) ++fraction;
      } else if (ch == '.' && fraction < 0 && digits > 0) {
        fraction = 0;
      } else {
        plain = false;
      }
    }
    if (plain && digits > 0 && digits <= 18 && fraction != 0) {
      auto c = static_cast<Decimal::Coefficient>(v);
      return CaseNumber{CaseNumber::Status::ok,
                        Decimal::make(t[0] == '-' ? -c : c, fraction > 0 ? -fraction : 0), nullptr};
    }
  }
  auto syntax = [](const char* why) { return CaseNumber{CaseNumber::Status::syntax, {}, why}; };
  auto digit = [&](std::size_t i) { return i < t.size() && t[i] >= '0' && t[i] <= '9'; };
  std::size_t i = 0;
  bool negative = i < t.size() && t[i] == '-';
  if (negative) ++i;
  if (!digit(i)) return syntax("a number starts with a digit or `-` and a digit");
  if (t[i] == '0' && digit(i + 1)) return syntax("leading zeros are not allowed");
  // The digits as coefficient × 10^exponent, trailing zeros kept aside so they never count as
  // significant (1.500 and 1.5 are the same number).
  Decimal::Coefficient coefficient = 0;
  std::int64_t significant = 0, pending_zeros = 0, fraction_digits = 0;
  bool too_many = false;
  auto take = [&](char ch) {
    int d = ch - '0';
    if (d == 0) {
      if (significant > 0) ++pending_zeros;
      return;
    }
    if (significant + pending_zeros + 1 > Decimal::kMaxDigits) {
      too_many = true;
      return;
    }
    for (std::int64_t k = 0; k <= pending_zeros; ++k) coefficient *= 10;
    coefficient += d;
    significant += pending_zeros + 1;
    pending_zeros = 0;
  };
  while (digit(i)) take(t[i++]);
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digit(i)) return syntax("a digit must follow the decimal point");
    while (digit(i)) {
      take(t[i++]);
      ++fraction_digits;
    }
  }
  std::int64_t exponent = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool negative_exponent = i < t.size() && t[i] == '-';
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    if (!digit(i)) return syntax("an exponent needs digits");
    while (digit(i))
      exponent = std::min<std::int64_t>(exponent * 10 + (t[i++] - '0'), 1'000'000'000);
    if (negative_exponent) exponent = -exponent;
  }
  if (i != t.size()) return syntax("this is not a number");
  if (coefficient == 0 && !too_many) return CaseNumber{CaseNumber::Status::ok, Decimal{}, nullptr};
  const char* range =
      "out of range: numbers are read exactly, with at most 34 significant digits and at most 34 "
      "digits before and 34 after the decimal point";
  if (too_many) return CaseNumber{CaseNumber::Status::range, {}, range};
  std::int64_t e = pending_zeros - fraction_digits + exponent;
  if (e < -kMaxCaseDecimals || significant + e > Decimal::kMaxDigits)
    return CaseNumber{CaseNumber::Status::range, {}, range};
  return CaseNumber{CaseNumber::Status::ok,
                    Decimal::make(negative ? -coefficient : coefficient, static_cast<int>(e)),
                    nullptr};
}

namespace {

// What is wrong with a JSON string token (`raw` starts at its opening quote), for messages.
std::string string_problem(std::string_view raw) {
  auto hex4 = [&](std::size_t at, unsigned& code) {
    if (at + 4 > raw.size()) return false;
    code = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      char c = raw[k];
      int v = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (v < 0) return false;
      code = code * 16 + static_cast<unsigned>(v);
    }
    return true;
  };
  for (std::size_t i = 1; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '"') break;
    if (c < 0x20)
      return fmt::format("a control character (0x{:02X}) inside text must be escaped", c);
    if (c != '\\') continue;
    if (i + 1 >= raw.size()) break;
    char e = raw[i + 1];
    if (e != 'u') {
      if (!std::strchr("\"\\/bfnrt", e) || e == '\0')
        return fmt::format("`\\{}` is not a JSON escape", e);
      ++i;
      continue;
    }
    unsigned code = 0;
    if (!hex4(i + 2, code)) return "`\\u` needs four hex digits";
    std::string seq(raw.substr(i, 6));
    if (code >= 0xDC00 && code <= 0xDFFF)
      return fmt::format("`{}` is a lone UTF-16 surrogate, not a character", seq);
    if (code >= 0xD800 && code <= 0xDBFF) {
      unsigned low = 0;
      if (i + 7 >= raw.size() || raw[i + 6] != '\\' || raw[i + 7] != 'u' || !hex4(i + 8, low) ||
          low < 0xDC00 || low > 0xDFFF)
        return fmt::format("`{}` is a lone UTF-16 surrogate, not a character", seq);
      i += 6;
    }
    i += 5;
  }
  return "the text is not valid JSON text";
}

// Where simdjson's first pass failed (it reports no position): a byte that is not UTF-8, a control
// character inside text, or text never closed.
const char* first_text_problem(std::string_view s, std::string& what) {
  std::size_t bad = find_invalid_utf8(s);
  bool in_string = false;
  std::size_t opened = 0;
  for (std::size_t i = 0; i < s.size() && i < bad; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!in_string) {
      if (c == '"') in_string = true, opened = i;
      continue;
    }
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      in_string = false;
    } else if (c < 0x20) {
      what = fmt::format("a control character (0x{:02X}) inside text must be escaped", c);
      return s.data() + i;
    }
  }
  if (bad != std::string_view::npos) {
    what = fmt::format("byte 0x{:02X} is not valid UTF-8", static_cast<unsigned char>(s[bad]));
    return s.data() + bad;
  }
  if (in_string) {
    what = "this text is never closed (a `\"` is missing)";
    return s.data() + opened;
  }
  return nullptr;
}

// A token of the line for messages: up to a structural character or a space, at most 24 bytes.
std::string token_at(const char* p, const char* end) {
  if (p >= end) return {};
  if (std::strchr("{}[],:", *p)) return std::string(1, *p);
  const char* q = p;
  while (q < end && q - p < 24 && !std::strchr("{}[],: \t\r\n", *q)) ++q;
  if (*p == '"') {  // a whole short string
    const char* close =
        static_cast<const char*>(std::memchr(p + 1, '"', static_cast<std::size_t>(end - p - 1)));
    if (close && close - p < 24) q = close + 1;
  }
  if (q == p) ++q;
  return std::string(p, q);
}

enum class JsonKind : std::uint8_t {
  unknown,
  object,
  array,
  string,
  number,
  boolean,
  null,
  invalid
};

// A JSON value, classified (and its atoms validated) on first use; each value is read once.
struct JsonNode {
  using Position = const char*;
  static constexpr bool kIsJson = true;
  mutable simdjson::ondemand::value v;
  mutable JsonKind k = JsonKind::unknown;
  mutable bool b = false;
  mutable std::string_view s;  // a string's unescaped text
  mutable CaseNumber num{};

  explicit JsonNode(simdjson::ondemand::value value) : v(value) {}

  JsonKind kind() const {
    if (k != JsonKind::unknown) return k;
    simdjson::ondemand::json_type t{};
    if (v.type().get(t)) return k = JsonKind::invalid;
    switch (t) {
      case simdjson::ondemand::json_type::object:
        return k = JsonKind::object;
      case simdjson::ondemand::json_type::array:
        return k = JsonKind::array;
      case simdjson::ondemand::json_type::string:
        return k = v.get_string().get(s) ? JsonKind::invalid : JsonKind::string;
      case simdjson::ondemand::json_type::boolean:
        return k = v.get_bool().get(b) ? JsonKind::invalid : JsonKind::boolean;
      case simdjson::ondemand::json_type::null: {
        bool is_null = false;
        return k = v.is_null().get(is_null) || !is_null ? JsonKind::invalid : JsonKind::null;
      }
      default:
        num = parse_case_number(token());
        return k = num.status == CaseNumber::Status::syntax ? JsonKind::invalid : JsonKind::number;
    }
  }
  // The value's text in the line, without the whitespace after it.
  std::string_view token() const {
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    return raw;
  }
  Position position() const { return v.raw_json_token().data(); }
  bool valid() const { return kind() != JsonKind::invalid; }
  bool is_null() const { return kind() == JsonKind::null; }
  bool is_object() const { return kind() == JsonKind::object; }
  bool is_array() const { return kind() == JsonKind::array; }
  std::string kind_name() const {
    switch (kind()) {
      case JsonKind::array:
        return "a list";
      case JsonKind::object:
        return "a mapping";
      case JsonKind::string:
        return "text";
      case JsonKind::boolean:
        return "a bool";
      case JsonKind::null:
        return "null";
      default:
        return "a number";
    }
  }
  // Why an invalid value is invalid, e.g. "`TRUE` is not a JSON value (…)".
  std::string problem() const {
    std::string_view raw = token();
    if (!raw.empty() && raw.front() == '"') return string_problem(raw);
    std::string shown(raw.substr(0, 24));
    if (num.status == CaseNumber::Status::syntax && !raw.empty() &&
        (raw.front() == '-' || (raw.front() >= '0' && raw.front() <= '9')))
      return fmt::format("`{}` is not a JSON number: {}", shown, num.reason);
    return fmt::format(
        "found `{}`, which is not a JSON value (values are true, false, null, numbers, \"text\", "
        "[lists] and {{mappings}})",
        shown);
  }
  std::optional<std::string_view> text() const {
    if (kind() != JsonKind::string) return std::nullopt;
    return s;
  }
  std::string show() const {
    std::string_view raw = token();
    if (raw.size() >= 2 && raw.front() == '"') raw = raw.substr(1, raw.size() - 2);
    return std::string(raw.substr(0, 60));
  }
  CaseNumber number() const {
    if (kind() != JsonKind::number) return CaseNumber{CaseNumber::Status::syntax, {}, nullptr};
    return num;
  }
  std::optional<bool> boolean() const {
    if (kind() != JsonKind::boolean) return std::nullopt;
    return b;
  }
  // A case id: text, or a number as written.
  std::optional<std::string> id() const {
    if (kind() == JsonKind::string) return std::string(s);
    if (kind() == JsonKind::number && num.status == CaseNumber::Status::ok)
      return std::string(token());
    return std::nullopt;
  }
  // f(key, value, key position) → false stops. Returns false when the JSON is malformed here;
  // `bad` is then where (null when simdjson does not say).
  template <typename F>
  bool each_field(F&& f, const char*& bad) const {
    simdjson::ondemand::object object;
    if (v.get_object().get(object)) return false;
    for (auto result : object) {
      simdjson::ondemand::field field;
      if (std::move(result).get(field)) return false;
      const char* key_at = field.key().raw() - 1;
      std::string_view key;
      if (field.unescaped_key().get(key)) {
        bad = key_at;
        return false;
      }
      if (!f(key, JsonNode{field.value()}, key_at)) return true;
    }
    return true;
  }
  template <typename F>
  bool each_item(F&& f, const char*&) const {
    simdjson::ondemand::array array;
    if (v.get_array().get(array)) return false;
    for (auto item : array) {
      simdjson::ondemand::value value;
      if (item.get(value)) return false;
      if (!f(JsonNode{value})) return true;
    }
    return true;
  }
};

struct YamlNode {
  using Position = YAML::Mark;
  static constexpr bool kIsJson = false;
  YAML::Node n;
  bool valid() const { return true; }
  std::string problem() const { return {}; }
  Position position() const { return n.Mark(); }
  bool is_null() const { return !n.IsDefined() || n.IsNull(); }
  bool is_object() const { return n.IsMap(); }
  bool is_array() const { return n.IsSequence(); }
  std::string kind_name() const {
    if (n.IsMap()) return "a mapping";
    if (n.IsSequence()) return "a list";
    return "a value";
  }
  std::optional<std::string_view> text() const {
    if (!n.IsScalar()) return std::nullopt;
    return std::string_view(n.Scalar());
  }
  std::string show() const { return n.IsScalar() ? n.Scalar().substr(0, 60) : kind_name(); }
  // A quoted scalar ("12", 'true') is text, as a JSON string is: never a number or a boolean.
  bool quoted() const { return n.Tag() == "!"; }
  CaseNumber number() const {
    if (!n.IsScalar() || quoted()) return CaseNumber{CaseNumber::Status::syntax, {}, nullptr};
    return parse_case_number(n.Scalar());
  }
  std::optional<bool> boolean() const {
    if (!n.IsScalar() || quoted()) return std::nullopt;
    if (n.Scalar() == "true") return true;
    if (n.Scalar() == "false") return false;
    return std::nullopt;
  }
  std::optional<std::string> id() const {
    if (!n.IsScalar()) return std::nullopt;
    return n.Scalar();
  }
  template <typename F>
  bool each_field(F&& f, const char*&) const {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      if (!f(std::string_view(key), YamlNode{it->second}, it->first.Mark())) break;
    }
    return true;
  }
  template <typename F>
  bool each_item(F&& f, const char*&) const {
    for (auto it = n.begin(); it != n.end(); ++it)
      if (!f(YamlNode{*it})) break;
    return true;
  }
};

}  // namespace

struct CaseLoader::Impl {
  const Graph& g;
  CaseOptions options;
  // The input path being read, kept as parts and only spelled out when an error needs it.
  struct PathPart {
    std::string_view key;
    std::int64_t index;  // -1 for a key
  };
  // A fixed stack: pushing and popping a key per field stays a couple of stores.
  struct PathStack {
    std::array<PathPart, 64> items;
    std::size_t size = 0;
    void push(PathPart p) {
      if (size < items.size()) items[size] = p;
      ++size;
    }
    void pop() { --size; }
    void clear() { size = 0; }
  };
  PathStack parts;
  std::string path_prefix;  // e.g. "--fact benefits.income_start"
  std::string path() const {
    std::string p = path_prefix;
    for (std::size_t k = 0; k < parts.size && k < parts.items.size(); ++k) {
      const PathPart& part = parts.items[k];
      if (part.index >= 0) {
        p += fmt::format("[{}]", part.index);
      } else {
        if (!p.empty()) p += '.';
        p += part.key;
      }
    }
    return p;
  }
  simdjson::ondemand::parser od_parser;
  simdjson::ondemand::document doc;
  std::string padded;
  std::string_view json_text;         // the JSON being read (positions are counted in it)
  std::uint64_t yaml_first_line = 1;  // line of a YAML document's first line in its input
  SortScratch sort_scratch;
  JsonCaseReader fast;  // plain lines; everything else is read here
  std::vector<std::pair<std::string_view, const char*>> unread_keys;  // scratch, per depth below

  // Records with date fields `from` and `to` (facts.md: `to` before `from` is an input error).
  struct DateRange {
    std::int32_t from = -1, to = -1;  // offsets in the record, -1 when absent
  };
  std::vector<DateRange> date_ranges;             // per record layout
  std::vector<const FactInfo*> required_scalars;  // checked by finish()

  Impl(const Graph& graph, CaseOptions o) : g(graph), options(o), fast(graph, o.keep_unread_lists) {
    for (const auto& f : graph.policy.facts)
      if (f.required && f.shape == FactDecl::Shape::scalar) required_scalars.push_back(&f);
    for (const auto& layout : graph.policy.records) {
      std::vector<FieldKey> keys;
      DateRange range;
      for (std::size_t f = 0; f < layout.names.size(); ++f) {
        const auto& n = layout.names[f];
        keys.push_back({static_cast<std::uint32_t>(n.size()), head_of(n)});
        const TypeDesc& t = graph.policy.types[layout.type_ids[f]];
        if (t.tag == TypeTag::date && !t.list) {
          if (n == "from") range.from = static_cast<std::int32_t>(layout.offsets[f]);
          if (n == "to") range.to = static_cast<std::int32_t>(layout.offsets[f]);
        }
      }
      field_keys.push_back(std::move(keys));
      date_ranges.push_back(range.from >= 0 && range.to >= 0 ? range : DateRange{});
    }
  }

  const CheckedPolicy& P() const { return g.policy; }

  bool fail(CaseData& out, std::string message, Code code = Code::E400) {
    if (!out.error) out.error = CaseError{code, std::move(message), path()};
    return false;
  }

  // "column 12" in a JSON line, "line 3, column 12" in a JSON file of several lines; columns
  // count characters from 1.
  std::string where(const char* p) const {
    if (!p || p < json_text.data() || p > json_text.data() + json_text.size())
      return "the end of the line";
    std::size_t line = 1, column = 1;
    for (const char* q = json_text.data(); q < p; ++q) {
      if (*q == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(*q) & 0xC0) != 0x80) {
        ++column;
      }
    }
    return line == 1 ? fmt::format("column {}", column)
                     : fmt::format("line {}, column {}", line, column);
  }
  std::string where(const YAML::Mark& m) const {
    if (m.line < 0) return "an unknown place";
    return fmt::format("line {}, column {}", yaml_first_line + static_cast<std::uint64_t>(m.line),
                       m.column + 1);
  }

  bool syntax_fail(CaseData& out, const char* at, const std::string& what) {
    return fail(out, fmt::format("invalid JSON at {}: {}", where(at), what), Code::E403);
  }
  template <typename N>
  bool invalid(const N& node, CaseData& out) {
    if constexpr (N::kIsJson) return syntax_fail(out, node.position(), node.problem());
    return fail(out, "invalid value", Code::E403);
  }
  // The object or array at `node` broke off (simdjson's iterator stopped): say where.
  bool malformed(CaseData& out, const char* bad) {
    if (!bad) {
      auto location = doc.current_location();
      if (!location.error()) bad = location.value_unsafe();
    }
    const char* end = json_text.data() + json_text.size();
    if (bad && bad < end) {
      if (*bad == '"') {
        // A key whose text is bad, or a good one where it cannot be (after a value, no comma).
        std::string_view rest(bad, static_cast<std::size_t>(end - bad));
        std::string problem = string_problem(rest);
        if (problem != "the text is not valid JSON text") return syntax_fail(out, bad, problem);
      }
      if (*bad == ',' || *bad == ':') {
        // simdjson points at the separator before the token it could not take.
        const char* next = bad + 1;
        while (next < end && (*next == ' ' || *next == '\t' || *next == '\r' || *next == '\n'))
          ++next;
        if (next >= end)
          return syntax_fail(out, end, fmt::format("the line ends after `{}`", *bad));
        return syntax_fail(out, next,
                           fmt::format("unexpected `{}` after `{}`", token_at(next, end), *bad));
      }
      return syntax_fail(out, bad, fmt::format("unexpected `{}`", token_at(bad, end)));
    }
    return syntax_fail(out, end, "the line ends inside the case (a `}` or `]` is missing)");
  }

  struct PathScope {
    PathStack& parts;
    PathScope(PathStack& p, std::string_view key) : parts(p) { parts.push({key, -1}); }
    PathScope(PathStack& p, std::size_t index) : parts(p) {
      parts.push({{}, static_cast<std::int64_t>(index)});
    }
    ~PathScope() { parts.pop(); }
  };

  // Field names by length and first 8 bytes, so most lookups cost one or two compares.
  struct FieldKey {
    std::uint32_t length;
    std::uint64_t head;
  };
  std::vector<std::vector<FieldKey>> field_keys;  // per record layout

  static std::uint64_t head_of(std::string_view s) {
    std::uint64_t h = 0;
    std::memcpy(&h, s.data(), std::min<std::size_t>(8, s.size()));
    return h;
  }

  std::size_t find_field(std::uint32_t layout_index, const RecordLayout& layout,
                         std::string_view key) const {
    const auto& keys = field_keys[layout_index];
    std::uint64_t head = head_of(key);
    for (std::size_t f = 0; f < keys.size(); ++f) {
      if (keys[f].length != key.size() || keys[f].head != head) continue;
      if (key.size() <= 8 ||
          std::memcmp(layout.names[f].data() + 8, key.data() + 8, key.size() - 8) == 0)
        return f;
    }
    return keys.size();
  }

  // Reads a value nobody uses (an unknown field) only to validate it: atoms, text, numbers,
  // structure and duplicate keys, as strictly as the facts that are read.
  bool check_unread(const YamlNode&, CaseData&) { return true; }  // checked before loading
  bool check_unread(const JsonNode& node, CaseData& out) {
    if (!node.valid()) return invalid(node, out);
    if (node.kind() == JsonKind::number && node.num.status != CaseNumber::Status::ok)
      return fail(out, fmt::format("`{}` is {}", node.show(), node.num.reason));
    const char* bad = nullptr;
    bool ok = true;
    if (node.is_object()) {
      std::size_t mark = unread_keys.size();
      std::unique_ptr<std::unordered_map<std::string_view, const char*>> many;
      bool well_formed = node.each_field(
          [&](std::string_view key, const JsonNode& value, const char* key_at) {
            PathScope scope(parts, key);
            const char* first = nullptr;
            if (many) {
              auto [it, inserted] = many->emplace(key, key_at);
              if (!inserted) first = it->second;
            } else {
              for (std::size_t k = mark; k < unread_keys.size() && !first; ++k)
                if (unread_keys[k].first == key) first = unread_keys[k].second;
              if (!first) {
                unread_keys.emplace_back(key, key_at);
                if (unread_keys.size() - mark > 32) {  // a large object: look keys up by hash
                  many = std::make_unique<std::unordered_map<std::string_view, const char*>>(
                      unread_keys.begin() + static_cast<std::ptrdiff_t>(mark), unread_keys.end());
                  unread_keys.resize(mark);
                }
              }
            }
            if (first) {
              ok = fail(out,
                        fmt::format("duplicate key `{}` at {} (first at {})", key, where(key_at),
                                    where(first)),
                        Code::E406);
              return false;
            }
            ok = check_unread(value, out);
            return ok;
          },
          bad);
      unread_keys.resize(mark);
      if (!well_formed) return malformed(out, bad);
    } else if (node.is_array()) {
      std::size_t n = 0;
      bool well_formed = node.each_item(
          [&](const JsonNode& item) {
            PathScope scope(parts, n++);
            ok = check_unread(item, out);
            return ok;
          },
          bad);
      if (!well_formed) return malformed(out, bad);
    }
    return ok;
  }

  template <typename N>
  std::string number_problem(const N& node, const CaseNumber& n) {
    if (n.status == CaseNumber::Status::range)
      return fmt::format("`{}` is {}", node.show(), n.reason);
    std::string shown = node.show();
    if (n.reason && node.text() && !shown.empty() && std::strchr("0123456789-+.", shown[0]))
      return fmt::format("expected a number, found `{}` ({})", node.show(), n.reason);
    return fmt::format("expected a number, found `{}`", node.show());
  }

  template <typename N>
  bool scalar(const N& node, std::uint32_t type_id, Value& slot, CaseData& out) {
    if (!node.valid()) return invalid(node, out);
    if (node.is_null()) {
      slot = Value::missing();
      return true;
    }
    const TypeDesc& t = P().types[type_id];
    if (node.is_object() || node.is_array()) {
      if (!check_unread(node, out)) return false;
      return fail(out,
                  fmt::format("expected {}, found {}", P().type_name(type_id), node.kind_name()));
    }
    switch (t.tag) {
      case TypeTag::boolean: {
        auto b = node.boolean();
        if (!b) return fail(out, fmt::format("expected true or false, found `{}`", node.show()));
        slot = Value::boolean(*b);
        return true;
      }
      case TypeTag::number: {
        CaseNumber d = node.number();
        if (d.status != CaseNumber::Status::ok) return fail(out, number_problem(node, d));
        slot = Value::number(d.value);
        return true;
      }
      case TypeTag::text: {
        auto s = node.text();
        if (!s) return fail(out, fmt::format("expected text, found `{}`", node.show()));
        slot = Value::string(out.keep(*s));
        return true;
      }
      case TypeTag::date: {
        auto s = node.text();
        auto d = s ? parse_iso_date(*s) : std::nullopt;
        if (!d)
          return fail(out, fmt::format("expected a date YYYY-MM-DD, found `{}`",
                                       s ? std::string(*s).substr(0, 60) : node.show()));
        slot = Value::date(*d);
        return true;
      }
      case TypeTag::duration:
      case TypeTag::period: {
        bool months = t.tag == TypeTag::period;
        std::optional<std::int64_t> v;
        CaseNumber n = node.number();
        if (n.status == CaseNumber::Status::ok && n.value.is_integer())
          v = n.value.to_int64_floor();
        std::optional<std::string_view> s;
        if (!v && (s = node.text())) v = parse_iso_span(*s, months);
        if (v && (*v > 100'000'000 || *v < -100'000'000)) v.reset();  // far beyond any calendar
        if (!v)
          return fail(out,
                      fmt::format("expected {} (e.g. {}), found `{}`",
                                  months ? "a period" : "a duration", months ? "P1Y2M" : "P14D",
                                  s ? std::string(*s).substr(0, 60) : node.show()));
        slot = months ? Value::period(*v) : Value::duration(*v);
        return true;
      }
      case TypeTag::enumeration: {
        auto s = node.text();
        const auto& values = g.enum_values[static_cast<std::size_t>(t.enumeration)];
        if (s)
          for (auto v : values)
            if (v == *s) {
              slot = Value::string(v);
              return true;
            }
        std::vector<std::string> names(values.begin(), values.end());
        std::string help = s ? did_you_mean(*s, names) : std::string();
        return fail(
            out,
            fmt::format("`{}` is not one of {}{}", s ? std::string(*s).substr(0, 60) : node.show(),
                        P().type_name(type_id), help.empty() ? "" : " (" + help + ")"));
      }
      default:
        return fail(out, "unsupported fact type");
    }
  }

  // Keys met in one JSON mapping, by field (a bit and the key's place), to find duplicates.
  struct SeenKeys {
    static constexpr std::size_t kInline = 64;
    std::uint64_t mask = 0;
    std::array<const char*, kInline> first_inline;  // written before it is read
    // Fields past kInline (records that wide are rare): (slot, place) in a shared scratch.
    std::vector<std::pair<std::size_t, const char*>>& more;
    std::size_t more_mark;
    explicit SeenKeys(std::vector<std::pair<std::size_t, const char*>>& scratch)
        : more(scratch), more_mark(scratch.size()) {}
    ~SeenKeys() { more.resize(more_mark); }
    // The place of an earlier key for `slot`, or null (then records `at`).
    const char* seen(std::size_t slot, const char* at) {
      if (slot >= kInline) [[unlikely]]
        return seen_wide(slot, at);
      std::uint64_t bit = std::uint64_t{1} << slot;
      if (mask & bit) return first_inline[slot];
      mask |= bit;
      first_inline[slot] = at;
      return nullptr;
    }
    [[gnu::noinline]] const char* seen_wide(std::size_t slot, const char* at) {
      for (std::size_t k = more_mark; k < more.size(); ++k)
        if (more[k].first == slot) return more[k].second;
      more.emplace_back(slot, at);
      return nullptr;
    }
  };
  std::vector<std::pair<std::size_t, const char*>> wide_seen;  // SeenKeys' scratch

  template <typename N>
  bool record(const N& node, std::uint32_t layout_index, Value* base, CaseData& out, bool root) {
    if (!node.valid()) return invalid(node, out);
    if (node.is_null()) return true;
    if (!node.is_object()) {
      if (!check_unread(node, out)) return false;
      return fail(out, fmt::format("expected a mapping, found {}", node.kind_name()));
    }
    const RecordLayout& layout = P().records[layout_index];
    const std::size_t id_slot = layout.names.size(), as_of_slot = id_slot + 1;
    SeenKeys seen(wide_seen);
    std::optional<typename N::Position> to_at;  // where this record's `to` date was read
    std::size_t unread_mark = unread_keys.size();
    bool ok = true;
    const char* bad = nullptr;
    auto duplicate = [&](std::string_view key, const char* first, const char* again) {
      return fail(
          out,
          fmt::format("duplicate key `{}` at {} (first at {})", key, where(again), where(first)),
          Code::E406);
    };
    bool well_formed = node.each_field(
        [&](std::string_view key, const N& value, const typename N::Position& key_at) {
          if (root && key == "id") {
            PathScope scope(parts, "id");
            if constexpr (N::kIsJson)
              if (const char* first = seen.seen(id_slot, key_at))
                return ok = duplicate(key, first, key_at);
            if (!value.valid()) return ok = invalid(value, out);
            auto id = value.id();
            if (!id)
              ok = fail(out, fmt::format("`id` must be text, found {}", value.kind_name()));
            else
              out.id = *id;
            return ok;
          }
          if (root && key == "as_of") {
            PathScope scope(parts, "as_of");
            if constexpr (N::kIsJson)
              if (const char* first = seen.seen(as_of_slot, key_at))
                return ok = duplicate(key, first, key_at);
            if (!value.valid()) return ok = invalid(value, out);
            auto s = value.text();
            auto d = s ? parse_iso_date(*s) : std::nullopt;
            if (!d)
              ok = fail(out, fmt::format("`as_of` must be a date YYYY-MM-DD, found `{}`",
                                         s ? std::string(*s) : value.show()));
            else
              out.as_of = *d, out.has_as_of = true;
            return ok;
          }
          std::size_t f = key.empty() ? layout.names.size() : find_field(layout_index, layout, key);
          PathScope scope(parts, key);
          if (f == layout.names.size()) {
            if constexpr (N::kIsJson) {
              for (std::size_t k = unread_mark; k < unread_keys.size(); ++k)
                if (unread_keys[k].first == key)
                  return ok = duplicate(key, unread_keys[k].second, key_at);
              unread_keys.emplace_back(key, key_at);
            }
            if (!check_unread(value, out)) return ok = false;
            CaseError w{Code::E402, fmt::format("unknown field `{}`", key), path()};
            std::string help = did_you_mean(key, layout.names);
            if (!help.empty()) w.message += " (" + help + ")";
            if (options.strict)
              ok = fail(out, w.message, Code::E402);
            else
              out.warnings.push_back(std::move(w));
            return ok;
          }
          if constexpr (N::kIsJson)
            if (const char* first = seen.seen(f, key_at)) return ok = duplicate(key, first, key_at);
          std::uint32_t type = layout.type_ids[f];
          const TypeDesc& t = P().types[type];
          if (t.list) {
            std::int32_t fact = layout.facts[f];
            ok = list(value, P().facts[static_cast<std::size_t>(fact)].list_index, out);
          } else if (t.tag == TypeTag::record) {
            ok = record(value, static_cast<std::uint32_t>(t.record), base + layout.offsets[f], out,
                        false);
          } else {
            ok = scalar(value, type, base[layout.offsets[f]], out);
            if (ok && static_cast<std::int32_t>(layout.offsets[f]) == date_ranges[layout_index].to)
              to_at = value.position();
          }
          return ok;
        },
        bad);
    unread_keys.resize(unread_mark);
    if (!well_formed) return ok ? malformed(out, bad) : false;
    if (ok && date_ranges[layout_index].to >= 0)
      ok = check_range<N>(layout_index, base, out, to_at);
    return ok;
  }

  template <typename N>
  bool check_range(std::uint32_t layout_index, const Value* base, CaseData& out,
                   const std::optional<typename N::Position>& to_at) {
    const DateRange& range = date_ranges[layout_index];
    const Value& from = base[range.from];
    const Value& to = base[range.to];
    if (from.is_missing() || to.is_missing() || to.i >= from.i) return true;
    PathScope scope(parts, "to");
    std::string at = to_at ? " (at " + where(*to_at) + ")" : std::string();
    return fail(out, fmt::format("`to` {} is before `from` {}{}", format_date(to.i),
                                 format_date(from.i), at));
  }

  template <typename N>
  bool list(const N& node, std::uint32_t list_index, CaseData& out) {
    if (!node.valid()) return invalid(node, out);
    if (node.is_null()) return true;
    if (!node.is_array()) {
      if (!check_unread(node, out)) return false;
      return fail(out, fmt::format("expected a list, found {}", node.kind_name()));
    }
    const ListInfo& info = P().lists[list_index];
    const RecordLayout& layout = P().records[info.item_record];
    CaseList& l = out.lists[list_index];
    std::uint32_t width = layout.width;
    l.fields.clear();
    std::size_t n = 0;
    bool ok = true;
    const char* bad = nullptr;
    bool well_formed = node.each_item(
        [&](const N& item) {
          PathScope scope(parts, n);
          if (n >= 100000) {
            ok = fail(out, "a list of more than 100000 items");
            return false;
          }
          if (!item.valid()) return ok = invalid(item, out);
          if (!item.is_object()) {
            if (!check_unread(item, out)) return ok = false;
            ok = fail(out,
                      fmt::format("expected a mapping for each item, found {}", item.kind_name()));
            return false;
          }
          l.fields.resize((n + 1) * width, Value::missing());
          ok = record(item, info.item_record, l.fields.data() + n * width, out, false);
          if (!ok) return false;
          for (std::size_t f = 0; f < layout.names.size(); ++f) {
            if (layout.required[f] && l.fields[n * width + layout.offsets[f]].is_missing()) {
              PathScope field(parts, layout.names[f]);
              ok = fail(out, fmt::format("required field `{}` is absent", layout.names[f]),
                        Code::E401);
              return false;
            }
          }
          ++n;
          return true;
        },
        bad);
    if (!well_formed) return ok ? malformed(out, bad) : false;
    if (!ok) return false;
    if (!options.keep_unread_lists && !g.lists_read[list_index]) {
      l.fields.clear();  // validated; nothing reads it (Graph::lists_read)
      return true;
    }
    if (layout.date_field >= 0) sort_by_date(l, layout, n, sort_scratch);
    l.items.resize(n);
    for (std::size_t k = 0; k < n; ++k)
      l.items[k] = Value::record(l.fields.data() + k * width, info.item_record,
                                 static_cast<std::int32_t>(k));
    return true;
  }

  void reset(CaseData& out) {
    reset_case(out, P());
    parts.clear();
    unread_keys.clear();
    wide_seen.clear();
  }

  template <typename N>
  bool load(const N& root, CaseData& out) {
    reset(out);
    if (!root.is_object())
      return fail(out, fmt::format("a case must be a mapping, found {}", root.kind_name()),
                  Code::E403);
    return record(root, P().root_record, out.slots.data(), out, true);
  }
};

CaseLoader::CaseLoader(std::shared_ptr<const Graph> graph, CaseOptions options)
    : impl_(std::make_unique<Impl>(*graph, options)), graph_(std::move(graph)), options_(options) {}

CaseLoader::~CaseLoader() = default;

bool CaseLoader::load_json(std::string_view json, CaseData& out, bool padded) {
  Impl& im = *impl_;
  // A UTF-8 byte order mark may start a JSON text (Windows tools write one); it is not content.
  if (json.size() >= 3 && json.compare(0, 3, "\xEF\xBB\xBF") == 0) json.remove_prefix(3);
  const char* data = json.data();
  if (!padded) {
    // On-Demand reads up to kJsonPadding bytes past the end: give it a padded copy.
    im.padded.assign(json.data(), json.size());
    im.padded.append(kJsonPadding, ' ');
    data = im.padded.data();
  }
  im.json_text = std::string_view(data, json.size());
  if (im.options.fast_json && im.fast.read(data, json.size(), out)) return true;
  auto syntax_error = [&](const char* at, const std::string& what) {
    im.reset(out);
    return im.syntax_fail(out, at, what);
  };
  std::size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    im.reset(out);
    out.error = CaseError{Code::E403, "an empty line is not a case", ""};
    return false;
  }
  if (json[first] != '{')
    return syntax_error(data + first,
                        fmt::format("a case must be a JSON object `{{…}}`, found `{}`",
                                    token_at(data + first, data + json.size())));
  auto iterated = im.od_parser.iterate(data, json.size(), json.size() + kJsonPadding);
  if (iterated.error()) {
    std::string what;
    const char* at = first_text_problem(im.json_text, what);
    if (!at) what = simdjson::error_message(iterated.error());
    return syntax_error(at ? at : data + json.size(), what);
  }
  im.doc = std::move(iterated.value_unsafe());
  simdjson::ondemand::value root;
  if (auto error = im.doc.get_value().get(root))
    return syntax_error(data + first, simdjson::error_message(error));
  if (!im.load(JsonNode{root}, out)) return false;
  // One value per line: anything after the case (a second object, text, a comment) is an error.
  auto rest = im.doc.current_location();
  if (!rest.error()) {
    const char* at = rest.value_unsafe();
    if (at < data + json.size()) {
      im.parts.clear();
      out.error.reset();
      return im.syntax_fail(out, at,
                            fmt::format("`{}` after the end of the case (one case per line)",
                                        token_at(at, data + json.size())));
    }
  }
  return true;
}

bool CaseLoader::load_yaml(const YAML::Node& node, CaseData& out, std::uint64_t first_line) {
  Impl& im = *impl_;
  im.yaml_first_line = first_line;
  try {
    // Duplicate keys anywhere (unknown fields included), within a node budget (aliases count
    // each time they are used, so an alias bomb stops early).
    YamlWalkLimit limit{kMaxCaseYamlNodes};
    if (auto dup = find_duplicate_key(node, limit)) {
      im.reset(out);
      out.error = CaseError{Code::E406,
                            fmt::format("duplicate key `{}` at {} (first at {})", dup->key,
                                        im.where(dup->second), im.where(dup->first)),
                            dup->path};
      return false;
    }
    if (limit.exceeded) {
      im.reset(out);
      out.error = CaseError{
          Code::E403,
          fmt::format("the case has more than {} YAML nodes or is nested more than {} deep "
                      "(aliases count each time they are used); not read",
                      kMaxCaseYamlNodes, limit.max_depth),
          ""};
      return false;
    }
    return im.load(YamlNode{node}, out);
  } catch (const std::exception& e) {
    out.error = CaseError{Code::E403, fmt::format("unreadable case: {}", e.what()), ""};
    return false;
  }
}

bool CaseLoader::finish(CaseData& out) const {
  if (out.error) return false;
  const CheckedPolicy& p = graph_->policy;
  if (out.id.empty()) {
    out.error = CaseError{Code::E401, "the case has no `id`", "id"};
    return false;
  }
  if (!out.has_as_of) {
    out.error = CaseError{Code::E401, "the case has no `as_of` date", "as_of"};
    return false;
  }
  if (!options_.ignore_dates &&
      ((p.effective && out.as_of < *p.effective) || (p.expires && out.as_of > *p.expires))) {
    out.error =
        CaseError{Code::E404,
                  fmt::format("as_of {} is outside the policy's effective period ({} to {})",
                              format_date(out.as_of), p.effective ? format_date(*p.effective) : "…",
                              p.expires ? format_date(*p.expires) : "…"),
                  "as_of"};
    return false;
  }
  for (const FactInfo* f : impl_->required_scalars) {
    if (out.slots[f->slot].is_missing()) {
      out.error =
          CaseError{Code::E401, fmt::format("required fact `{}` is absent", f->path), f->path};
      return false;
    }
  }
  return true;
}

bool CaseLoader::set_fact(CaseData& out, const std::string& path, const std::string& value) const {
  const CheckedPolicy& p = graph_->policy;
  if (path == "as_of") {
    auto d = parse_iso_date(value);
    if (!d) {
      out.error = CaseError{Code::E405, fmt::format("`{}` is not a date", value), "--fact as_of"};
      return false;
    }
    out.as_of = *d;
    out.has_as_of = true;
    return true;
  }
  for (const auto& f : p.facts) {
    if (f.path != path) continue;
    if (f.shape != FactDecl::Shape::scalar) {
      out.error =
          CaseError{Code::E405, fmt::format("`{}` is not a single value", path), "--fact " + path};
      return false;
    }
    YAML::Node node;
    try {
      node = YAML::Load(value.empty() ? std::string("~") : value);
    } catch (const std::exception&) {
      node = YAML::Node(value);
    }
    impl_->path_prefix = "--fact " + path;
    impl_->parts.clear();
    std::optional<CaseError> saved = out.error;
    out.error.reset();
    bool ok = impl_->scalar(YamlNode{node}, f.type_id, out.slots[f.slot], out);
    impl_->path_prefix.clear();
    if (!ok) return false;
    out.error = saved;
    return true;
  }
  std::vector<std::string> names;
  for (const auto& f : p.facts) names.push_back(f.path);
  std::string help = did_you_mean(path, names);
  out.error = CaseError{Code::E405,
                        fmt::format("no fact `{}`{}", path, help.empty() ? "" : " (" + help + ")"),
                        "--fact " + path};
  return false;
}

}  // namespace mmi
