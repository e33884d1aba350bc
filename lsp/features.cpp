#include "lsp/features.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "rules/builtins.hpp"

namespace mmi::lsp {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

json position_json(Position p) {
  return {{"line", p.line}, {"character", p.character}};
}

// The LSP range of byte columns [begin, end) on a 0-based line of `line_text`.
json range_json(std::uint32_t line, std::string_view line_text, std::uint32_t begin,
                std::uint32_t end) {
  begin = std::min<std::uint32_t>(begin, line_text.size());
  end = std::clamp<std::uint32_t>(end, begin, line_text.size());
  return {{"start", position_json({line, utf16_length(line_text.substr(0, begin))})},
          {"end", position_json({line, utf16_length(line_text.substr(0, end))})}};
}

json span_range(const Span& s) {
  std::string_view line = s.file ? s.file->line(s.line + 1) : std::string_view{};
  return range_json(s.line, line, s.begin, s.end);
}

json location_range(const SourceLocation& at) {
  if (!at.file || at.line == 0) return range_json(0, {}, 0, 0);
  std::string_view line = at.file->line(at.line);
  std::uint32_t b = at.column > 0 ? at.column - 1 : 0;
  return range_json(at.line - 1, line, b, b + std::max<std::uint32_t>(at.length, 1));
}

// The occurrence under the cursor, if the document still has the text the analysis saw there.
const Occurrence* occurrence_at(const DocumentView& doc, Position at) {
  if (!doc.analysis) return nullptr;
  LineMap map(doc.text);
  std::string_view line = map.line(at.line);
  std::uint32_t col = byte_of_utf16(line, at.character);
  for (const auto& o : doc.analysis->occurrences) {
    if (o.at.path != doc.path || o.at.line != at.line || col < o.at.begin || col > o.at.end)
      continue;
    std::string_view seen = o.at.file ? o.at.file->line(o.at.line + 1) : std::string_view{};
    if (o.at.end > line.size() || o.at.end > seen.size() ||
        line.substr(o.at.begin, o.at.end - o.at.begin) !=
            seen.substr(o.at.begin, o.at.end - o.at.begin))
      continue;
    return &o;
  }
  return nullptr;
}

std::string word_at(const DocumentView& doc, Position at) {
  LineMap map(doc.text);
  std::string_view line = map.line(at.line);
  std::size_t col = byte_of_utf16(line, at.character);
  std::size_t b = col, e = col;
  while (b > 0 && is_name_char(line[b - 1])) --b;
  while (e < line.size() && is_name_char(line[e])) ++e;
  return std::string(line.substr(b, e - b));
}

// ---- the expression under the cursor -----------------------------------------------------------

struct ExprContext {
  std::string prefix;  // the expression's text before the cursor
  bool decision = false;
};

bool before(const SourceLocation& a, std::uint32_t line, std::uint32_t col) {
  return a.line < line || (a.line == line && a.column < col);
}

std::optional<ExprContext> expression_at(const DocumentView& doc, Position at) {
  LineMap map(doc.text);
  std::string_view line_text = map.line(at.line);
  std::uint32_t line1 = at.line + 1;
  std::uint32_t col1 = byte_of_utf16(line_text, at.character) + 1;
  DiagnosticList scratch;
  auto file = load_policy_text(doc.path, doc.text, scratch);
  if (file) {
    std::vector<std::pair<const ExprSource*, bool>> exprs;
    for (const auto& p : file->parameters) {
      if (p.value) exprs.emplace_back(&*p.value, false);
      for (const auto& s : p.series) exprs.emplace_back(&s.value, false);
    }
    for (const auto& l : file->lets) exprs.emplace_back(&l.expr, false);
    for (const auto& r : file->rules) {
      if (r.when) exprs.emplace_back(&*r.when, false);
      if (r.mmi_date) exprs.emplace_back(&*r.mmi_date, false);
      if (r.unless) exprs.emplace_back(&*r.unless, false);
    }
    if (file->decision && file->decision->coverage_cutoff)
      exprs.emplace_back(&*file->decision->coverage_cutoff, true);
    for (const auto& o : file->outputs) exprs.emplace_back(&o.expr, true);
    for (const auto& [src, decision] : exprs) {
      const std::string& text = src->text();
      if (text.empty()) continue;
      SourceLocation start = src->location_of(0);
      if (!(start.line < line1 || (start.line == line1 && start.column <= col1))) continue;
      SourceLocation last = src->location_of(static_cast<std::uint32_t>(text.size() - 1));
      bool inside = last.line > line1 || (last.line == line1 && last.column + 1 >= col1);
      if (!inside) continue;
      // The characters placed before the cursor (positions grow with the offset).
      std::uint32_t lo = 0, hi = static_cast<std::uint32_t>(text.size());
      while (lo < hi) {
        std::uint32_t mid = lo + (hi - lo) / 2;
        if (before(src->location_of(mid), line1, col1))
          lo = mid + 1;
        else
          hi = mid;
      }
      std::uint32_t count = lo;
      return ExprContext{text.substr(0, count), decision};
    }
  }
  // The YAML may not load while it is being typed: read `key: text` on the cursor's line.
  static const std::set<std::string> kNotExpressions = {
      "policy",  "title", "insurer", "jurisdiction", "line",        "version", "definition",
      "include", "hit",   "order",   "id",           "description", "cites",   "effective",
      "expires", "name",  "case",    "expect",       "override"};
  std::string before_cursor(line_text.substr(0, col1 - 1));
  // `key: text` (or `- key: text`, or `2020-01-01: text` in a dated series).
  std::size_t i = 0;
  while (i < before_cursor.size() && (before_cursor[i] == ' ' || before_cursor[i] == '-')) ++i;
  std::size_t key_begin = i;
  while (i < before_cursor.size() && (is_name_char(before_cursor[i]) || before_cursor[i] == '-'))
    ++i;
  std::string key = before_cursor.substr(key_begin, i - key_begin);
  if (!key.empty() && i + 1 < before_cursor.size() && before_cursor[i] == ':' &&
      (before_cursor[i + 1] == ' ' || before_cursor[i + 1] == '\t') && !kNotExpressions.count(key))
    return ExprContext{before_cursor.substr(i + 2), key == "coverage_cutoff"};
  return std::nullopt;
}

// ---- completion ---------------------------------------------------------------------------------

constexpr int kField = 5, kVariable = 6, kFunction = 3, kConstant = 21, kEnumMember = 20,
              kUnit = 11, kReference = 18, kKeyword = 14;

struct Token {
  enum Kind { name, number, string, punct } kind;
  std::string text;
};

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      out.push_back({Token::string, s.substr(i, std::min(j + 1, s.size()) - i)});
      i = std::min(j + 1, s.size());
    } else if (c >= '0' && c <= '9') {
      std::size_t j = i;
      while (j < s.size() && (is_name_char(s[j]) || s[j] == '-' || s[j] == '.')) ++j;
      out.push_back({Token::number, s.substr(i, j - i)});
      i = j;
    } else if (is_name_char(c)) {
      std::size_t j = i;
      while (j < s.size() && is_name_char(s[j])) ++j;
      out.push_back({Token::name, s.substr(i, j - i)});
      i = j;
    } else {
      std::size_t n = (i + 1 < s.size() &&
                       (s.substr(i, 2) == "==" || s.substr(i, 2) == "!=" ||
                        s.substr(i, 2) == "<=" || s.substr(i, 2) == ">=" || s.substr(i, 2) == "??"))
                          ? 2
                          : 1;
      out.push_back({Token::punct, s.substr(i, n)});
      i += n;
    }
  }
  return out;
}

