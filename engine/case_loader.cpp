// Stage 6: case input (JSON via simdjson, YAML via yaml-cpp) → CaseData laid out for a graph.
// One templated walker serves both formats through a small node adapter.
#include <fmt/format.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <numeric>

#include "engine/case.hpp"

namespace mmi {

namespace {

std::string json_kind(simdjson::dom::element_type t) {
  switch (t) {
    case simdjson::dom::element_type::ARRAY: return "a list";
    case simdjson::dom::element_type::OBJECT: return "a mapping";
    case simdjson::dom::element_type::STRING: return "text";
    case simdjson::dom::element_type::BOOL: return "a bool";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
    default: return "a number";
  }
}

struct JsonNode {
  simdjson::dom::element e;
  bool is_null() const { return e.is_null(); }
  bool is_object() const { return e.is_object(); }
  bool is_array() const { return e.is_array(); }
  std::string kind() const { return json_kind(e.type()); }
  std::optional<std::string_view> text() const {
    std::string_view s;
    if (e.get_string().get(s)) return std::nullopt;
    return s;
  }
  // Text of a scalar for messages.
  std::string show() const {
    if (auto s = text()) return std::string(*s);
    return simdjson::minify(e).substr(0, 60);
  }
  std::optional<Decimal> number() const {
    switch (e.type()) {
      case simdjson::dom::element_type::INT64: return Decimal::from_int(e.get_int64().value_unsafe());
      case simdjson::dom::element_type::UINT64: {
        auto u = e.get_uint64().value_unsafe();
        return Decimal::parse(fmt::format("{}", u));
      }
      case simdjson::dom::element_type::DOUBLE: {
        // The shortest text that round-trips is the number the writer meant.
        return Decimal::parse(fmt::format("{}", e.get_double().value_unsafe()));
      }
      default: return std::nullopt;
    }
  }
  std::optional<std::int64_t> integer() const {
    if (e.type() == simdjson::dom::element_type::INT64) return e.get_int64().value_unsafe();
    return std::nullopt;
  }
  std::optional<bool> boolean() const {
    bool b;
    if (e.get_bool().get(b)) return std::nullopt;
    return b;
  }
  // Text of a scalar usable as an id (text or number).
  std::optional<std::string> id() const {
    if (auto s = text()) return std::string(*s);
    if (auto n = number()) return n->to_string();
    return std::nullopt;
  }
  template <typename F>
  void each_field(F&& f) const {
    for (auto [key, value] : e.get_object().value_unsafe()) f(key, JsonNode{value});
  }
  template <typename F>
  void each_item(F&& f) const {
    for (auto item : e.get_array().value_unsafe()) f(JsonNode{item});
  }
  std::size_t length() const { return e.get_array().value_unsafe().size(); }
};

struct YamlNode {
  YAML::Node n;
  bool is_null() const { return !n.IsDefined() || n.IsNull(); }
  bool is_object() const { return n.IsMap(); }
  bool is_array() const { return n.IsSequence(); }
  std::string kind() const {
    if (n.IsMap()) return "a mapping";
    if (n.IsSequence()) return "a list";
    return "a value";
  }
  std::optional<std::string_view> text() const {
    if (!n.IsScalar()) return std::nullopt;
    return std::string_view(n.Scalar());
  }
  std::string show() const { return n.IsScalar() ? n.Scalar().substr(0, 60) : kind(); }
  std::optional<Decimal> number() const {
    if (!n.IsScalar()) return std::nullopt;
    return Decimal::parse(n.Scalar());
  }
  std::optional<std::int64_t> integer() const {
    auto d = number();
    if (!d || !d->is_integer()) return std::nullopt;
    return d->to_int64_floor();
  }
  std::optional<bool> boolean() const {
    if (!n.IsScalar()) return std::nullopt;
    if (n.Scalar() == "true") return true;
    if (n.Scalar() == "false") return false;
    return std::nullopt;
  }
  std::optional<std::string> id() const {
    if (!n.IsScalar()) return std::nullopt;
    return n.Scalar();
  }
  template <typename F>
  void each_field(F&& f) const {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      f(std::string_view(key), YamlNode{it->second});
    }
  }
  template <typename F>
  void each_item(F&& f) const {
    for (auto it = n.begin(); it != n.end(); ++it) f(YamlNode{*it});
  }
  std::size_t length() const { return n.size(); }
};

// "P14D", "P2W" → days; "P1Y2M" → months.
std::optional<std::int64_t> parse_iso_span(std::string_view s, bool months) {
  if (s.size() < 3 || s[0] != 'P') return std::nullopt;
  std::int64_t total = 0, current = 0;
  bool digits = false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      current = current * 10 + (c - '0');
      digits = true;
      if (current > 100'000'000) return std::nullopt;
      continue;
    }
    if (!digits) return std::nullopt;
    if (!months && c == 'D') total += current;
    else if (!months && c == 'W') total += current * 7;
    else if (months && c == 'M') total += current;
    else if (months && c == 'Y') total += current * 12;
    else return std::nullopt;
    current = 0;
    digits = false;
  }
  if (digits) return std::nullopt;
  return total;
}

}  // namespace

