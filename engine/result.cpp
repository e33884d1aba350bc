#include "engine/result.hpp"

#include <fmt/format.h>

#include <cstring>

#include "engine/output_file.hpp"

namespace mmi {

namespace {

void json_string(std::string& out, std::string_view s) {
  append_json_string(out, s);
}

void header(std::string& out, const Graph& g, std::string_view case_id, bool has_id) {
  out += "{\"case\":";
  if (has_id)
    json_string(out, case_id);
  else
    out += "null";
  out += g.json_policy_fields;
}

// The values results hold most (dates, missing) without the general writer's call.
inline void result_value(std::string& out, const Value& v, const Graph& g) {
  if (v.kind == Kind::date)
    append_json_date(out, static_cast<DayNumber>(v.i));
  else if (v.kind == Kind::missing)
    out.append("null", 4);
  else
    append_json_value(out, v, g);
}

// Text that JSON takes as it is (no quote, backslash, control or non-ASCII byte).
bool plain_text(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

// Adds to `room` the most bytes `v` takes in a result; false when the cursor does not write it.
bool value_room(const Value& v, std::size_t& room) {
  switch (v.kind) {
    case Kind::missing:
    case Kind::error:
    case Kind::boolean:
      room += 5;
      return true;
    case Kind::date:
      room += 12;
      return day_in_range(v.i);
    case Kind::number:
      room += kMaxJsonNumberBytes;
      return simple_json_number(v);
    case Kind::text:
      room += v.aux + 2;
      return plain_text(v.as_text());
    default:
      return false;
  }
}

// Writes a result into room made once, through a pointer: each piece a copy into place where a
// std::string append was a call, a capacity check and a call to memcpy.
class Cursor {
 public:
  explicit Cursor(char* at) : p_(at) {}
  template <std::size_t N>
  void put(const char (&literal)[N]) {
    std::memcpy(p_, literal, N - 1);  // a size known when compiled: a few stores
    p_ += N - 1;
  }
  void put(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void put(char c) { *p_++ = c; }
  void text(std::string_view s) {  // plain_text(s)
    *p_++ = '"';
    put(s);
    *p_++ = '"';
  }
  void value(const Value& v) {  // value_room(v) was true
    switch (v.kind) {
      case Kind::date:
        write_json_date(p_, static_cast<DayNumber>(v.i));
        p_ += 12;
        return;
      case Kind::number:
        p_ += write_json_number(p_, v);
        return;
      case Kind::text:
        text(v.as_text());
        return;
      case Kind::boolean:
        if (v.b)
          put("true");
        else
          put("false");
        return;
      default:
        put("null");
    }
  }
  char* at() const { return p_; }

 private:
  char* p_;
};

// A result whose values are dates, numbers, plain texts, booleans or missing, with no error (the
// results of nearly every case), written through a Cursor; false (nothing written) otherwise.
bool append_simple_result(std::string& out, const Graph& g, const CaseData& c, const Outcome& o,
                          const std::vector<std::string>& missing) {
  const CheckedPolicy& p = g.policy;
  if (o.error || !plain_text(c.id)) return false;
  std::size_t room = g.json_pieces_bound + c.id.size() + 256;  // 256: literals and keys
  bool simple = value_room(Value::date(o.as_of), room) && value_room(o.mmi_date, room) &&
                value_room(o.coverage_cutoff, room);
  if (o.status != Status::error)
    for (const Value& v : o.outputs) simple = simple && value_room(v, room);
  for (const Value& v : o.rule_dates) simple = simple && value_room(v, room);
  for (const auto& m : missing) {
    simple = simple && plain_text(m);
    room += m.size() + 3;
  }
  if (!simple) return false;
  const std::size_t start = out.size();
  out.resize(start + room);
  Cursor w(out.data() + start);
  w.put("{\"case\":");
  if (c.id.empty())
    w.put("null");
  else
    w.text(c.id);
  w.put(g.json_policy_fields);
  if (c.has_as_of || o.as_of != 0) {
    w.put(",\"as_of\":");
    w.value(Value::date(o.as_of));
  } else {
    w.put(",\"as_of\":null");
  }
  static constexpr std::string_view kStatuses[] = {
      ",\"status\":\"reached\",\"mmi_date\":", ",\"status\":\"not_reached\",\"mmi_date\":",
      ",\"status\":\"undetermined\",\"mmi_date\":", ",\"status\":\"error\",\"mmi_date\":"};
  w.put(kStatuses[static_cast<int>(o.status)]);
  w.value(o.mmi_date);
  w.put(",\"basis\":");
  if (o.basis >= 0)
    w.put(g.json_rule_ids[static_cast<std::size_t>(o.basis)]);
  else
    w.put("null");
  w.put(",\"coverage_cutoff\":");
  w.value(o.coverage_cutoff);
  w.put(",\"outputs\":{");
  for (std::size_t k = 0; k < p.outputs.size(); ++k) {
    w.put(g.json_output_keys[k]);
    w.value(o.status == Status::error ? Value::missing() : o.outputs[k]);
  }
  w.put("},\"rules\":{");
  for (std::size_t r = 0; r < p.rules.size(); ++r) {
    std::size_t piece = r * 3 + static_cast<std::size_t>(o.rules[r]);
    if (o.rule_dates[r].is_missing()) {
      w.put(g.json_rule_nulls[piece]);
      continue;
    }
    w.put(g.json_rule_heads[piece]);
    w.value(o.rule_dates[r]);
    w.put(g.json_rule_tails[r]);
  }
  w.put("},\"missing\":[");
  for (std::size_t k = 0; k < missing.size(); ++k) {
    if (k) w.put(',');
    w.text(missing[k]);
  }
  w.put("]}");
  out.resize(static_cast<std::size_t>(w.at() - out.data()));
  return true;
}

}  // namespace

void append_result_json(std::string& out, const Graph& g, const CaseData& c, const Outcome& o,
                        const std::vector<std::string>& missing) {
  if (!append_simple_result(out, g, c, o, missing))
    append_result_json_general(out, g, c, o, missing);
}

void append_result_json_general(std::string& out, const Graph& g, const CaseData& c,
                                const Outcome& o, const std::vector<std::string>& missing) {
  using namespace std::string_view_literals;  // literal lengths known when compiled
  const CheckedPolicy& p = g.policy;
  header(out, g, c.id, !c.id.empty());
  // Keys are literal fragments (a result is written per case: no per-key escaping).
  if (c.has_as_of || o.as_of != 0) {
    out += ",\"as_of\":"sv;
    append_json_date(out, o.as_of);
  } else {
    out += ",\"as_of\":null"sv;
  }
  static constexpr std::string_view kStatuses[] = {
      ",\"status\":\"reached\",\"mmi_date\":", ",\"status\":\"not_reached\",\"mmi_date\":",
      ",\"status\":\"undetermined\",\"mmi_date\":", ",\"status\":\"error\",\"mmi_date\":"};
  static_assert(static_cast<int>(Status::reached) == 0 && static_cast<int>(Status::error) == 3);
  out += kStatuses[static_cast<int>(o.status)];
  result_value(out, o.mmi_date, g);
  out += ",\"basis\":"sv;
  if (o.basis >= 0) {
    out += g.json_rule_ids[static_cast<std::size_t>(o.basis)];
  } else {
    out += "null"sv;
  }
  out += ",\"coverage_cutoff\":"sv;
  result_value(out, o.coverage_cutoff, g);
  out += ",\"outputs\":{"sv;
  for (std::size_t k = 0; k < p.outputs.size(); ++k) {
    out += g.json_output_keys[k];
    result_value(out, o.status == Status::error ? Value::missing() : o.outputs[k], g);
  }
  out += "},\"rules\":{"sv;
  static_assert(static_cast<int>(RuleState::not_fired) == 0 &&
                static_cast<int>(RuleState::fired) == 1 &&
                static_cast<int>(RuleState::unknown) == 2);
  for (std::size_t r = 0; r < p.rules.size(); ++r) {
    std::size_t piece = r * 3 + static_cast<std::size_t>(o.rules[r]);
    if (o.rule_dates[r].is_missing()) {
      out += g.json_rule_nulls[piece];  // most rules: one append
      continue;
    }
    out += g.json_rule_heads[piece];
    result_value(out, o.rule_dates[r], g);
    out += g.json_rule_tails[r];
  }
  out += "},\"missing\":["sv;
  for (std::size_t k = 0; k < missing.size(); ++k) {
    if (k) out += ',';
    json_string(out, missing[k]);
  }
  out += ']';
  if (o.error) {
    out += ",\"error\":{\"code\":"sv;
    json_string(out, code_name(o.error->code));
    out += ",\"message\":"sv;
    json_string(out, o.error->message);
    out += ",\"at\":"sv;
    json_string(out, o.error->at);
    out += '}';
  }
  out += '}';
}

void append_input_error_json(std::string& out, const Graph& g, std::string_view case_id,
                             const CaseError& error, std::size_t line) {
  header(out, g, case_id, !case_id.empty());
  out +=
      ",\"as_of\":null,\"status\":\"error\",\"mmi_date\":null,\"basis\":null,"
      "\"coverage_cutoff\":null,\"outputs\":{},\"rules\":{},\"missing\":[]";
  if (line > 0) out += fmt::format(",\"line\":{}", line);
  out += ",\"error\":{\"code\":";
  json_string(out, code_name(error.code));
  out += ",\"message\":";
  json_string(out, error.message);
  out += ",\"at\":";
  std::string at = error.at;
  if (line > 0)
    at = at.empty() ? fmt::format("line {}", line) : fmt::format("line {}: {}", line, at);
  json_string(out, at);
  out += "}}";
}

std::string result_text(const Graph& g, const CaseData& c, const Outcome& o,
                        const std::vector<std::string>& missing) {
  const CheckedPolicy& p = g.policy;
  std::string s;
  // The case's own text is escaped (printable()): an id or value never spans lines.
  s += fmt::format("case {} under {} {} (as of {})\n", c.id.empty() ? "?" : printable(c.id),
                   p.policy_id, p.version, format_date(o.as_of));
  s += fmt::format("  status           {}\n", to_string(o.status));
  if (o.error) {
    s += fmt::format("  error            {} [{}] at {}\n", printable(o.error->message),
                     code_name(o.error->code), printable(o.error->at));
    return s;
  }
  s += fmt::format("  mmi_date         {}\n",
                   o.mmi_date.is_missing() ? "-" : value_to_string(o.mmi_date, g));
  s += fmt::format("  basis            {}\n",
                   o.basis >= 0 ? p.rules[static_cast<std::size_t>(o.basis)].id : std::string("-"));
  s += fmt::format("  coverage_cutoff  {}\n",
                   o.coverage_cutoff.is_missing() ? "-" : value_to_string(o.coverage_cutoff, g));
  if (!p.outputs.empty()) {
    s += "  outputs\n";
    for (std::size_t k = 0; k < p.outputs.size(); ++k)
      s += fmt::format(
          "    {:<22} {}\n", p.outputs[k].name,
          o.outputs[k].is_missing() ? "-" : printable(value_to_string(o.outputs[k], g)));
  }
  s += "  rules\n";
  for (std::size_t r = 0; r < p.rules.size(); ++r) {
    // No trailing blanks: a line copied from a page must compare equal.
    if (o.rule_dates[r].is_missing())
      s += fmt::format("    {:<22} {}\n", p.rules[r].id, to_string(o.rules[r]));
    else
      s += fmt::format("    {:<22} {:<10} {}\n", p.rules[r].id, to_string(o.rules[r]),
                       value_to_string(o.rule_dates[r], g));
  }
  if (!missing.empty()) {
    s += "  missing          ";
    for (std::size_t k = 0; k < missing.size(); ++k) s += (k ? ", " : "") + missing[k];
    s += "\n";
  }
  return s;
}

namespace {
// A node's place is shown where it differs from its parent's (the roots, the lets unfolded).
void explanation_lines(std::string& s, const Explanation& e, const std::string& prefix, bool last,
                       bool root, const std::string& parent_at = {}) {
  std::string text = e.text;
  if (text.size() > 100) text = text.substr(0, 97) + "...";
  std::string tail = e.at.empty() || e.at == parent_at ? "" : "  [" + printable(e.at) + "]";
  if (!e.cites.empty()) tail += "  cites " + printable(e.cites);
  if (root)
    s += fmt::format("{}  →  {}{}\n", text, printable(e.value), tail);
  else
    s += fmt::format("{}{}{}  →  {}{}\n", prefix, last ? "└─ " : "├─ ", text, printable(e.value),
                     tail);
  std::string next = root ? "" : prefix + (last ? "   " : "│  ");
  for (std::size_t k = 0; k < e.parts.size(); ++k)
    explanation_lines(s, e.parts[k], next, k + 1 == e.parts.size(), false, e.at);
}
}  // namespace

std::string explanation_text(const Explanation& e) {
  std::string s;
  explanation_lines(s, e, "", true, true);
  return s;
}

std::string parameters_text(const std::vector<ParameterUse>& uses) {
  std::string s;
  std::size_t width = 0;
  for (const auto& u : uses) width = std::max(width, u.name.size());
  for (const auto& u : uses) {
    s += fmt::format("  {:<{}}  {}", u.name, width, printable(u.value));
    if (!u.in_force_from.empty())
      s += fmt::format("  (entry of {}, read on {})", u.in_force_from, u.read_on);
    if (!u.at.empty()) s += "  [" + printable(u.at) + "]";
    if (!u.description.empty()) s += "  " + printable(u.description);
    s += "\n";
  }
  return s;
}

void append_explanation_json(std::string& out, const Explanation& e) {
  out += "{\"expr\":";
  json_string(out, e.text);
  out += ",\"value\":";
  out += e.json_value.empty() ? std::string("null") : e.json_value;
  out += ",\"text\":";
  json_string(out, e.value);
  out += ",\"at\":";
  if (e.at.empty())
    out += "null";
  else
    json_string(out, e.at);
  if (!e.cites.empty()) {
    out += ",\"cites\":";
    json_string(out, e.cites);
  }
  out += ",\"parts\":[";
  for (std::size_t k = 0; k < e.parts.size(); ++k) {
    if (k) out += ',';
    append_explanation_json(out, e.parts[k]);
  }
  out += "]}";
}

void append_parameters_json(std::string& out, const std::vector<ParameterUse>& uses) {
  out += '[';
  for (std::size_t k = 0; k < uses.size(); ++k) {
    const ParameterUse& u = uses[k];
    if (k) out += ',';
    out += "{\"name\":";
    json_string(out, u.name);
    out += ",\"value\":" + (u.json_value.empty() ? std::string("null") : u.json_value);
    out += ",\"text\":";
    json_string(out, u.value);
    for (const auto& [key, text] :
         {std::pair<const char*, const std::string*>{"in_force_from", &u.in_force_from},
          {"read_on", &u.read_on},
          {"at", &u.at}}) {
      out += fmt::format(",\"{}\":", key);
      if (text->empty())
        out += "null";
      else
        json_string(out, *text);
    }
    if (!u.description.empty()) {
      out += ",\"description\":";
      json_string(out, u.description);
    }
    out += '}';
  }
  out += ']';
}

}  // namespace mmi
