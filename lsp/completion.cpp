// Completion in policy files: names, fields, built-ins and keywords that fit where the cursor is
// (the expression's text before it, tokenized), and rule ids in `order:`.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "lsp/features.hpp"
#include "rules/builtins.hpp"

namespace mmi::lsp {
namespace {

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

}  // namespace

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

}  // namespace mmi::lsp
