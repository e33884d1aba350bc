#include "lsp/analysis.hpp"

#include <chrono>
#include <filesystem>

#include "rules/builtins.hpp"

namespace mmi::lsp {

std::string canonical_path(const std::string& path) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The span of `name` written at or near `at` (declarations point at keys or values; names in
// expressions at their first byte).
std::optional<Span> span_of_name(const SourceLocation& at, std::string_view name,
                                 std::map<const SourceFile*, std::string>& paths) {
  if (!at.file || at.line == 0) return std::nullopt;
  std::string_view line = at.file->line(at.line);
  std::size_t col = at.column > 0 ? at.column - 1 : 0;
  auto whole_word = [&](std::size_t p) {
    return (p == 0 || !is_name_char(line[p - 1])) &&
           (p + name.size() >= line.size() || !is_name_char(line[p + name.size()]));
  };
  std::size_t found = std::string_view::npos;
  if (col <= line.size() && line.substr(col, name.size()) == name && whole_word(col)) {
    found = col;
  } else {
    // A declaration whose location is its value: the key sits before it on the same line.
    for (std::size_t p = line.find(name); p != std::string_view::npos; p = line.find(name, p + 1))
      if (whole_word(p)) {
        found = p;
        break;
      }
  }
  if (found == std::string_view::npos) return std::nullopt;
  auto [it, fresh] = paths.try_emplace(at.file.get());
  if (fresh) it->second = canonical_path(at.file->path);
  return Span{it->second, at.file, at.line - 1, static_cast<std::uint32_t>(found),
              static_cast<std::uint32_t>(found + name.size())};
}

constexpr std::size_t kMaxIndexedExpression = 16 * 1024;

class Indexer {
 public:
  explicit Indexer(Analysis& a) : a_(a), p_(*a.checked) {}

  void run() {
    declare_facts();
    for (const auto& p : p_.parameters) declare("parameter:" + p.name, p.at, p.name, p.type_id);
    for (const auto& l : p_.lets) declare("let:" + l.name, l.at, l.name, l.expr.type_id);
    for (const auto& r : p_.rules) declare("rule:" + r.id, r.at, r.id, type_id::boolean);
    for (const auto& l : p_.lets) walk(l.expr);
    for (const auto& r : p_.rules) {
      walk(r.when);
      walk(r.mmi_date);
      if (r.unless) walk(*r.unless);
    }
    if (p_.coverage_cutoff) walk(*p_.coverage_cutoff);
    for (const auto& o : p_.outputs) walk(o.expr);
    // A rule listed in `decision.order` refers to it.
    if (a_.merged && a_.merged->decision)
      for (const auto& [id, at] : a_.merged->decision->order)
        if (auto s = span_of_name(at, id, paths_)) a_.occurrences.push_back({*s, "rule:" + id, 0});
  }

 private:
  Analysis& a_;
  const CheckedPolicy& p_;
  std::map<const SourceFile*, std::string> paths_;

  void declare(const std::string& symbol, const SourceLocation& at, std::string_view name,
               std::uint32_t type) {
    auto s = span_of_name(at, name, paths_);
    if (!s) return;
    a_.declarations.emplace(symbol, *s);
    a_.occurrences.push_back({*s, symbol, type, true});
  }

  // Facts and list item fields from the merged tree (it keeps every declaration's place).
  void declare_facts() {
    if (!a_.merged) return;
    std::function<void(const std::vector<FactDecl>&, const std::string&, bool)> visit =
        [&](const std::vector<FactDecl>& decls, const std::string& prefix, bool in_list) {
          for (const auto& d : decls) {
            std::string path = prefix.empty() ? d.name : prefix + "." + d.name;
            std::string symbol = (in_list ? "field:" : "fact:") + path;
            declare(symbol, d.at, d.name, fact_type(path));
            visit(d.fields, path, in_list || d.shape == FactDecl::Shape::list);
          }
        };
    visit(a_.merged->facts, "", false);
  }

  std::uint32_t fact_type(const std::string& path) const {
    for (const auto& f : p_.facts)
      if (f.path == path) return f.type_id;
    return 0;
  }

  // "opinions" for a list's item record "opinions[]"; the record path otherwise.
  std::string record_path_of_index(std::uint32_t record) const {
    if (record >= p_.records.size()) return {};
    std::string path = p_.records[record].path;
    if (path.size() > 2 && path.compare(path.size() - 2, 2, "[]") == 0)
      path.resize(path.size() - 2);
    return path;
  }

  // The record path of a record (or list of records) type; "" for other types.
  std::string record_path(std::uint32_t type) const {
    if (type >= p_.types.size()) return {};
    const TypeDesc& t = p_.types[type];
    if (t.tag != TypeTag::record || t.record < 0) return {};
    return record_path_of_index(static_cast<std::uint32_t>(t.record));
  }

  void add(const CheckedExpr& ce, std::uint32_t begin, std::uint32_t end, std::string symbol,
           std::uint32_t type) {
    if (!ce.source.file() || end <= begin) return;
    SourceLocation loc = ce.source.location_of(begin, end - begin);
    auto s =
        span_of_name(loc, std::string_view(ce.source.text()).substr(begin, end - begin), paths_);
    if (s) a_.occurrences.push_back({*s, std::move(symbol), type});
  }

  void walk(const CheckedExpr& ce) {
    // Placing a name walks the scalar from its start: skip pathological expressions rather than
    // spend quadratic time on them (their diagnostics are still reported).
    if (ce.source.text().size() > kMaxIndexedExpression) return;
    std::vector<std::uint32_t> items;
    walk(ce, ce.expr, items);
  }

  void walk(const CheckedExpr& ce, const Expr& e, std::vector<std::uint32_t>& items) {
    const std::string& text = ce.source.text();
    if (e.end > text.size() || e.begin > e.end) return;
    switch (e.kind) {
      case ExprKind::name:
        name(ce, e, items);
        return;
      case ExprKind::field: {
        if (!e.args.empty()) walk(ce, e.args[0], items);
        std::string base = e.args.empty() ? "" : record_path(e.args[0].type_id);
        std::uint32_t b =
            e.end >= e.name.size() ? e.end - static_cast<std::uint32_t>(e.name.size()) : e.begin;
        if (!base.empty() && text.compare(b, e.name.size(), e.name) == 0) {
          bool item = base.find('.') != std::string::npos || is_list_path(base);
          add(ce, b, e.end, (item ? "field:" : "fact:") + base + "." + e.name, e.type_id);
        }
        return;
      }
      case ExprKind::call: {
        if (e.ref == Ref::builtin && text.compare(e.begin, e.name.size(), e.name) == 0)
          add(ce, e.begin, e.begin + static_cast<std::uint32_t>(e.name.size()), "builtin:" + e.name,
              e.type_id);
        if ((e.ref == Ref::rule_fired || e.ref == Ref::rule_date) && e.args.size() == 1 &&
            e.index < p_.rules.size()) {
          add(ce, e.args[0].begin, e.args[0].end, "rule:" + p_.rules[e.index].id, 0);
          return;
        }
        const BuiltinSpec* spec = e.ref == Ref::builtin ? find_builtin(e.name) : nullptr;
        for (std::size_t i = 0; i < e.args.size(); ++i) {
          if (spec && spec->shape == ArgumentShape::list_and_field && i == 1 &&
              e.args[1].kind == ExprKind::name) {
            std::string base = record_path(e.args[0].type_id);
            if (!base.empty())
              add(ce, e.args[1].begin, e.args[1].end, "field:" + base + "." + e.args[1].name,
                  e.args[1].type_id);
            continue;
          }
          walk(ce, e.args[i], items);
        }
        return;
      }
      case ExprKind::where: {
        if (e.args.size() != 2) return;
        walk(ce, e.args[0], items);
        const std::uint32_t lt = e.args[0].type_id;
        bool pushed = false;
        if (lt < p_.types.size() && p_.types[lt].tag == TypeTag::record &&
            p_.types[lt].record >= 0) {
          items.push_back(static_cast<std::uint32_t>(p_.types[lt].record));
          pushed = true;
        }
        walk(ce, e.args[1], items);
        if (pushed) items.pop_back();
        return;
      }
      default:
        for (const auto& a : e.args) walk(ce, a, items);
    }
  }

  bool is_list_path(const std::string& path) const {
    for (const auto& l : p_.lists)
      if (l.path == path) return true;
    return false;
  }

  void name(const CheckedExpr& ce, const Expr& e, const std::vector<std::uint32_t>& items) {
    switch (e.ref) {
      case Ref::fact: {
        if (e.index >= p_.facts.size()) return;
        const std::string& path = p_.facts[e.index].path;
        std::string_view written =
            std::string_view(ce.source.text()).substr(e.begin, e.end - e.begin);
        auto dot = written.rfind('.');
        if (dot != std::string_view::npos && path.find('.') != std::string::npos) {
          // `injury.date`: `injury` names the record, `date` the fact.
          std::string parent = path.substr(0, path.rfind('.'));
          auto first_dot = written.find('.');
          std::string_view head = written.substr(0, first_dot);
          while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
          add(ce, e.begin, e.begin + static_cast<std::uint32_t>(head.size()),
              "fact:" + parent.substr(0, parent.find('.')), 0);
          std::uint32_t last = e.begin + static_cast<std::uint32_t>(dot + 1);
          while (last < e.end && ce.source.text()[last] == ' ') ++last;
          add(ce, last, e.end, "fact:" + path, e.type_id);
        } else {
          add(ce, e.begin, e.end, "fact:" + path, e.type_id);
        }
        return;
      }
      case Ref::item_field: {
        if (e.scope >= items.size()) return;
        std::uint32_t record = items[items.size() - 1 - e.scope];
        add(ce, e.begin, e.end, "field:" + record_path_of_index(record) + "." + e.name, e.type_id);
        return;
      }
      case Ref::parameter:
        if (e.index < p_.parameters.size())
          add(ce, e.begin, e.end, "parameter:" + p_.parameters[e.index].name, e.type_id);
        return;
      case Ref::let:
        if (e.index < p_.lets.size())
          add(ce, e.begin, e.end, "let:" + p_.lets[e.index].name, e.type_id);
        return;
      case Ref::as_of:
        add(ce, e.begin, e.end, "as_of:as_of", e.type_id);
        return;
      case Ref::decision_status:
      case Ref::decision_mmi_date:
      case Ref::decision_basis:
        add(ce, e.begin, e.end, "decision:" + e.name, e.type_id);
        return;
      default:
        return;
    }
  }
};

}  // namespace

std::string declaration_comment(const SourceFile& file, std::uint32_t line0) {
  auto indent_of = [](std::string_view l) {
    std::size_t i = 0;
    while (i < l.size() && (l[i] == ' ' || l[i] == '-')) ++i;
    return i;
  };
  std::string_view decl = file.line(line0 + 1);
  std::vector<std::string> above;
  std::size_t indent = indent_of(decl);
  for (std::uint32_t l = line0; l >= 1; --l) {
    std::string_view t = file.line(l);
    std::size_t i = t.find_first_not_of(' ');
    if (i == std::string_view::npos || t[i] != '#' || i + 1 < indent) break;
    std::string_view c = t.substr(i + 1);
    if (!c.empty() && c[0] == ' ') c.remove_prefix(1);
    above.emplace_back(c);
  }
  std::string out;
  for (auto it = above.rbegin(); it != above.rend(); ++it) out += (out.empty() ? "" : " ") + *it;
  // A trailing comment: ` #` outside quotes.
  bool quoted = false;
  char q = 0;
  for (std::size_t i = 0; i < decl.size(); ++i) {
    char c = decl[i];
    if (quoted) {
      if (c == q) quoted = false;
    } else if (c == '"' || c == '\'') {
      quoted = true;
      q = c;
    } else if (c == '#' && i > 0 && (decl[i - 1] == ' ' || decl[i - 1] == '\t')) {
      std::string_view c2 = decl.substr(i + 1);
      while (!c2.empty() && c2[0] == ' ') c2.remove_prefix(1);
      if (!out.empty()) out += "\n\n";
      out += c2;
      break;
    }
  }
  return out;
}

const FactDecl* find_fact_decl(const MergedPolicy& merged, const std::string& dotted) {
  const std::vector<FactDecl>* level = &merged.facts;
  const FactDecl* found = nullptr;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    auto dot = dotted.find('.', start);
    std::string part =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    found = nullptr;
    for (const auto& d : *level)
      if (d.name == part) found = &d;
    if (!found) return nullptr;
    if (dot == std::string::npos) break;
    level = &found->fields;
    start = dot + 1;
  }
  return found;
}

std::shared_ptr<Analysis> analyse(const std::string& path, int version,
                                  const SourceReader& reader) {
  auto t0 = std::chrono::steady_clock::now();
  auto a = std::make_shared<Analysis>();
  a->path = path;
  a->version = version;
  try {
    a->merged = load_and_merge(path, a->diagnostics, reader);
    if (a->merged) {
      CheckOptions options;
      options.keep_on_errors = true;
      a->checked = check_policy(*a->merged, options, a->diagnostics);
      for (const auto& s : a->merged->sources) a->sources.insert(canonical_path(s->path));
      if (a->checked) Indexer(*a).run();
    }
  } catch (const std::exception& e) {
    // Defensive: the front end reports through diagnostics and does not throw.
    a->diagnostics.error(Code::E900, std::string("internal error while checking: ") + e.what(),
                         SourceLocation{nullptr, path});
  }
  a->diagnostics.sort();
  a->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return a;
}

}  // namespace mmi::lsp