// The dotted path ending just before token `end` (exclusive): "opinions", "injury.date".
std::string path_before(const std::vector<Token>& t, std::size_t end) {
  std::vector<std::string> parts;
  std::size_t i = end;
  while (i > 0 && t[i - 1].kind == Token::name) {
    parts.insert(parts.begin(), t[i - 1].text);
    if (i >= 2 && t[i - 2].kind == Token::punct && t[i - 2].text == ".") {
      i -= 2;
    } else {
      break;
    }
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ".") + p;
  return out;
}

class Completer {
 public:
  Completer(const CheckedPolicy* p, bool decision) : p_(p), decision_(decision) {}

  json complete(const std::string& prefix) {
    // Split off the partial word being typed.
    std::size_t w = prefix.size();
    while (w > 0 && is_name_char(prefix[w - 1])) --w;
    std::string head = prefix.substr(0, w);
    std::vector<Token> t = tokenize(head);
    track_scopes(t);

    // Inside a string: enum literals for `x == "…` or `x in ["…`.
    std::size_t quotes = 0;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      if (prefix[i] == '"' && (i == 0 || prefix[i - 1] != '\\')) ++quotes;
    if (quotes % 2 == 1) {
      std::size_t open = prefix.rfind('"');
      std::vector<Token> before = tokenize(prefix.substr(0, open));
      scopes_.clear();
      track_scopes(before);
      enum_items(before, false);
      return items_;
    }
    if (!t.empty() && t.back().kind == Token::number && !head.empty() && head.back() == ' ') {
      // `104 w|`: units.
      unit_items();
      return items_;
    }
    if (!t.empty() && t.back().kind == Token::punct && t.back().text == ".") {
      member_items(path_before(t, t.size() - 1));
      return items_;
    }
    if (!t.empty() && t.back().kind == Token::punct && t.back().text == "(" && t.size() >= 2 &&
        t[t.size() - 2].kind == Token::name &&
        (t[t.size() - 2].text == "fired" || t[t.size() - 2].text == "mmi_date")) {
      rule_items();
      return items_;
    }
    if (list_field_items(t)) return items_;
    if (enum_items(t, true)) return items_;
    general_items();
    return items_;
  }