struct CaseLoader::Impl {
  const Graph& g;
  CaseOptions options;
  std::string path;  // current input path
  simdjson::dom::parser parser;
  std::vector<std::uint32_t> order;  // scratch for sorting
  std::vector<Value> sort_scratch;

  Impl(const Graph& graph, CaseOptions o) : g(graph), options(o) {}

  const CheckedPolicy& P() const { return g.policy; }

  bool fail(CaseData& out, std::string message, std::string code = "E400") {
    if (!out.error) out.error = CaseError{std::move(code), std::move(message), path};
    return false;
  }

  struct PathScope {
    std::string& p;
    std::size_t mark;
    PathScope(std::string& path, std::string_view part, bool index = false) : p(path), mark(path.size()) {
      if (!index && !p.empty()) p += '.';
      p += part;
    }
    ~PathScope() { p.resize(mark); }
  };

  template <typename N>
  bool scalar(const N& node, std::uint32_t type_id, Value& slot, CaseData& out) {
    if (node.is_null()) {
      slot = Value::missing();
      return true;
    }
    const TypeDesc& t = P().types[type_id];
    if (node.is_object() || node.is_array())
      return fail(out, fmt::format("expected {}, found {}", P().type_name(type_id), node.kind()));
    switch (t.tag) {
      case TypeTag::boolean: {
        auto b = node.boolean();
        if (!b) return fail(out, fmt::format("expected true or false, found `{}`", node.show()));
        slot = Value::boolean(*b);
        return true;
      }
      case TypeTag::number: {
        auto d = node.number();
        if (!d) return fail(out, fmt::format("expected a number, found `{}`", node.show()));
        slot = Value::number(*d);
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
          return fail(out, fmt::format("expected a date YYYY-MM-DD, found `{}`", node.show()));
        slot = Value::date(*d);
        return true;
      }
      case TypeTag::duration:
      case TypeTag::period: {
        bool months = t.tag == TypeTag::period;
        std::optional<std::int64_t> v = node.integer();
        if (!v)
          if (auto s = node.text()) v = parse_iso_span(*s, months);
        if (!v)
          return fail(out, fmt::format("expected {} (e.g. {}), found `{}`",
                                       months ? "a period" : "a duration",
                                       months ? "P1Y2M" : "P14D", node.show()));
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
        return fail(out, fmt::format("`{}` is not one of {}{}", node.show(), P().type_name(type_id),
                                     help.empty() ? "" : " (" + help + ")"));
      }
      default: return fail(out, "unsupported fact type");
    }
  }

