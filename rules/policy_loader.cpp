// Stage 1: one policy YAML file → PolicyFile. Keeps every node's line:col, reports unknown keys
// with "did you mean", duplicate keys, wrong node kinds, and guards against hostile YAML.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "rules/policy_ast.hpp"
#include "rules/yaml_util.hpp"

namespace mmi {

const char* scalar_type_name(ScalarType t) {
  switch (t) {
    case ScalarType::boolean:
      return "bool";
    case ScalarType::number:
      return "number";
    case ScalarType::text:
      return "text";
    case ScalarType::date:
      return "date";
    case ScalarType::duration:
      return "duration";
    case ScalarType::period:
      return "period";
    case ScalarType::enumeration:
      return "enum";
  }
  return "?";
}

namespace {

const std::vector<std::string> kTopKeys = {
    "policy",   "title",      "insurer",     "jurisdiction", "line",       "version", "effective",
    "expires",  "definition", "include",     "facts",        "parameters", "let",     "rules",
    "decision", "outputs",    "description", "properties",   "assume"};
const std::vector<std::string> kPropertyKeys = {"id",    "description",     "holds",
                                                "cites", "known_violation", "override"};
const std::vector<std::string> kRuleKeys = {"id",     "description", "when",    "mmi_date",
                                            "unless", "cites",       "override"};
const std::vector<std::string> kDecisionKeys = {"hit", "order", "coverage_cutoff", "covered_from"};
const std::vector<std::string> kParamMetaKeys = {"value", "description", "override"};
const std::vector<std::string> kLetMetaKeys = {"expr", "description", "override"};

bool valid_policy_id(const std::string& s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool valid_name(const std::string& s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

class FileLoader {
 public:
  FileLoader(YamlContext& ctx, PolicyFile& out) : y_(ctx), out_(out) {}

  void load(const YAML::Node& root) {
    out_.root_at = y_.location(root);
    out_.root_at.length = 1;
    if (!root.IsMap()) {
      y_.diags.error(Code::E012, "a policy file must be a YAML mapping of keys such as `policy:`",
                     y_.location(root));
      return;
    }
    for (const auto& [key, value, key_at] : y_.entries(root, kTopKeys, "top-level key")) {
      if (key == "policy") {
        out_.policy_id = y_.scalar(value, "policy id");
        out_.policy_id_at = y_.location(value);
        if (!out_.policy_id.empty() && !valid_policy_id(out_.policy_id))
          y_.diags.error(Code::E013,
                         "policy id `" + out_.policy_id + "` must match [a-z0-9][a-z0-9-]*",
                         y_.location(value));
      } else if (key == "title") {
        out_.title = y_.scalar(value, "title");
      } else if (key == "insurer") {
        out_.insurer = y_.scalar(value, "insurer");
      } else if (key == "jurisdiction") {
        out_.jurisdiction = y_.scalar(value, "jurisdiction");
      } else if (key == "line") {
        out_.line = y_.scalar(value, "line");
      } else if (key == "description") {
        y_.scalar(value, "description");
      } else if (key == "version") {
        out_.version = y_.scalar(value, "version");
        out_.version_at = y_.location(value);
      } else if (key == "definition") {
        out_.definition = y_.scalar(value, "definition");
        out_.definition_at = y_.location(value);
        if (out_.definition != "max-potential" && out_.definition != "no-further-improvement")
          y_.diags.error(
              Code::E019, "definition must be `max-potential` or `no-further-improvement`",
              y_.location(value),
              did_you_mean(out_.definition, {"max-potential", "no-further-improvement"}));
      } else if (key == "effective" || key == "expires") {
        auto d = y_.date(value, key);
        (key == "effective" ? out_.effective : out_.expires) = d;
      } else if (key == "include") {
        load_includes(value);
      } else if (key == "facts") {
        load_facts(value, out_.facts, 0);
      } else if (key == "parameters") {
        load_parameters(value);
      } else if (key == "let") {
        load_lets(value);
      } else if (key == "rules") {
        load_rules(value);
      } else if (key == "decision") {
        load_decision(value);
      } else if (key == "outputs") {
        load_outputs(value);
      } else if (key == "properties") {
        load_properties(value);
      } else if (key == "assume") {
        load_assumptions(value);
      }
    }
    if (out_.policy_id.empty() && !y_.has_key(root, "policy"))
      y_.diags.error(Code::E011, "missing required key `policy`", y_.location(root));
  }

 private:
  YamlContext& y_;
  PolicyFile& out_;

  void load_includes(const YAML::Node& node) {
    if (node.IsScalar()) {
      out_.includes.emplace_back(node.Scalar(), y_.location(node));
      return;
    }
    if (!node.IsSequence()) {
      y_.wrong_kind(node, "`include` must be a list of paths");
      return;
    }
    for (const auto& item : node) {
      if (!y_.budget(item)) return;
      std::string p = y_.scalar(item, "include path");
      if (!p.empty()) out_.includes.emplace_back(p, y_.location(item));
    }
  }

  bool parse_type(const std::string& text, FactDecl& decl, const YAML::Node& node) {
    std::string t = trim(text);
    const std::string req = "required";
    if (t.size() >= req.size() && t.compare(t.size() - req.size(), req.size(), req) == 0 &&
        (t.size() == req.size() || t[t.size() - req.size() - 1] == ' ')) {
      decl.required = true;
      t = trim(t.substr(0, t.size() - req.size()));
    }
    decl.type_text = t;
    static const std::vector<std::pair<std::string, ScalarType>> kTypes = {
        {"bool", ScalarType::boolean},      {"number", ScalarType::number},
        {"text", ScalarType::text},         {"date", ScalarType::date},
        {"duration", ScalarType::duration}, {"period", ScalarType::period}};
    for (const auto& [name, type] : kTypes) {
      if (t == name) {
        decl.type = type;
        return true;
      }
    }
    if (t.rfind("enum", 0) == 0) {
      auto open = t.find('(');
      auto close = t.rfind(')');
      if (open != std::string::npos && close == t.size() - 1 && close > open &&
          trim(t.substr(4, open - 4)).empty()) {
        decl.type = ScalarType::enumeration;
        std::stringstream items(t.substr(open + 1, close - open - 1));
        std::string item;
        while (std::getline(items, item, ',')) {
          item = trim(item);
          if (!valid_name(item)) {
            y_.diags.error(Code::E014, "enum value `" + item + "` must match [a-z_][a-z0-9_]*",
                           y_.location(node));
            return false;
          }
          if (std::find(decl.enum_values.begin(), decl.enum_values.end(), item) !=
              decl.enum_values.end()) {
            y_.diags.error(Code::E014, "enum value `" + item + "` is listed twice",
                           y_.location(node));
            return false;
          }
          decl.enum_values.push_back(item);
        }
        if (!decl.enum_values.empty()) return true;
      }
      y_.diags.error(Code::E014, "an enum is written `enum(a, b, c)`", y_.location(node));
      return false;
    }
    std::vector<std::string> names = {"bool",     "number", "text", "date",
                                      "duration", "period", "enum"};
    y_.diags.error(Code::E014, "unknown type `" + t + "`", y_.location(node),
                   did_you_mean(t, names).empty()
                       ? "types are bool, number, text, date, duration, period, enum(…)"
                       : did_you_mean(t, names));
    return false;
  }

  void load_facts(const YAML::Node& node, std::vector<FactDecl>& into, int depth) {
    if (depth > 16) {
      y_.diags.error(Code::E004, "facts nested more than 16 levels deep", y_.location(node));
      return;
    }
    if (!node.IsMap()) {
      y_.wrong_kind(node, "`facts` must map names to types, records or lists");
      return;
    }
    for (const auto& [name, value, key_at] : y_.entries(node, {}, "")) {
      if (!y_.budget(value)) return;
      FactDecl decl;
      decl.name = name;
      decl.at = key_at;
      if (!valid_name(name)) {
        y_.diags.error(Code::E013, "fact name `" + name + "` must match [a-z_][a-z0-9_]*", decl.at);
        continue;
      }
      if (value.IsScalar()) {
        decl.shape = FactDecl::Shape::scalar;
        decl.at = y_.location(value);
        if (!parse_type(value.Scalar(), decl, value)) continue;
      } else if (value.IsMap()) {
        decl.shape = FactDecl::Shape::record;
        load_facts(value, decl.fields, depth + 1);
      } else if (value.IsSequence()) {
        decl.shape = FactDecl::Shape::list;
        if (value.size() != 1 || !value[0].IsMap()) {
          y_.diags.error(Code::E014,
                         "a list fact is a sequence holding one mapping that describes each item",
                         y_.location(value));
          continue;
        }
        load_facts(value[0], decl.fields, depth + 1);
        for (const auto& f : decl.fields)
          if (f.shape == FactDecl::Shape::list)
            y_.diags.error(Code::E014, "lists inside list items are not supported", f.at);
      } else {
        y_.diags.error(Code::E014, "fact `" + name + "` needs a type", y_.location(value));
        continue;
      }
      into.push_back(std::move(decl));
    }
  }

  void load_parameters(const YAML::Node& node) {
    if (!node.IsMap()) {
      y_.wrong_kind(node, "`parameters` must map names to values");
      return;
    }
    for (const auto& [name, value, key_at] : y_.entries(node, {}, "")) {
      if (!y_.budget(value)) return;
      ParameterDecl p;
      p.name = name;
      p.at = key_at;
      if (!valid_name(name)) {
        y_.diags.error(Code::E013, "parameter name `" + name + "` must match [a-z_][a-z0-9_]*",
                       p.at);
        continue;
      }
      YAML::Node body = value;
      if (value.IsMap() && !value.begin()->first.IsNull() && y_.has_key(value, "value")) {
        for (const auto& [k, v, k_at] : y_.entries(value, kParamMetaKeys, "parameter key")) {
          if (k == "value") body.reset(v);
          if (k == "description") p.description = y_.scalar(v, "description");
          if (k == "override") p.override_ = y_.boolean(v, "override");
        }
      }
      if (body.IsScalar()) {
        p.value = y_.expr(body);
      } else if (body.IsMap()) {
        std::optional<DayNumber> previous;
        for (const auto& [from_text, step_value, from_at] : y_.entries(body, {}, "")) {
          auto from = parse_iso_date(from_text);
          SourceLocation at = from_at;
          if (!from) {
            y_.diags.error(Code::E015,
                           "a dated series maps dates (YYYY-MM-DD) to values; `" + from_text +
                               "` is not a date",
                           at);
            continue;
          }
          if (previous && *from <= *previous) {
            y_.diags.error(Code::E015, "dates of a series must increase", at);
            continue;
          }
          previous = from;
          if (!step_value.IsScalar()) {
            y_.wrong_kind(step_value, "a series value must be a literal");
            continue;
          }
          p.series.push_back({*from, y_.expr(step_value)});
        }
        if (p.series.empty()) continue;
      } else {
        y_.wrong_kind(body, "a parameter is a literal value or a dated series");
        continue;
      }
      out_.parameters.push_back(std::move(p));
    }
  }

  void load_lets(const YAML::Node& node) {
    if (!node.IsMap()) {
      y_.wrong_kind(node, "`let` must map names to expressions");
      return;
    }
    for (const auto& [name, value, key_at] : y_.entries(node, {}, "")) {
      if (!y_.budget(value)) return;
      LetDecl l;
      l.name = name;
      l.at = key_at;
      if (!valid_name(name)) {
        y_.diags.error(Code::E013, "let name `" + name + "` must match [a-z_][a-z0-9_]*", l.at);
        continue;
      }
      if (value.IsMap()) {
        bool has_expr = false;
        for (const auto& [k, v, k_at] : y_.entries(value, kLetMetaKeys, "let key")) {
          if (k == "expr") l.expr = y_.expr(v), has_expr = true;
          if (k == "description") l.description = y_.scalar(v, "description");
          if (k == "override") l.override_ = y_.boolean(v, "override");
        }
        if (!has_expr) {
          y_.diags.error(Code::E011, "let `" + name + "` needs `expr:`", y_.location(value));
          continue;
        }
      } else if (value.IsScalar()) {
        l.expr = y_.expr(value);
      } else {
        y_.wrong_kind(value, "a let is an expression");
        continue;
      }
      out_.lets.push_back(std::move(l));
    }
  }

  void load_rules(const YAML::Node& node) {
    if (!node.IsSequence()) {
      y_.wrong_kind(node, "`rules` must be a list of rules (`- id: …`)");
      return;
    }
    for (const auto& item : node) {
      if (!y_.budget(item)) return;
      if (!item.IsMap()) {
        y_.wrong_kind(item, "a rule is a mapping with `id`, `when` and `mmi_date`");
        continue;
      }
      RuleDecl r;
      r.at = y_.location(item);
      for (const auto& [k, v, k_at] : y_.entries(item, kRuleKeys, "rule key")) {
        if (k == "id") {
          r.id = y_.scalar(v, "rule id");
          r.at = y_.location(v);
          bool ok = !r.id.empty() && r.id[0] >= 'a' && r.id[0] <= 'z' && valid_name(r.id);
          if (!ok)
            y_.diags.error(Code::E013, "rule id `" + r.id + "` must match [a-z][a-z0-9_]*",
                           y_.location(v));
        } else if (k == "description") {
          r.description = y_.scalar(v, "description");
        } else if (k == "cites") {
          r.cites = citations(v);
        } else if (k == "when") {
          r.when = y_.expr(v);
        } else if (k == "mmi_date") {
          r.mmi_date = y_.expr(v);
        } else if (k == "unless") {
          r.unless = y_.expr(v);
        } else if (k == "override") {
          r.override_ = y_.boolean(v, "override");
        }
      }
      if (!y_.has_key(item, "id")) {
        y_.diags.error(Code::E011, "rule is missing `id`", y_.location(item));
        continue;
      }
      if (!r.when) y_.diags.error(Code::E011, "rule `" + r.id + "` is missing `when`", r.at);
      if (!r.mmi_date)
        y_.diags.error(Code::E011, "rule `" + r.id + "` is missing `mmi_date`", r.at);
      out_.rules.push_back(std::move(r));
    }
  }

  std::string citations(const YAML::Node& v) {
    if (!v.IsSequence()) return y_.scalar(v, "cites");
    std::string cites;
    for (const auto& c : v) {
      if (!cites.empty()) cites += "; ";
      cites += y_.scalar(c, "citation");
    }
    return cites;
  }

  void load_properties(const YAML::Node& node) {
    if (!node.IsSequence()) {
      y_.wrong_kind(node, "`properties` must be a list of properties (`- id: …`)");
      return;
    }
    for (const auto& item : node) {
      if (!y_.budget(item)) return;
      if (!item.IsMap()) {
        y_.wrong_kind(item, "a property is a mapping with `id` and `holds`");
        continue;
      }
      PropertyDecl p;
      p.at = y_.location(item);
      for (const auto& [k, v, k_at] : y_.entries(item, kPropertyKeys, "property key")) {
        if (k == "id") {
          p.id = y_.scalar(v, "property id");
          p.at = y_.location(v);
          bool ok = !p.id.empty() && p.id[0] >= 'a' && p.id[0] <= 'z' && valid_name(p.id);
          if (!ok)
            y_.diags.error(Code::E013, "property id `" + p.id + "` must match [a-z][a-z0-9_]*",
                           y_.location(v));
        } else if (k == "description") {
          p.description = y_.scalar(v, "description");
        } else if (k == "cites") {
          p.cites = citations(v);
        } else if (k == "holds") {
          p.holds = y_.expr(v);
        } else if (k == "known_violation") {
          p.known_violation = y_.scalar(v, "known_violation");
        } else if (k == "override") {
          p.override_ = y_.boolean(v, "override");
        }
      }
      if (!y_.has_key(item, "id")) {
        y_.diags.error(Code::E011, "property is missing `id`", y_.location(item));
        continue;
      }
      if (!p.holds) y_.diags.error(Code::E011, "property `" + p.id + "` is missing `holds`", p.at);
      out_.properties.push_back(std::move(p));
    }
  }

  void load_assumptions(const YAML::Node& node) {
    if (!node.IsSequence()) {
      y_.wrong_kind(node, "`assume` must be a list of boolean expressions");
      return;
    }
    for (const auto& item : node) {
      if (!y_.budget(item)) return;
      out_.assumptions.push_back(y_.expr(item));
    }
  }

  void load_decision(const YAML::Node& node) {
    if (!node.IsMap()) {
      y_.wrong_kind(node, "`decision` must be a mapping (`hit`, `order`, `coverage_cutoff`)");
      return;
    }
    DecisionDecl d;
    d.at = y_.location(node);
    for (const auto& [k, v, k_at] : y_.entries(node, kDecisionKeys, "decision key")) {
      if (k == "hit") {
        std::string hit = y_.scalar(v, "hit");
        if (hit == "earliest")
          d.hit = HitPolicy::earliest;
        else if (hit == "first")
          d.hit = HitPolicy::first;
        else
          y_.diags.error(Code::E019, "hit must be `earliest` or `first`", y_.location(v),
                         did_you_mean(hit, {"earliest", "first"}));
      } else if (k == "order") {
        if (!v.IsSequence()) {
          y_.wrong_kind(v, "`order` must be a list of rule ids");
          continue;
        }
        for (const auto& id : v) {
          if (!y_.budget(id)) return;
          d.order.emplace_back(y_.scalar(id, "rule id"), y_.location(id));
        }
      } else if (k == "coverage_cutoff") {
        d.coverage_cutoff = y_.expr(v);
      } else if (k == "covered_from") {
        d.covered_from = y_.expr(v);
      }
    }
    out_.decision = std::move(d);
  }

  void load_outputs(const YAML::Node& node) {
    if (!node.IsMap()) {
      y_.wrong_kind(node, "`outputs` must map names to expressions");
      return;
    }
    for (const auto& [name, value, key_at] : y_.entries(node, {}, "")) {
      if (!y_.budget(value)) return;
      SourceLocation at = key_at;
      if (!valid_name(name)) {
        y_.diags.error(Code::E013, "output name `" + name + "` must match [a-z_][a-z0-9_]*", at);
        continue;
      }
      if (!value.IsScalar()) {
        y_.wrong_kind(value, "an output is an expression");
        continue;
      }
      out_.outputs.push_back({name, y_.expr(value), at});
    }
  }
};

}  // namespace

std::optional<PolicyFile> load_policy_text(const std::string& path, std::string text,
                                           DiagnosticList& diags) {
  auto source = std::make_shared<const SourceFile>(path, std::move(text));
  YamlContext ctx(source, diags);
  auto root = ctx.parse();
  if (!root) return std::nullopt;
  PolicyFile file;
  file.path = path;
  file.source = source;
  FileLoader(ctx, file).load(*root);
  if (ctx.over_budget()) return std::nullopt;  // an alias bomb: nothing further is worth saying
  return file;
}

std::optional<PolicyFile> load_policy_file(const std::string& path, DiagnosticList& diags) {
  auto text = read_text_file(path, diags, SourceLocation{nullptr, path});
  if (!text) return std::nullopt;
  return load_policy_text(path, std::move(*text), diags);
}

}  // namespace mmi