 private:
  const CheckedPolicy* p_;
  bool decision_;
  json items_ = json::array();
  struct WhereScope {
    std::string subject;
    int depth;
  };
  std::vector<WhereScope> scopes_;

  void add(const std::string& label, int kind, const std::string& detail, const std::string& doc,
           const std::string& sort, const std::string& insert = {}) {
    json item = {{"label", label}, {"kind", kind}, {"sortText", sort + label}};
    if (!detail.empty()) item["detail"] = detail;
    if (!doc.empty()) item["documentation"] = {{"kind", "markdown"}, {"value", doc}};
    if (!insert.empty()) item["insertText"] = insert;
    items_.push_back(std::move(item));
  }

  void track_scopes(const std::vector<Token>& t) {
    int depth = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::string& x = t[i].text;
      if (t[i].kind == Token::punct && (x == "(" || x == "[")) ++depth;
      if (t[i].kind == Token::punct && (x == ")" || x == "]" || x == ",")) {
        if (x != ",") --depth;
        while (!scopes_.empty() &&
               (scopes_.back().depth > depth || (x == "," && scopes_.back().depth == depth)))
          scopes_.pop_back();
      }
      if (t[i].kind == Token::name && x == "where") {
        std::string subject = path_before(t, i);
        if (!subject.empty()) scopes_.push_back({subject, depth});
      }
    }
  }

  std::string type_name(std::uint32_t t) const { return p_ ? p_->type_name(t) : ""; }

  const TypeDesc* desc(std::uint32_t t) const {
    return p_ && t < p_->types.size() ? &p_->types[t] : nullptr;
  }

  const RecordLayout* record_of(std::uint32_t t) const {
    const TypeDesc* d = desc(t);
    if (!d || d->tag != TypeTag::record || d->record < 0) return nullptr;
    return &p_->records[static_cast<std::size_t>(d->record)];
  }

  // The type of a dotted path in the current `where` scopes; nullopt when unknown.
  std::optional<std::uint32_t> resolve(const std::string& path, std::size_t scope_count) const {
    if (!p_ || path.empty()) return std::nullopt;
    std::vector<std::string> parts;
    for (std::size_t b = 0;;) {
      auto d = path.find('.', b);
      parts.push_back(path.substr(b, d == std::string::npos ? std::string::npos : d - b));
      if (d == std::string::npos) break;
      b = d + 1;
    }
    std::optional<std::uint32_t> t;
    for (std::size_t k = scope_count; k-- > 0 && !t;) {
      auto item = resolve(scopes_[k].subject, k);
      const RecordLayout* r = item ? record_of(*item) : nullptr;
      if (!r) continue;
      for (std::size_t f = 0; f < r->names.size(); ++f)
        if (r->names[f] == parts[0]) t = r->type_ids[f];
    }
    if (!t && parts[0] == "as_of") t = type_id::date;
    for (const auto& l : p_->lets)
      if (!t && l.name == parts[0]) t = l.expr.type_id;
    for (const auto& q : p_->parameters)
      if (!t && q.name == parts[0]) t = q.type_id;
    for (const auto& f : p_->facts)
      if (!t && f.path == parts[0]) t = f.type_id;
    for (std::size_t i = 1; i < parts.size() && t; ++i) {
      const RecordLayout* r = record_of(*t);
      std::optional<std::uint32_t> next;
      if (r)
        for (std::size_t f = 0; f < r->names.size(); ++f)
          if (r->names[f] == parts[i]) next = r->type_ids[f];
      t = next;
    }
    return t;
  }

  void record_items(const RecordLayout& r, const std::string& sort, bool list) {
    for (std::size_t f = 0; f < r.names.size(); ++f) {
      // A field of a list of records reads as the list of that field's values.
      std::string detail = type_name(r.type_ids[f]);
      add(r.names[f], kField, list ? "list of " + detail : detail, "", sort);
    }
  }

  void member_items(const std::string& path) {
    auto t = resolve(path, scopes_.size());
    if (!t) return;
    if (const RecordLayout* r = record_of(*t)) record_items(*r, "0", desc(*t)->list);
  }

  void rule_items() {
    if (!p_) return;
    for (const auto& r : p_->rules) add(r.id, kReference, "rule", r.description, "0");
  }

  void unit_items() {
    for (const char* u : {"days", "weeks", "months", "years", "day", "week", "month", "year"})
      add(u, kUnit, "unit", "", "0");
  }

  // `count_by(L, |`-style calls: the second argument names a field of L's items.
  bool list_field_items(const std::vector<Token>& t) {
    if (t.size() < 4 || t.back().text != ",") return false;
    std::size_t i = t.size() - 1;
    std::string list = path_before(t, i);
    if (list.empty()) return false;
    std::size_t n = std::count(list.begin(), list.end(), '.') * 2 + 1;
    if (i < n + 2) return false;
    std::size_t open = i - n - 1;
    if (t[open].text != "(" || t[open - 1].kind != Token::name) return false;
    const BuiltinSpec* spec = find_builtin(t[open - 1].text);
    if (!spec || spec->shape != ArgumentShape::list_and_field) return false;
    auto lt = resolve(list, scopes_.size());
    if (const RecordLayout* r = lt ? record_of(*lt) : nullptr) record_items(*r, "0", false);
    return true;
  }

  // After `x ==`, `x !=`, `x in [` (or inside the string that follows): the enum's values.
  bool enum_items(const std::vector<Token>& t, bool quote) {
    std::size_t i = t.size();
    while (i > 0 && (t[i - 1].kind == Token::string || t[i - 1].text == ",")) --i;
    bool in_list = i > 0 && t[i - 1].text == "[";
    if (in_list) --i;
    if (i == 0) return false;
    const std::string& op = t[i - 1].text;
    if (!(op == "==" || op == "!=" || (in_list && op == "in"))) return false;
    auto subject = resolve(path_before(t, i - 1), scopes_.size());
    const TypeDesc* d = subject ? desc(*subject) : nullptr;
    if (!d || d->tag != TypeTag::enumeration || d->enumeration < 0) return false;
    for (const auto& v : p_->enums[static_cast<std::size_t>(d->enumeration)])
      add(v, kEnumMember, type_name(*subject), "", "0", quote ? "\"" + v + "\"" : v);
    return true;
  }

  void general_items() {
    std::set<std::string> seen;
    // The innermost `where` item's fields first.
    for (std::size_t k = scopes_.size(); k-- > 0;) {
      auto t = resolve(scopes_[k].subject, k);
      const RecordLayout* r = t ? record_of(*t) : nullptr;
      if (!r) continue;
      for (std::size_t f = 0; f < r->names.size(); ++f)
        if (seen.insert(r->names[f]).second)
          add(r->names[f], kField, type_name(r->type_ids[f]),
              "field of the `" + scopes_[k].subject + "` item",
              std::to_string(scopes_.size() - k - 1));
    }
    if (p_) {
      for (const auto& l : p_->lets)
        if (seen.insert(l.name).second)
          add(l.name, kVariable, type_name(l.expr.type_id), l.description, "5");
      for (const auto& q : p_->parameters)
        if (seen.insert(q.name).second)
          add(q.name, kConstant, type_name(q.type_id), q.description, "5");
      for (const auto& f : p_->facts)
        if (f.path.find('.') == std::string::npos && seen.insert(f.path).second)
          add(f.path, kField, type_name(f.type_id), "fact", "6");
    }
    add("as_of", kVariable, "date", "the evaluation date of the case", "6");
    if (decision_) {
      add("status", kVariable, "enum(reached, not_reached, undetermined, error)", "the decision",
          "4");
      add("mmi_date", kVariable, "date", "the decision's MMI date", "4");
      add("basis", kVariable, "text", "the rule that decided", "4");
    }
    for (const auto& b : builtin_table())
      add(std::string(b.name), kFunction, std::string(b.signature), std::string(b.summary), "7");
    add("fired", kFunction, "fired(rule)", "whether the rule fired", "7");
    if (!decision_) add("mmi_date", kFunction, "mmi_date(rule)", "the rule's MMI date", "7");
    for (const char* k : {"and", "or", "not", "if", "then", "else", "missing", "in", "where", "at",
                          "is", "between", "true", "false"})
      add(k, kKeyword, "", "", "9");
  }
};