  template <typename N>
  bool record(const N& node, std::uint32_t layout_index, Value* base, CaseData& out, bool root) {
    if (node.is_null()) return true;
    if (!node.is_object())
      return fail(out, fmt::format("expected a mapping, found {}", node.kind()));
    const RecordLayout& layout = P().records[layout_index];
    bool ok = true;
    node.each_field([&](std::string_view key, const N& value) {
      if (!ok) return;
      if (root && key == "id") {
        auto id = value.id();
        PathScope scope(path, "id");
        if (!id) ok = fail(out, fmt::format("`id` must be text, found {}", value.kind()));
        else out.id = *id;
        return;
      }
      if (root && key == "as_of") {
        PathScope scope(path, "as_of");
        auto s = value.text();
        auto d = s ? parse_iso_date(*s) : std::nullopt;
        if (!d) ok = fail(out, fmt::format("`as_of` must be a date YYYY-MM-DD, found `{}`", value.show()));
        else out.as_of = *d, out.has_as_of = true;
        return;
      }
      auto it = std::find(layout.names.begin(), layout.names.end(), key);
      PathScope scope(path, key);
      if (it == layout.names.end()) {
        CaseError w{"E402", fmt::format("unknown field `{}`", key), path};
        std::string help = did_you_mean(key, layout.names);
        if (!help.empty()) w.message += " (" + help + ")";
        if (options.strict) ok = fail(out, w.message, "E402");
        else out.warnings.push_back(std::move(w));
        return;
      }
      std::size_t f = static_cast<std::size_t>(it - layout.names.begin());
      std::uint32_t type = layout.type_ids[f];
      const TypeDesc& t = P().types[type];
      if (t.list) {
        std::int32_t fact = layout.facts[f];
        ok = list(value, P().facts[static_cast<std::size_t>(fact)].list_index, out);
      } else if (t.tag == TypeTag::record) {
        ok = record(value, static_cast<std::uint32_t>(t.record), base + layout.offsets[f], out, false);
      } else {
        ok = scalar(value, type, base[layout.offsets[f]], out);
      }
    });
    return ok;
  }

  template <typename N>
  bool list(const N& node, std::uint32_t list_index, CaseData& out) {
    if (node.is_null()) return true;
    if (!node.is_array())
      return fail(out, fmt::format("expected a list, found {}", node.kind()));
    const ListInfo& info = P().lists[list_index];
    const RecordLayout& layout = P().records[info.item_record];
    CaseList& l = out.lists[list_index];
    std::size_t n = node.length();
    if (n > 100000) return fail(out, "a list of more than 100000 items");
    std::uint32_t width = layout.width;
    l.fields.assign(n * width, Value::missing());
    std::size_t i = 0;
    bool ok = true;
    node.each_item([&](const N& item) {
      if (!ok) return;
      std::string index = fmt::format("[{}]", i);
      PathScope scope(path, index, true);
      if (!item.is_object()) {
        ok = fail(out, fmt::format("expected a mapping for each item, found {}", item.kind()));
        return;
      }
      ok = record(item, info.item_record, l.fields.data() + i * width, out, false);
      if (!ok) return;
      for (std::size_t f = 0; f < layout.names.size(); ++f) {
        if (layout.required[f] && l.fields[i * width + layout.offsets[f]].is_missing()) {
          PathScope field(path, layout.names[f]);
          ok = fail(out, fmt::format("required field `{}` is absent", layout.names[f]), "E401");
          return;
        }
      }
      ++i;
    });
    if (!ok) return false;
    if (layout.date_field >= 0) sort_by_date(l, layout, n);
    l.items.resize(n);
    for (std::size_t k = 0; k < n; ++k)
      l.items[k] = Value::record(l.fields.data() + k * width, info.item_record, static_cast<std::int32_t>(k));
    return true;
  }

