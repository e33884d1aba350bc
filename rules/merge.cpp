// Stage 2: a top policy and its includes → MergedPolicy (language.md §1). Includes are merged
// depth-first in order, each file once; cycles are named; duplicate ids need `override: true`,
// except parameters the top policy re-sets.
#include <openssl/evp.h>

#include <fmt/format.h>
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "rules/policy_ast.hpp"

namespace mmi {
namespace {

namespace fs = std::filesystem;

std::string canonical_or_same(const std::string& path) {
  std::error_code ec;
  auto c = fs::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

bool same_fact_type(const FactDecl& a, const FactDecl& b) {
  return a.shape == b.shape && (a.shape != FactDecl::Shape::scalar ||
                                (a.type == b.type && a.enum_values == b.enum_values));
}

std::string describe(const FactDecl& f) {
  if (f.shape == FactDecl::Shape::record) return "a record";
  if (f.shape == FactDecl::Shape::list) return "a list";
  return f.type_text.empty() ? scalar_type_name(f.type) : f.type_text;
}

class Merger {
 public:
  Merger(DiagnosticList& diags, MergedPolicy& out, const SourceReader* reader)
      : diags_(diags), out_(out), reader_(reader) {}

  // Loads `path` and everything it includes; returns false if the file itself failed to load.
  bool visit(const std::string& path, const SourceLocation& requested_at, bool top,
             const std::string& as_written = {}) {
    std::string key = canonical_or_same(path);
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i] == key) {
        std::string cycle;
        for (std::size_t j = i; j < stack_.size(); ++j) cycle += display_[j] + " → ";
        cycle += path;
        diags_.error(Code::E017, "include cycle: " + cycle, requested_at);
        return true;
      }
    }
    if (!done_.insert(key).second) return true;  // already merged (diamond includes)
    std::optional<std::string> unsaved;
    if (reader_ && *reader_) unsaved = (*reader_)(path);
    std::error_code ec;
    if (!unsaved && !top && !fs::exists(path, ec)) {
      out_.include_failed = true;
      std::string including =
          display_.empty() ? std::string("the including file") : "`" + display_.back() + "`";
      diags_.error(Code::E016,
                   fmt::format("included file `{}` not found: looked for `{}`", as_written, path),
                   requested_at,
                   fmt::format("includes are relative to the including file ({}), not to the "
                               "current directory; unknown names it would have declared are "
                               "not reported",
                               including));
      return true;
    }
    auto file = unsaved ? load_policy_text(path, std::move(*unsaved), diags_)
                        : load_policy_file(path, diags_);
    if (!file) {
      if (!top) out_.include_failed = true;
      return false;
    }
    out_.sources.push_back(file->source);
    stack_.push_back(key);
    display_.push_back(path);
    fs::path dir = fs::path(path).parent_path();
    for (const auto& [inc, at] : file->includes) {
      fs::path target = fs::path(inc).is_absolute() ? fs::path(inc) : dir / inc;
      visit(target.lexically_normal().string(), at, false, inc);
    }
    stack_.pop_back();
    display_.pop_back();
    merge(*file, top);
    if (top) take_header(*file);
    return true;
  }

 private:
  DiagnosticList& diags_;
  MergedPolicy& out_;
  const SourceReader* reader_;
  std::vector<std::string> stack_, display_;
  std::set<std::string> done_;
  std::unordered_map<std::string, std::size_t> param_index_, let_index_, rule_index_,
      property_index_;

  void take_header(const PolicyFile& f) {
    out_.path = f.path;
    out_.policy_id = f.policy_id;
    out_.title = f.title;
    out_.insurer = f.insurer;
    out_.jurisdiction = f.jurisdiction;
    out_.line = f.line;
    out_.version = f.version;
    out_.definition = f.definition;
    out_.effective = f.effective;
    out_.expires = f.expires;
    out_.decision = f.decision;
    out_.outputs = f.outputs;
    out_.at = f.root_at;
    // A file without `decision:` is a module: it is checked on its own but cannot be evaluated.
    out_.is_module = !f.decision;
    if (out_.is_module) {
      // A `definition:` says its author meant a policy to evaluate; say why it cannot be one.
      if (!f.definition.empty())
        diags_.warning(Code::W306,
                       "this file has `definition:` but no `decision:`, so it is a module: it can "
                       "be checked and included, but not evaluated",
                       f.definition_at, "add a `decision:` (e.g. `decision: {hit: earliest}`)");
      return;
    }
    if (f.version.empty()) diags_.error(Code::E011, "missing required key `version`", out_.at);
    if (f.definition.empty())
      diags_.error(Code::E011,
                   "a top policy needs `definition: max-potential` or "
                   "`definition: no-further-improvement`",
                   out_.at);
  }

