// Value formatting for results and explanations.
#include "engine/value_json.hpp"

#include <fmt/format.h>

namespace mmi {

namespace {
// The length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  unsigned char d = byte(i + 1);
  if ((c == 0xE0 && d < 0xA0) || (c == 0xED && d > 0x9F) || (c == 0xF0 && d < 0x90) ||
      (c == 0xF4 && d > 0x8F))
    return 0;
  return n;
}
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  // Copy runs of characters that need no escape in one append.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Output is always valid UTF-8: a byte that starts no well-formed sequence (input quoted
      // in an error message, say) becomes U+FFFD.
      std::size_t n = utf8_sequence(s, i);
      if (n > 0) {
        i += n - 1;
        continue;
      }
      out.append(s.data() + run, i - run);
      run = i + 1;
      out += "\ufffd";
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += fmt::format("\\u{:04x}", c);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

std::string value_to_string(const Value& v, const Graph& g) {
  switch (v.kind) {
    case Kind::missing:
      return "missing";
    case Kind::error:
      return "error";
    case Kind::boolean:
      return v.b ? "true" : "false";
    case Kind::number:
      return v.as_number().to_string();
    case Kind::text:
      return std::string(v.as_text());
    case Kind::date:
      return format_date(static_cast<DayNumber>(v.i));
    case Kind::duration:
      return format_duration(v.i);
    case Kind::period:
      return format_period(v.i);
    case Kind::list: {
      std::string s = "[";
      for (std::uint32_t k = 0; k < v.aux && k < 6; ++k) {
        if (k) s += ", ";
        s += k == 5 ? "…" : value_to_string(v.items[k], g);
      }
      return s + fmt::format("] ({} item{})", v.aux, v.aux == 1 ? "" : "s");
    }
    case Kind::record: {
      const RecordLayout& r = g.policy.records[v.aux];
      std::string s = "{";
      for (std::size_t f = 0; f < r.names.size(); ++f) {
        const Value& field = v.items[r.offsets[f]];
        if (field.is_missing() || g.policy.types[r.type_ids[f]].tag == TypeTag::record) continue;
        if (s.size() > 1) s += ", ";
        s += r.names[f] + ": " + value_to_string(field, g);
      }
      return s + "}";
    }
  }
  return "?";
}

void append_json_value(std::string& out, const Value& v, const Graph& g) {
  switch (v.kind) {
    case Kind::missing:
    case Kind::error:
      out += "null";
      return;
    case Kind::boolean:
      out += v.b ? "true" : "false";
      return;
    case Kind::number:
      v.as_number().append_to(out);
      return;
    case Kind::text:
      append_json_string(out, v.as_text());
      return;
    case Kind::date:
      out += '"';
      append_date(out, static_cast<DayNumber>(v.i));
      out += '"';
      return;
    case Kind::duration:
      append_json_string(out, format_duration(v.i));
      return;
    case Kind::period:
      append_json_string(out, format_period(v.i));
      return;
    case Kind::list:
      out += '[';
      for (std::uint32_t k = 0; k < v.aux; ++k) {
        if (k) out += ',';
        append_json_value(out, v.items[k], g);
      }
      out += ']';
      return;
    case Kind::record: {
      const RecordLayout& r = g.policy.records[v.aux];
      out += '{';
      for (std::size_t f = 0; f < r.names.size(); ++f) {
        if (f) out += ',';
        append_json_string(out, r.names[f]);
        out += ':';
        const TypeDesc& t = g.policy.types[r.type_ids[f]];
        if (t.tag == TypeTag::record && !t.list)
          append_json_value(
              out, Value::record(v.items + r.offsets[f], static_cast<std::uint32_t>(t.record), -1),
              g);
        else
          append_json_value(out, v.items[r.offsets[f]], g);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace mmi