  // Stable sort of the items by their date; items without a date go last.
  void sort_by_date(CaseList& l, const RecordLayout& layout, std::size_t n) {
    std::uint32_t width = layout.width;
    std::uint32_t off = layout.offsets[static_cast<std::size_t>(layout.date_field)];
    bool sorted = true;
    auto key = [&](std::size_t k) {
      const Value& v = l.fields[k * width + off];
      return v.is_missing() ? INT64_MAX : v.i;
    };
    for (std::size_t k = 1; k < n && sorted; ++k) sorted = key(k - 1) <= key(k);
    if (sorted) return;
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) { return key(x) < key(y); });
    sort_scratch.assign(l.fields.begin(), l.fields.end());
    for (std::size_t k = 0; k < n; ++k)
      std::copy_n(sort_scratch.begin() + order[k] * width, width, l.fields.begin() + k * width);
  }

  void reset(CaseData& out) {
    out.id.clear();
    out.as_of = 0;
    out.has_as_of = false;
    out.slots.assign(P().slot_count, Value::missing());
    out.lists.resize(P().lists.size());
    for (auto& l : out.lists) {
      l.fields.clear();
      l.items.clear();
    }
    out.texts.clear();
    out.warnings.clear();
    out.error.reset();
    path.clear();
  }

  template <typename N>
  bool load(const N& root, CaseData& out) {
    reset(out);
    if (!root.is_object()) return fail(out, fmt::format("a case must be a mapping, found {}", root.kind()), "E403");
    return record(root, P().root_record, out.slots.data(), out, true);
  }
};

CaseLoader::CaseLoader(std::shared_ptr<const Graph> graph, CaseOptions options)
    : impl_(std::make_unique<Impl>(*graph, options)), graph_(std::move(graph)), options_(options) {}

CaseLoader::~CaseLoader() = default;

bool CaseLoader::load_json(std::string_view json, CaseData& out) {
  simdjson::dom::element doc;
  auto error = impl_->parser.parse(json.data(), json.size(), true).get(doc);
  if (error) {
    impl_->reset(out);
    out.error = CaseError{"E403", fmt::format("invalid JSON: {}", simdjson::error_message(error)), ""};
    return false;
  }
  return impl_->load(JsonNode{doc}, out);
}

bool CaseLoader::load_yaml(const YAML::Node& node, CaseData& out) {
  try {
    return impl_->load(YamlNode{node}, out);
  } catch (const std::exception& e) {
    out.error = CaseError{"E403", fmt::format("unreadable case: {}", e.what()), ""};
    return false;
  }
}

bool CaseLoader::finish(CaseData& out) const {
  if (out.error) return false;
  const CheckedPolicy& p = graph_->policy;
  if (!out.has_as_of) {
    out.error = CaseError{"E401", "the case has no `as_of` date", "as_of"};
    return false;
  }
  for (const auto& f : p.facts) {
    if (f.required && f.shape == FactDecl::Shape::scalar && out.slots[f.slot].is_missing()) {
      out.error = CaseError{"E401", fmt::format("required fact `{}` is absent", f.path), f.path};
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
      out.error = CaseError{"E405", fmt::format("`{}` is not a date", value), "--fact as_of"};
      return false;
    }
    out.as_of = *d;
    out.has_as_of = true;
    return true;
  }
  for (const auto& f : p.facts) {
    if (f.path != path) continue;
    if (f.shape != FactDecl::Shape::scalar) {
      out.error = CaseError{"E405", fmt::format("`{}` is not a single value", path), "--fact " + path};
      return false;
    }
    YAML::Node node;
    try {
      node = YAML::Load(value.empty() ? std::string("~") : value);
    } catch (const std::exception&) {
      node = YAML::Node(value);
    }
    impl_->path = "--fact " + path;
    std::optional<CaseError> saved = out.error;
    out.error.reset();
    bool ok = impl_->scalar(YamlNode{node}, f.type_id, out.slots[f.slot], out);
    impl_->path.clear();
    if (!ok) return false;
    out.error = saved;
    return true;
  }
  std::vector<std::string> names;
  for (const auto& f : p.facts) names.push_back(f.path);
  std::string help = did_you_mean(path, names);
  out.error = CaseError{"E405", fmt::format("no fact `{}`{}", path, help.empty() ? "" : " (" + help + ")"),
                        "--fact " + path};
  return false;
}

}  // namespace mmi