// ---- hover ------------------------------------------------------------------------------------

// As the checker writes literals (expr_to_string of a literal expression).
std::string literal_text(const Literal& v) {
  Expr e;
  e.kind = ExprKind::literal;
  e.literal = v;
  return expr_to_string(e);
}

std::string comment_at(const Analysis& a, const std::string& symbol) {
  auto it = a.declarations.find(symbol);
  if (it == a.declarations.end() || !it->second.file) return {};
  return declaration_comment(*it->second.file, it->second.line);
}

std::string hover_text(const Analysis& a, const std::string& symbol, std::uint32_t type,
                       DayNumber reference) {
  auto colon = symbol.find(':');
  std::string kind = symbol.substr(0, colon), name = symbol.substr(colon + 1);
  const CheckedPolicy* p = a.checked ? &*a.checked : nullptr;
  auto type_of = [&](std::uint32_t t) { return p ? p->type_name(t) : std::string("?"); };
  auto with_doc = [](std::string head, const std::string& doc) {
    return doc.empty() ? head : head + "\n\n" + doc;
  };
  if (kind == "builtin") {
    const BuiltinSpec* b = find_builtin(name);
    if (!b) return {};
    return fmt::format("```\n{}\n```\n{}", b->signature, b->summary);
  }
  if (kind == "fact" && p) {
    for (const auto& f : p->facts)
      if (f.path == name) {
        std::string head = fmt::format("**fact** `{}`: {}{}", name, type_of(f.type_id),
                                       f.required ? " (required)" : "");
        return with_doc(head, comment_at(a, symbol));
      }
  }
  if (kind == "field") {
    std::string list = name.substr(0, name.rfind('.')), field = name.substr(name.rfind('.') + 1);
    return with_doc(
        fmt::format("**field** `{}` of the items of `{}`: {}", field, list, type_of(type)),
        comment_at(a, symbol));
  }
  if (kind == "parameter" && p) {
    const ParameterDecl* decl = nullptr;
    if (a.merged)
      for (const auto& d : a.merged->parameters)
        if (d.name == name) decl = &d;
    // A value as written (`104 weeks`), with what it is when that differs (`= 728 days`).
    auto value = [](const Literal& v, const ExprSource* written) {
      std::string computed = literal_text(v);
      if (!written || written->text().empty() || written->text() == computed)
        return "`" + computed + "`";
      return "`" + written->text() + "` (= " + computed + ")";
    };
    for (const auto& q : p->parameters) {
      if (q.name != name) continue;
      std::string out = fmt::format("**parameter** `{}`: {}", name, type_of(q.type_id));
      std::string doc = q.description.empty() ? comment_at(a, symbol) : q.description;
      if (!doc.empty()) out += "\n\n" + doc;
      if (q.series.empty()) {
        out += "\n\nvalue: " + value(q.value, decl && decl->value ? &*decl->value : nullptr);
        return out;
      }
      auto step = [&](std::size_t i) {
        bool same = decl && decl->series.size() == q.series.size();
        return value(q.series[i].value, same ? &decl->series[i].value : nullptr);
      };
      std::size_t in_force = q.series.size();
      for (std::size_t i = 0; i < q.series.size(); ++i)
        if (q.series[i].from <= reference) in_force = i;
      out += "\n\n| from | value |\n|---|---|\n";
      for (std::size_t i = 0; i < q.series.size(); ++i) {
        std::string from = format_date(q.series[i].from);
        out += i == in_force ? fmt::format("| **{}** | {} ← in force |\n", from, step(i))
                             : fmt::format("| {} | {} |\n", from, step(i));
      }
      out += in_force == q.series.size()
                 ? fmt::format("\nOn {}: none in force (missing).", format_date(reference))
                 : fmt::format("\nOn {}: {}.", format_date(reference), step(in_force));
      return out;
    }
  }
  if (kind == "let" && p) {
    for (const auto& l : p->lets) {
      if (l.name != name) continue;
      std::string doc = l.description.empty() ? comment_at(a, symbol) : l.description;
      return with_doc(fmt::format("**let** `{}`: {}", name, type_of(l.expr.type_id)), doc) +
             "\n\n```\n" + l.expr.source.text() + "\n```";
    }
  }
  if (kind == "rule" && p) {
    for (const auto& r : p->rules) {
      if (r.id != name) continue;
      std::string out = fmt::format("**rule** `{}`", name);
      if (!r.description.empty()) out += "\n\n" + r.description;
      if (!r.cites.empty()) out += "\n\n*Cites:* " + r.cites;
      return out;
    }
  }
  if (kind == "as_of") return "**as_of**: date — the evaluation date of the case";
  if (kind == "decision") return fmt::format("**{}**: {} — of the decision", name, type_of(type));
  return {};
}

