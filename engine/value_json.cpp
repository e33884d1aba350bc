// Value formatting for results and explanations.
#include "engine/value_json.hpp"

#include <fmt/format.h>

#include <cstring>

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
// "00" … "99": two digits per table read.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void put_two(char* at, unsigned v) {
  std::memcpy(at, kDigitPairs + 2 * v, 2);  // one 16-bit load and store
}

// A number as Decimal::append_to writes it, when the coefficient fits 64 bits (every number a
// case or a policy holds in practice): 64-bit digit loops instead of 128-bit division.
void append_number(std::string& out, const Value& v) {
  char buf[kMaxJsonNumberBytes];
  if (std::size_t n = write_json_number(buf, v)) {
    out.append(buf, n);
    return;
  }
  v.as_number().append_to(out);
}
}  // namespace

bool simple_json_number(const Value& v) {
  constexpr __int128 kLimit = static_cast<__int128>(1) << 63;
  return v.coef > -kLimit && v.coef < kLimit && v.exp >= -20 && v.exp <= 20;
}

std::size_t write_json_number(char* buf, const Value& v) {
  if (!simple_json_number(v)) return 0;
  if (v.coef == 0) {
    buf[0] = '0';
    return 1;
  }
  auto signed_coef = static_cast<std::int64_t>(v.coef);
  std::uint64_t m = signed_coef < 0 ? 0 - static_cast<std::uint64_t>(signed_coef)
                                    : static_cast<std::uint64_t>(signed_coef);
  char reversed[24];
  int len = 0;
  while (m != 0) {
    reversed[len++] = static_cast<char>('0' + m % 10);
    m /= 10;
  }
  char* p = buf;
  if (signed_coef < 0) *p++ = '-';
  auto digits = [&](int from, int count) {  // most significant first
    for (int k = 0; k < count; ++k) *p++ = reversed[len - 1 - from - k];
  };
  int exp = v.exp;
  if (exp >= 0) {
    digits(0, len);
    std::memset(p, '0', static_cast<std::size_t>(exp));
    p += exp;
  } else if (int frac = -exp; len > frac) {
    digits(0, len - frac);
    *p++ = '.';
    digits(len - frac, frac);
  } else {
    *p++ = '0';
    *p++ = '.';
    std::memset(p, '0', static_cast<std::size_t>(frac - len));
    p += frac - len;
    digits(0, len);
  }
  return static_cast<std::size_t>(p - buf);
}

// Neri and Schneider's civil-from-days ("Euclidean affine functions and their application to
// calendar algorithms", 2022): multiplications and shifts only. Day 0 is 1970-01-01; the shift by
// 82 eras keeps every day of years 0001-9999 positive in 32 bits. Checked against
// civil_from_days for every day of that range (tests/unit).
void append_json_date(std::string& out, DayNumber day) {
  if (!day_in_range(day)) {  // not a date a value can hold; kept exact all the same
    out += '"';
    append_date(out, day);
    out += '"';
    return;
  }
  std::size_t at = out.size();
  out.resize(at + 12);
  write_json_date(out.data() + at, day);
}

void write_json_date(char* buf, DayNumber day) {
  constexpr std::uint32_t kEras = 82;
  constexpr std::uint32_t kShift = 719468 + 146097 * kEras;
  std::uint32_t n = static_cast<std::uint32_t>(day) + kShift;
  std::uint32_t n1 = 4 * n + 3;
  std::uint32_t century = n1 / 146097;
  std::uint32_t in_century = n1 % 146097 / 4;
  std::uint32_t n2 = 4 * in_century + 3;
  std::uint64_t p2 = std::uint64_t{2939745} * n2;
  std::uint32_t year_in_century = static_cast<std::uint32_t>(p2 >> 32);
  std::uint32_t day_of_year = static_cast<std::uint32_t>(p2 & 0xFFFFFFFFu) / 2939745 / 4;
  std::uint32_t n3 = 2141 * day_of_year + 197913;
  std::uint32_t month = n3 >> 16;
  std::uint32_t day_of_month = (n3 & 0xFFFFu) / 2141 + 1;
  std::uint32_t january_or_february = day_of_year >= 306;
  std::uint32_t year = 100 * century + year_in_century - 400 * kEras + january_or_february;
  if (january_or_february) month -= 12;
  buf[0] = '"';
  put_two(buf + 1, year / 100);
  put_two(buf + 3, year % 100);
  buf[5] = '-';
  put_two(buf + 6, month);
  buf[8] = '-';
  put_two(buf + 9, day_of_month);
  buf[11] = '"';
}

void append_json_string(std::string& out, std::string_view s) {
  // Most text (ids, enum values, rule ids) needs no escape: one scan, one append.
  std::size_t plain = 0;
  while (plain < s.size()) {
    auto c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++plain;
  }
  if (plain == s.size()) {
    std::size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* p = out.data() + at;
    p[0] = '"';
    std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
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
      out.append("null", 4);
      return;
    case Kind::boolean:
      if (v.b)
        out.append("true", 4);
      else
        out.append("false", 5);
      return;
    case Kind::number:
      append_number(out, v);
      return;
    case Kind::text:
      append_json_string(out, v.as_text());
      return;
    case Kind::date:
      append_json_date(out, static_cast<DayNumber>(v.i));
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