  void merge_facts(std::vector<FactDecl>& into, const std::vector<FactDecl>& from,
                   const std::string& prefix) {
    for (const auto& f : from) {
      auto it = std::find_if(into.begin(), into.end(),
                             [&](const FactDecl& g) { return g.name == f.name; });
      if (it == into.end()) {
        into.push_back(f);
        continue;
      }
      if (!same_fact_type(*it, f)) {
        diags_.error(Code::E021,
                     fmt::format("fact `{}{}` is declared as {} here but as {} at {}", prefix,
                                 f.name, describe(f), describe(*it), it->at.to_string()),
                     f.at);
        continue;
      }
      it->required = it->required || f.required;
      if (f.shape != FactDecl::Shape::scalar)
        merge_facts(it->fields, f.fields, prefix + f.name + ".");
    }
  }

  // Merges by name with an index, so that policies with thousands of rules merge in linear time.
  template <typename T, typename Name>
  void merge_named(std::vector<T>& into, std::unordered_map<std::string, std::size_t>& index,
                   std::vector<T>& from, Name name_of, const char* what, bool top_overrides) {
    for (auto& item : from) {
      auto [it, fresh] = index.emplace(name_of(item), into.size());
      if (fresh) {
        into.push_back(std::move(item));
        continue;
      }
      T& existing = into[it->second];
      if (item.override_ || top_overrides) {
        existing = std::move(item);  // keeps its place in the merged order
        continue;
      }
      diags_
          .error(Code::E020, fmt::format("{} `{}` is already defined", what, name_of(item)),
                 item.at, "add `override: true` to replace it on purpose")
          .notes.push_back({"first defined here", existing.at});
    }
  }

  // Moves the file's declarations into the merged policy (the file is not read afterwards).
  void merge(PolicyFile& f, bool top) {
    merge_facts(out_.facts, f.facts, "");
    std::vector<std::string> top_parameters;
    if (top)
      for (const auto& mine : f.parameters) top_parameters.push_back(mine.name);
    merge_named(
        out_.parameters, param_index_, f.parameters, [](const ParameterDecl& p) { return p.name; },
        "parameter", top);
    for (const auto& name : top_parameters) out_.parameters[param_index_.at(name)].from_top = true;
    merge_named(
        out_.lets, let_index_, f.lets, [](const LetDecl& l) { return l.name; }, "let", false);
    merge_named(
        out_.rules, rule_index_, f.rules, [](const RuleDecl& r) { return r.id; }, "rule", false);
    merge_named(
        out_.properties, property_index_, f.properties, [](const PropertyDecl& p) { return p.id; },
        "property", false);
    out_.assumptions.insert(out_.assumptions.end(), f.assumptions.begin(), f.assumptions.end());
  }
};

std::string sha256_of_sources(const std::vector<std::shared_ptr<const SourceFile>>& sources) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto& s : sources) {
    // Length-prefixed so that moving text between files changes the digest.
    std::string header = fmt::format("{}\n", s->text.size());
    EVP_DigestUpdate(ctx, header.data(), header.size());
    EVP_DigestUpdate(ctx, s->text.data(), s->text.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex = "sha256:";
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

}  // namespace

std::optional<MergedPolicy> load_and_merge(const std::string& path, DiagnosticList& diags) {
  return load_and_merge(path, diags, SourceReader{});
}

std::optional<MergedPolicy> load_and_merge(const std::string& path, DiagnosticList& diags,
                                           const SourceReader& reader) {
  MergedPolicy merged;
  Merger merger(diags, merged, &reader);
  if (!merger.visit(path, SourceLocation{nullptr, path}, true)) return std::nullopt;
  merged.digest = sha256_of_sources(merged.sources);
  return merged;
}

}  // namespace mmi