std::string builtin_hover_fallback(const std::string& word) {
  if (word == "fired") return "```\nfired(rule)\n```\nwhether the rule fired";
  if (const BuiltinSpec* b = find_builtin(word))
    return fmt::format("```\n{}\n```\n{}", b->signature, b->summary);
  return {};
}

json location_json(const Span& s, const Workspace& ws) {
  return {{"uri", ws.uri_for(s.path)}, {"range", span_range(s)}};
}

}  // namespace

bool is_suite_text(const std::string& path, const std::string& text) {
  return (path.size() > 10 && path.compare(path.size() - 10, 10, ".test.yaml") == 0) ||
         top_level_value(text, "tests").has_value();
}

bool is_policy_text(const std::string& text) {
  return top_level_value(text, "policy").has_value();
}

json diagnostics_params(const DocumentView& doc, const Analysis& a, const Workspace& ws) {
  json list = json::array();
  // Problems found in included files are shown on the include list (with the real place as
  // related information); their own document shows them when it is open.
  json include_range = range_json(0, {}, 0, 0);
  if (a.merged && !a.merged->sources.empty()) {
    LineMap map(doc.text);
    for (std::uint32_t l = 0; l < map.line_count(); ++l)
      if (map.line(l).substr(0, 8) == "include:") {
        include_range = range_json(l, map.line(l), 0, 7);
        break;
      }
  }
  for (const auto& d : a.diagnostics.items()) {
    bool own = d.at.file ? canonical_path(d.at.file->path) == doc.path
                         : canonical_path(d.at.path) == doc.path || d.at.path.empty();
    json item;
    item["severity"] = d.severity == Severity::error ? 1 : d.severity == Severity::warning ? 2 : 3;
    item["code"] = std::string(code_name(d.code));
    item["source"] = "mmi";
    std::string message = d.message;
    if (!d.help.empty()) message += "\nhelp: " + d.help;
    json related = json::array();
    if (own) {
      item["range"] = location_range(d.at);
    } else {
      item["range"] = include_range;
      message = "in " + d.at.to_string() + ": " + message;
      if (d.at.file)
        related.push_back({{"location",
                            {{"uri", ws.uri_for(canonical_path(d.at.file->path))},
                             {"range", location_range(d.at)}}},
                           {"message", d.message}});
    }
    for (const auto& n : d.notes) {
      if (n.at.file) {
        related.push_back({{"location",
                            {{"uri", ws.uri_for(canonical_path(n.at.file->path))},
                             {"range", location_range(n.at)}}},
                           {"message", n.message}});
      } else {
        message += "\nnote: " + n.message;
      }
    }
    item["message"] = message;
    if (!related.empty()) item["relatedInformation"] = related;
    std::vector<std::string> suggestion = backquoted(d.help);
    if (own && d.at.file && d.help.rfind("did you mean `", 0) == 0 && suggestion.size() == 1) {
      // The fix replaces the misspelt name (the first backquoted name of the message found in
      // the range) with the suggestion.
      std::string_view line = d.at.file->line(d.at.line);
      std::uint32_t b = std::min<std::uint32_t>(d.at.column - 1, line.size());
      std::string_view written = line.substr(b, d.at.length);
      for (const std::string& wrong : backquoted(d.message)) {
        bool name = !wrong.empty() && std::all_of(wrong.begin(), wrong.end(), is_name_char);
        auto p = name ? written.rfind(wrong) : std::string_view::npos;
        if (p == std::string_view::npos) continue;
        item["data"] = {
            {"fix",
             {{"title", "Replace with `" + suggestion[0] + "`"},
              {"range", range_json(d.at.line - 1, line, b + static_cast<std::uint32_t>(p),
                                   b + static_cast<std::uint32_t>(p + wrong.size()))},
              {"newText", suggestion[0]}}}};
        break;
      }
    }
    list.push_back(std::move(item));
  }
  return {{"uri", doc.uri}, {"version", a.version}, {"diagnostics", list}};
}

