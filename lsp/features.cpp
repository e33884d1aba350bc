#include "lsp/features.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "rules/builtins.hpp"

namespace mmi::lsp {
namespace {

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
