// Stage 6: case input (JSON via simdjson, YAML via yaml-cpp) → CaseData laid out for a graph.
// One templated walker serves both formats through a small node adapter.
#include <fmt/format.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>

#include "engine/case.hpp"

namespace mmi {

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

namespace {

// JSON through simdjson On-Demand: one pass over the text, no DOM tape. Values can be read
// once; the walker below reads each exactly once, in document order.
struct JsonNode {
  mutable simdjson::ondemand::value v;
  mutable int cached_type = -1;  // the walker asks a value's type several times

  simdjson::ondemand::json_type type() const {
    if (cached_type >= 0) return static_cast<simdjson::ondemand::json_type>(cached_type);
    simdjson::ondemand::json_type t{};
    if (v.type().get(t)) t = simdjson::ondemand::json_type::null;
    cached_type = static_cast<int>(t);
    return t;
  }
  bool is_null() const { return type() == simdjson::ondemand::json_type::null; }
  bool is_object() const { return type() == simdjson::ondemand::json_type::object; }
  bool is_array() const { return type() == simdjson::ondemand::json_type::array; }
  std::string kind() const {
    switch (type()) {
      case simdjson::ondemand::json_type::array:
        return "a list";
      case simdjson::ondemand::json_type::object:
        return "a mapping";
      case simdjson::ondemand::json_type::string:
        return "text";
      case simdjson::ondemand::json_type::boolean:
        return "a bool";
      case simdjson::ondemand::json_type::null:
        return "null";
      default:
        return "a number";
    }
  }
  std::optional<std::string_view> text() const {
    if (type() != simdjson::ondemand::json_type::string) return std::nullopt;
    std::string_view s;
    if (v.get_string().get(s)) return std::nullopt;
    return s;
  }
  std::string show() const {
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    if (raw.size() >= 2 && raw.front() == '"') raw = raw.substr(1, raw.size() - 2);
    return std::string(raw.substr(0, 60));
  }
  std::optional<Decimal> number() const {
    if (type() != simdjson::ondemand::json_type::number) return std::nullopt;
    // The number's own text parses exactly (812.50 stays 812.5, never 812.4999…).
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
      raw.remove_suffix(1);
    if (auto d = Decimal::parse(raw)) return d;
    double x;
    if (v.get_double().get(x)) return std::nullopt;  // exponent form: 1.5e3
    return Decimal::parse(fmt::format("{}", x));
  }
  std::optional<std::int64_t> integer() const {
    if (type() != simdjson::ondemand::json_type::number) return std::nullopt;
    std::int64_t i;
    if (v.get_int64().get(i)) return std::nullopt;
    return i;
  }
  std::optional<bool> boolean() const {
    if (type() != simdjson::ondemand::json_type::boolean) return std::nullopt;
    bool b;
    if (v.get_bool().get(b)) return std::nullopt;
    return b;
  }
  std::optional<std::string> id() const {
    if (auto s = text()) return std::string(*s);
    if (auto n = number()) return n->to_string();
    return std::nullopt;
  }
  // False when the JSON turns out malformed part-way.
  template <typename F>
  bool each_field(F&& f) const {
    simdjson::ondemand::object object;
    if (v.get_object().get(object)) return false;
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      simdjson::ondemand::value value;
      if (field.value().get(value)) return false;
      if (!f(key, JsonNode{value})) return true;
    }
    return true;
  }
  template <typename F>
  bool each_item(F&& f) const {
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
  bool each_field(F&& f) const {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      if (!f(std::string_view(key), YamlNode{it->second})) break;
    }
    return true;
  }
  template <typename F>
  bool each_item(F&& f) const {
    for (auto it = n.begin(); it != n.end(); ++it)
      if (!f(YamlNode{*it})) break;
    return true;
  }
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
    if (!months && c == 'D')
      total += current;
    else if (!months && c == 'W')
      total += current * 7;
    else if (months && c == 'M')
      total += current;
    else if (months && c == 'Y')
      total += current * 12;
    else
      return std::nullopt;
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
  std::string padded;
  std::vector<std::uint32_t> order;  // scratch for sorting
  std::vector<Value> sort_scratch;

  Impl(const Graph& graph, CaseOptions o) : g(graph), options(o) {
    for (const auto& layout : graph.policy.records) {
      std::vector<FieldKey> keys;
      for (const auto& n : layout.names)
        keys.push_back({static_cast<std::uint32_t>(n.size()), head_of(n)});
      field_keys.push_back(std::move(keys));
    }
  }

  const CheckedPolicy& P() const { return g.policy; }

  bool fail(CaseData& out, std::string message, std::string code = "E400") {
    if (!out.error) out.error = CaseError{std::move(code), std::move(message), path()};
    return false;
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
          return fail(out, fmt::format("expected a date YYYY-MM-DD, found `{}`",
                                       s ? std::string(*s).substr(0, 60) : node.show()));
        slot = Value::date(*d);
        return true;
      }
      case TypeTag::duration:
      case TypeTag::period: {
        bool months = t.tag == TypeTag::period;
        std::optional<std::int64_t> v = node.integer();
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

  template <typename N>
  bool record(const N& node, std::uint32_t layout_index, Value* base, CaseData& out, bool root) {
    if (node.is_null()) return true;
    if (!node.is_object())
      return fail(out, fmt::format("expected a mapping, found {}", node.kind()));
    const RecordLayout& layout = P().records[layout_index];
    bool ok = true;
    bool well_formed = node.each_field([&](std::string_view key, const N& value) {
      if (root && key == "id") {
        auto id = value.id();
        PathScope scope(parts, "id");
        if (!id)
          ok = fail(out, fmt::format("`id` must be text, found {}", value.kind()));
        else
          out.id = *id;
        return ok;
      }
      if (root && key == "as_of") {
        PathScope scope(parts, "as_of");
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
        CaseError w{"E402", fmt::format("unknown field `{}`", key), path()};
        std::string help = did_you_mean(key, layout.names);
        if (!help.empty()) w.message += " (" + help + ")";
        if (options.strict)
          ok = fail(out, w.message, "E402");
        else
          out.warnings.push_back(std::move(w));
        return ok;
      }
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
      }
      return ok;
    });
    if (!well_formed) return fail(out, "invalid JSON here", "E403");
    return ok;
  }