json completion(const DocumentView& doc, Position at) {
  const CheckedPolicy* p = doc.typed && doc.typed->checked ? &*doc.typed->checked : nullptr;
  // `order: [a, b|`: the decision's precedence lists rule ids.
  LineMap map(doc.text);
  std::string_view line = map.line(at.line);
  std::string_view before = line.substr(0, byte_of_utf16(line, at.character));
  while (!before.empty() && before.front() == ' ') before.remove_prefix(1);
  if (before.substr(0, 6) == "order:") {
    json items = json::array();
    if (p)
      for (const auto& r : p->rules)
        items.push_back({{"label", r.id}, {"kind", 18}, {"detail", "rule"}});
    return json{{"isIncomplete", false}, {"items", items}};
  }
  auto ctx = expression_at(doc, at);
  if (!ctx) return json::array();
  return json{{"isIncomplete", false},
              {"items", Completer(p, ctx->decision).complete(ctx->prefix)}};
}

json hover(const DocumentView& doc, Position at, const Workspace& ws) {
  if (const Occurrence* o = occurrence_at(doc, at)) {
    std::string text = hover_text(*doc.analysis, o->symbol, o->type_id, ws.reference_date);
    if (!text.empty())
      return {{"contents", {{"kind", "markdown"}, {"value", text}}}, {"range", span_range(o->at)}};
  }
  std::string text = builtin_hover_fallback(word_at(doc, at));
  if (text.empty()) return nullptr;
  return {{"contents", {{"kind", "markdown"}, {"value", text}}}};
}

// An included file named under the cursor (`include: [std/facts.yaml]`): its first line.
json include_target(const DocumentView& doc, Position at, const Workspace& ws) {
  LineMap map(doc.text);
  std::string_view line = map.line(at.line);
  std::size_t col = byte_of_utf16(line, at.character);
  auto path_char = [](char c) { return is_name_char(c) || c == '.' || c == '/' || c == '-'; };
  std::size_t b = col, e = col;
  while (b > 0 && path_char(line[b - 1])) --b;
  while (e < line.size() && path_char(line[e])) ++e;
  std::string name(line.substr(b, e - b));
  if (name.size() < 6 || name.compare(name.size() - 5, 5, ".yaml") != 0) return nullptr;
  std::string path = canonical_path(
      (std::filesystem::path(doc.path).parent_path() / name).lexically_normal().string());
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return nullptr;
  json start = position_json({0, 0});
  return {{"uri", ws.uri_for(path)}, {"range", {{"start", start}, {"end", start}}}};
}

json definition(const DocumentView& doc, Position at, const Workspace& ws) {
  const Occurrence* o = occurrence_at(doc, at);
  if (!o) return include_target(doc, at, ws);
  auto it = doc.analysis->declarations.find(o->symbol);
  if (it != doc.analysis->declarations.end()) return location_json(it->second, ws);
  for (const auto& a : ws.analyses) {
    auto j = a->declarations.find(o->symbol);
    if (j != a->declarations.end()) return location_json(j->second, ws);
  }
  return nullptr;
}