  template <typename N>
  bool list(const N& node, std::uint32_t list_index, CaseData& out) {
    if (node.is_null()) return true;
    if (!node.is_array()) return fail(out, fmt::format("expected a list, found {}", node.kind()));
    const ListInfo& info = P().lists[list_index];
    const RecordLayout& layout = P().records[info.item_record];
    CaseList& l = out.lists[list_index];
    std::uint32_t width = layout.width;
    l.fields.clear();
    std::size_t n = 0;
    bool ok = true;
    bool well_formed = node.each_item([&](const N& item) {
      PathScope scope(parts, n);
      if (n >= 100000) {
        ok = fail(out, "a list of more than 100000 items");
        return false;
      }
      if (!item.is_object()) {
        ok = fail(out, fmt::format("expected a mapping for each item, found {}", item.kind()));
        return false;
      }
      l.fields.resize((n + 1) * width, Value::missing());
      ok = record(item, info.item_record, l.fields.data() + n * width, out, false);
      if (!ok) return false;
      for (std::size_t f = 0; f < layout.names.size(); ++f) {
        if (layout.required[f] && l.fields[n * width + layout.offsets[f]].is_missing()) {
          PathScope field(parts, layout.names[f]);
          ok = fail(out, fmt::format("required field `{}` is absent", layout.names[f]), "E401");
          return false;
        }
      }
      ++n;
      return true;
    });
    if (!well_formed) return fail(out, "invalid JSON here", "E403");
    if (!ok) return false;
    if (layout.date_field >= 0) sort_by_date(l, layout, n);
    l.items.resize(n);
    for (std::size_t k = 0; k < n; ++k)
      l.items[k] = Value::record(l.fields.data() + k * width, info.item_record,
                                 static_cast<std::int32_t>(k));
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
    parts.clear();
  }

  template <typename N>
  bool load(const N& root, CaseData& out) {
    reset(out);
    if (!root.is_object())
      return fail(out, fmt::format("a case must be a mapping, found {}", root.kind()), "E403");
    return record(root, P().root_record, out.slots.data(), out, true);
  }
};

CaseLoader::CaseLoader(std::shared_ptr<const Graph> graph, CaseOptions options)
    : impl_(std::make_unique<Impl>(*graph, options)), graph_(std::move(graph)), options_(options) {}

CaseLoader::~CaseLoader() = default;

bool CaseLoader::load_json(std::string_view json, CaseData& out, bool padded) {
  Impl& im = *impl_;
  const char* data = json.data();
  if (!padded) {
    // On-Demand reads up to kJsonPadding bytes past the end: give it a padded copy.
    im.padded.assign(json.data(), json.size());
    im.padded.append(kJsonPadding, ' ');
    data = im.padded.data();
  }
  auto invalid = [&](simdjson::error_code error) {
    im.reset(out);
    out.error =
        CaseError{"E403", fmt::format("invalid JSON: {}", simdjson::error_message(error)), ""};
    return false;
  };
  std::size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{') {
    im.reset(out);
    out.error = CaseError{"E403",
                          first == std::string_view::npos ? "an empty line is not a case"
                                                          : "a case must be a JSON object `{…}`",
                          ""};
    return false;
  }
  simdjson::ondemand::document doc;
  if (auto error = im.od_parser.iterate(data, json.size(), json.size() + kJsonPadding).get(doc))
    return invalid(error);
  simdjson::ondemand::value root;
  if (auto error = doc.get_value().get(root)) return invalid(error);
  bool ok = im.load(JsonNode{root}, out);
  if (!ok && out.error && out.error->code == "E403" && out.error->message == "invalid JSON here") {
    std::string at = out.error->at;
    invalid(simdjson::TAPE_ERROR);
    out.error->message = "invalid JSON";
    out.error->at = at;
  }
  return ok;
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
  if (out.id.empty()) {
    out.error = CaseError{"E401", "the case has no `id`", "id"};
    return false;
  }
  if (!out.has_as_of) {
    out.error = CaseError{"E401", "the case has no `as_of` date", "as_of"};
    return false;
  }
  if (!options_.ignore_dates &&
      ((p.effective && out.as_of < *p.effective) || (p.expires && out.as_of > *p.expires))) {
    out.error =
        CaseError{"E404",
                  fmt::format("as_of {} is outside the policy's effective period ({} to {})",
                              format_date(out.as_of), p.effective ? format_date(*p.effective) : "…",
                              p.expires ? format_date(*p.expires) : "…"),
                  "as_of"};
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
      out.error =
          CaseError{"E405", fmt::format("`{}` is not a single value", path), "--fact " + path};
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
  out.error =
      CaseError{"E405", fmt::format("no fact `{}`{}", path, help.empty() ? "" : " (" + help + ")"),
                "--fact " + path};
  return false;
}

}  // namespace mmi