json references(const DocumentView& doc, Position at, bool include_declaration,
                const Workspace& ws) {
  const Occurrence* o = occurrence_at(doc, at);
  if (!o) return nullptr;
  std::string symbol = o->symbol;
  std::set<std::tuple<std::string, std::uint32_t, std::uint32_t>> seen;
  json out = json::array();
  auto collect = [&](const Analysis& a) {
    for (const auto& r : a.occurrences) {
      if (r.symbol != symbol || (r.declaration && !include_declaration)) continue;
      if (!seen.emplace(r.at.path, r.at.line, r.at.begin).second) continue;
      out.push_back(location_json(r.at, ws));
    }
  };
  collect(*doc.analysis);
  for (const auto& a : ws.analyses) collect(*a);
  return out;
}

json document_symbols(const DocumentView& doc) {
  DiagnosticList scratch;
  auto file = load_policy_text(doc.path, doc.text, scratch);
  json out = json::array();
  if (!file) return out;
  std::map<const SourceFile*, std::string> paths;
  auto add = [&](const std::string& name, int kind, const std::string& detail,
                 const SourceLocation& at) {
    if (!at.file || at.line == 0) return;
    std::string_view line = at.file->line(at.line);
    std::size_t b = at.column - 1;
    auto p = line.find(name);
    if (p != std::string_view::npos) b = p;
    json r = range_json(at.line - 1, line, static_cast<std::uint32_t>(b),
                        static_cast<std::uint32_t>(b + name.size()));
    out.push_back(
        {{"name", name}, {"kind", kind}, {"detail", detail}, {"range", r}, {"selectionRange", r}});
  };
  constexpr int kFunctionSymbol = 12, kVariableSymbol = 13, kConstantSymbol = 14,
                kPropertySymbol = 7, kObjectSymbol = 19;
  for (const auto& p : file->parameters) add(p.name, kConstantSymbol, "parameter", p.at);
  for (const auto& l : file->lets) add(l.name, kVariableSymbol, "let", l.at);
  for (const auto& r : file->rules) add(r.id, kFunctionSymbol, "rule", r.at);
  if (file->decision) add("decision", kObjectSymbol, "decision", file->decision->at);
  for (const auto& o : file->outputs) add(o.name, kPropertySymbol, "output", o.at);
  return out;
}

json code_actions(const DocumentView& doc, const json& params) {
  json out = json::array();
  const json& diags = params["context"]["diagnostics"];
  if (!diags.is_array()) return out;
  for (const auto& d : diags) {
    if (!d.contains("data") || !d["data"].is_object() || !d["data"].contains("fix")) continue;
    const json& fix = d["data"]["fix"];
    if (!fix.contains("range") || !fix.contains("newText")) continue;
    out.push_back(
        {{"title", fix.value("title", "Apply fix")},
         {"kind", "quickfix"},
         {"diagnostics", json::array({d})},
         {"isPreferred", true},
         {"edit",
          {{"changes",
            {{doc.uri, json::array({{{"range", fix["range"]}, {"newText", fix["newText"]}}})}}}}}});
  }
  return out;
}

}  // namespace mmi::lsp
