#include "engine/json_case_reader.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <type_traits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace mmi {

// The helpers below are `inline` so that -fPIC builds (which treat every external function as
// interposable) still inline them: they run for every key and value of every case.

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

void reset_case(CaseData& out, const CheckedPolicy& policy) {
  out.id.clear();
  out.as_of = 0;
  out.has_as_of = false;
  static_assert(std::is_trivially_copyable_v<Value>);
  if (out.slots.size() == policy.slot_count)  // Value() is all zero bytes: one memset
    std::memset(static_cast<void*>(out.slots.data()), 0, out.slots.size() * sizeof(Value));
  else
    out.slots.assign(policy.slot_count, Value::missing());
  out.lists.resize(policy.lists.size());
  for (auto& l : out.lists) {
    l.fields.clear();
    l.items.clear();
  }
  out.texts.clear();
  out.warnings.clear();
  out.error.reset();
}

namespace {
bool same_value(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::missing:
      return true;
    case Kind::record:
      return a.aux == b.aux && a.exp == b.exp;  // the fields are compared with their list
    case Kind::list:
      return a.aux == b.aux;
    case Kind::error:
      return a.aux == b.aux;
    default:
      return scalar_equal(a, b);
  }
}
bool same_error(const CaseError& a, const CaseError& b) {
  return a.code == b.code && a.message == b.message && a.at == b.at;
}
}  // namespace

bool same_case(const CaseData& a, const CaseData& b) {
  auto same_values = [](const std::vector<Value>& x, const std::vector<Value>& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), same_value);
  };
  if (a.id != b.id || a.has_as_of != b.has_as_of || (a.has_as_of && a.as_of != b.as_of) ||
      !same_values(a.slots, b.slots) || a.lists.size() != b.lists.size() ||
      a.error.has_value() != b.error.has_value() || (a.error && !same_error(*a.error, *b.error)) ||
      !std::equal(a.warnings.begin(), a.warnings.end(), b.warnings.begin(), b.warnings.end(),
                  same_error))
    return false;
  for (std::size_t k = 0; k < a.lists.size(); ++k)
    if (!same_values(a.lists[k].fields, b.lists[k].fields) ||
        !same_values(a.lists[k].items, b.lists[k].items))
      return false;
  return true;
}

void sort_by_date(CaseList& l, const RecordLayout& layout, std::size_t n, SortScratch& scratch) {
  std::uint32_t width = layout.width;
  std::uint32_t off = layout.offsets[static_cast<std::size_t>(layout.date_field)];
  auto key = [&](std::size_t k) {
    const Value& v = l.fields[k * width + off];
    return v.is_missing() ? INT64_MAX : v.i;
  };
  bool sorted = true;
  for (std::size_t k = 1; k < n && sorted; ++k) sorted = key(k - 1) <= key(k);
  if (sorted) return;
  if (n <= 32) {
    // Lists are short and mostly in order: a stable insertion sort of the items in place, each
    // item out of place saved, the ones before it it belongs before moved up one, and it put
    // back (no index array, no copy of the whole list).
    scratch.values.resize(width);
    Value* items = l.fields.data();
    for (std::size_t k = 1; k < n; ++k) {
      auto item_key = key(k);
      if (!(item_key < key(k - 1))) continue;
      std::size_t j = k - 1;
      while (j > 0 && item_key < key(j - 1)) --j;
      std::copy_n(items + k * width, width, scratch.values.data());
      std::copy_backward(items + j * width, items + k * width, items + (k + 1) * width);
      std::copy_n(scratch.values.data(), width, items + j * width);
    }
    return;
  }
  scratch.order.resize(n);
  std::iota(scratch.order.begin(), scratch.order.end(), 0u);
  std::stable_sort(scratch.order.begin(), scratch.order.end(),
                   [&](auto x, auto y) { return key(x) < key(y); });
  scratch.values.assign(l.fields.begin(), l.fields.end());
  for (std::size_t k = 0; k < n; ++k)
    std::copy_n(scratch.values.begin() + scratch.order[k] * width, width,
                l.fields.begin() + k * width);
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// Reads *p at `end` (the padding): lines rarely have spaces, so one compare usually decides.
[[gnu::always_inline]] inline void skip_space(const char*& p, const char* end) {
  while (static_cast<unsigned char>(*p) <= ' ' && p < end && is_space(*p)) ++p;
}

// Moves past `c` (and the spaces before it) when it comes next in the line. Lines rarely have
// spaces between tokens: one compare usually decides.
[[gnu::always_inline]] inline bool next_is(const char*& p, const char* end, char c) {
  if (*p != c) [[unlikely]] {
    skip_space(p, end);
    if (*p != c) return false;
  }
  if (p >= end) return false;
  ++p;
  return true;
}

// Bytes a number token may hold (its grammar is checked by parse_case_number), as a table: one
// load where the compares were six.
constexpr auto kNumberBytes = [] {
  std::array<bool, 256> bytes{};
  for (char c : std::string_view("0123456789-+.eE")) bytes[static_cast<unsigned char>(c)] = true;
  return bytes;
}();
inline bool number_byte(char c) {
  return kNumberBytes[static_cast<unsigned char>(c)];
}

// The closing quote of the string whose text starts at `p`, or null when the text has an escape
// or a control character, or is not closed before `end` (the full reader then reads it). Reads up
// to 15 bytes past `end` (the padding).
const char* string_end(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                control = _mm_set1_epi8(0x1F);
  for (; p < end; p += 16) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // bytes <= 0x1F (unsigned): max(chunk, 0x1F) == 0x1F
    __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
                     _mm_cmpeq_epi8(_mm_max_epu8(chunk, control), control));
    if (int mask = _mm_movemask_epi8(stop)) {
      const char* at = p + __builtin_ctz(static_cast<unsigned>(mask));
      return at < end && *at == '"' ? at : nullptr;
    }
  }
  return nullptr;
#else
  for (; p < end; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') return p;
    if (c == '\\' || c < 0x20) return nullptr;
  }
  return nullptr;
#endif
}

// A plain string at `p` (its opening quote): its text, p moved past the closing quote.
bool read_string(const char*& p, const char* end, std::string_view& text) {
  const char* close = string_end(p + 1, end);
  if (!close) return false;
  text = std::string_view(p + 1, static_cast<std::size_t>(close - p - 1));
  p = close + 1;
  return true;
}

bool read_atom(const char*& p, const char* end, const char* atom, std::size_t n) {
  if (static_cast<std::size_t>(end - p) < n || std::memcmp(p, atom, n) != 0) return false;
  p += n;
  return true;
}

std::string_view read_number(const char*& p, const char* end) {
  const char* start = p;
  while (p < end && number_byte(*p)) ++p;
  return std::string_view(start, static_cast<std::size_t>(p - start));
}

// The first day and the length of every month of 1900-2155, where nearly every date of a case
// falls: a lookup instead of the calendar arithmetic (other years compute it).
constexpr int kTableFirstYear = 1900, kTableYears = 256;
struct MonthStart {
  std::int32_t first;
  std::uint32_t days;
};
constexpr MonthStart civil_month(unsigned y, unsigned m) {
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  // days from 1970-01-01 to the month's first day (H. Hinnant's days_from_civil; y >= 1)
  unsigned yy = y - (m <= 2);
  unsigned era = yy / 400;
  unsigned yoe = yy - era * 400;
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return {static_cast<std::int32_t>(era * 146097 + doe) - 719468,
          m == 2 ? 28u + leap : 30u + ((m + (m >> 3)) & 1)};
}
constexpr auto kMonthTable = [] {
  std::array<MonthStart, kTableYears * 12> t{};
  for (unsigned y = 0; y < kTableYears; ++y)
    for (unsigned m = 1; m <= 12; ++m) t[y * 12 + m - 1] = civil_month(kTableFirstYear + y, m);
  return t;
}();

// `YYYY-MM-DD` → day number, as parse_iso_date, inline for the many dates of a case. Reads 16
// bytes at s.data() (the padding). Dates of a case often share their month: `month` keeps the
// last one read.
// The month `YYYY-MM-` (w, bytes in order) into `month`, or false when it is not one.
[[gnu::always_inline]] inline bool read_month(std::uint64_t w, JsonCaseReader::Month& month) {
  constexpr std::uint64_t kDigitHigh = 0x0030300030303030, kDigitNibbles = 0x00F0F000F0F0F0F0;
  constexpr std::uint64_t kDashes = 0x2D00002D00000000, kDashBytes = 0xFF0000FF00000000;
  if ((w & kDashBytes) != kDashes || (w & kDigitNibbles) != kDigitHigh ||
      ((w + 0x0006060006060606) & kDigitNibbles) != kDigitHigh)
    return false;
  std::uint64_t v = (w - kDigitHigh) & ~kDashBytes;  // the digits' values, dashes zero
  // digit pairs: byte 0 of (v * 10 + (v >> 8)) is Y1*10+Y2, byte 2 Y3*10+Y4, byte 5 M1*10+M2
  std::uint64_t pairs = v * 10 + (v >> 8);
  unsigned y =
      static_cast<unsigned>(pairs & 0xFF) * 100 + static_cast<unsigned>(pairs >> 16 & 0xFF);
  unsigned m = static_cast<unsigned>(pairs >> 40 & 0xFF);
  if (y < 1 || m < 1 || m > 12) return false;
  unsigned table_year = y - kTableFirstYear;  // wraps for years before the table
  MonthStart start =
      table_year < kTableYears ? kMonthTable[table_year * 12 + m - 1] : civil_month(y, m);
  month.key = w;
  month.first = start.first;
  month.days = start.days;
  return true;
}

// The month's computation apart from the day's check: most dates of a list repeat the month
// before's (Month), and skip it.
[[gnu::always_inline]] inline bool read_date(std::string_view s, DayNumber& day,
                                             JsonCaseReader::Month& month) {
  if (s.size() != 10) return false;
  std::uint64_t w;  // "YYYY-MM-", byte 0 lowest
  std::uint16_t dd;
  std::memcpy(&w, s.data(), 8);
  std::memcpy(&dd, s.data() + 8, 2);
  // A byte is a digit when its high nibble is 3 both before and after adding 6 (0x30-0x39).
  if ((dd & 0xF0F0) != 0x3030 || ((dd + 0x0606) & 0xF0F0) != 0x3030) return false;
  unsigned d = ((dd & 0xFFu) - '0') * 10 + ((dd >> 8) - '0');
  if (w != month.key && !read_month(w, month)) return false;
  if (d < 1 || d > month.days) return false;
  day = month.first + static_cast<DayNumber>(d) - 1;
  return true;
}

// A plain number at `p` (`-`, at most 18 digits, a fraction) → the value parse_case_number
// gives, p moved past it; false for anything else (an exponent, leading zeros, a syntax error),
// p unmoved, and parse_case_number then reads it.
[[gnu::always_inline]] inline bool read_plain_number(const char*& p, const char* end,
                                                     Value& value) {
  const char* q = p;
  // One or two digits and the token's end (most numbers of a case: ratings, scores, weeks).
  const unsigned d0 = static_cast<unsigned>(q[0] - '0'), d1 = static_cast<unsigned>(q[1] - '0');
  if (d0 <= 9 && q + 2 < end) {
    if (!number_byte(q[1])) {
      value = Value();
      value.kind = mmi::Kind::number;
      value.coef = d0;
      p = q + 1;
      return true;
    }
    if (d1 <= 9 && d0 && !number_byte(q[2])) {
      value = Value();
      value.kind = mmi::Kind::number;
      value.coef = d0 * 10 + d1;
      if (d1 == 0) value.coef = d0, value.exp = 1;  // 20 is 2e1 (Decimal::make)
      p = q + 2;
      return true;
    }
  }
  bool negative = *q == '-';
  q += negative;
  const char* first = q;
  std::uint64_t v = 0;
  int exponent = 0;
  while (q < end && static_cast<unsigned>(*q - '0') <= 9) v = v * 10 + unsigned(*q++ - '0');
  std::ptrdiff_t digits = q - first;
  if (digits == 0 || (*first == '0' && digits > 1)) return false;
  if (q < end && *q == '.') {
    const char* fraction = ++q;
    while (q < end && static_cast<unsigned>(*q - '0') <= 9) v = v * 10 + unsigned(*q++ - '0');
    exponent = static_cast<int>(fraction - q);
    if (exponent == 0) return false;
    digits -= exponent;
  }
  if (digits > 18 || (q < end && number_byte(*q))) return false;
  p = q;
  value = Value();
  value.kind = mmi::Kind::number;
  if (v == 0) return true;  // 0, -0 and 0.00 are all the number 0
  if (q[-1] == '0')         // 1.50 is 1.5 (Decimal::make)
    while (v % 10 == 0) v /= 10, ++exponent;
  value.coef = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  value.exp = exponent;
  return true;
}

}  // namespace

JsonCaseReader::Name JsonCaseReader::name_of(std::string_view s) {
  Name n;
  std::memcpy(&n.w0, s.data(), std::min<std::size_t>(8, s.size()));
  if (s.size() > 8) std::memcpy(&n.w1, s.data() + 8, std::min<std::size_t>(8, s.size() - 8));
  n.length = static_cast<std::uint32_t>(s.size());
  n.text = s.data();
  return n;
}

namespace {
// The bytes of the first two words a name of each length (16 and more: all) keeps.
constexpr auto kNameMasks = [] {
  std::array<std::array<std::uint64_t, 2>, 17> masks{};
  for (std::size_t size = 0; size <= 16; ++size)
    for (std::size_t byte = 0; byte < size; ++byte)
      masks[size][byte / 8] |= std::uint64_t{0xFF} << (8 * (byte % 8));
  return masks;
}();
}  // namespace

JsonCaseReader::QuotedValue JsonCaseReader::quoted_value(const std::string& text) {
  const std::size_t head = std::min<std::size_t>(text.size(), 16);
  Name n = name_of(std::string_view(text).substr(0, head));
  QuotedValue q{n.w0,
                n.w1,
                kNameMasks[head][0],
                kNameMasks[head][1],
                static_cast<std::uint32_t>(text.size()),
                nullptr};
  if (text.size() > 16) q.tail = tails_.emplace_back(text.substr(16)).data();
  return q;
}

[[gnu::always_inline]] inline bool JsonCaseReader::at_key(const char* q,
                                                          const QuotedValue& want) const {
  std::uint64_t w0, w1;
  std::memcpy(&w0, q + 1, 8);
  std::memcpy(&w1, q + 9, 8);
  return matches(q, w0, w1, want);
}

// Whether the text after the quote at `q` (its first 16 bytes already loaded as w0, w1) starts
// with `want`: two masked compares, and for the few longer than 16 bytes a compare of the rest.
[[gnu::always_inline]] inline bool JsonCaseReader::matches(const char* q, std::uint64_t w0,
                                                           std::uint64_t w1,
                                                           const QuotedValue& want) const {
  return (w0 & want.m0) == want.w0 && (w1 & want.m1) == want.w1 && q + want.length < end_ &&
         (want.length <= 16 || std::memcmp(q + 17, want.tail, want.length - 16) == 0);
}

inline JsonCaseReader::Name JsonCaseReader::key_name(const char* key, std::size_t size) {
  Name n;
  std::memcpy(&n.w0, key, 8);
  std::memcpy(&n.w1, key + 8, 8);
  const auto& mask = kNameMasks[std::min<std::size_t>(size, 16)];
  n.w0 &= mask[0];
  n.w1 &= mask[1];
  n.length = static_cast<std::uint32_t>(size);
  n.text = key;
  return n;
}

inline std::uint64_t JsonCaseReader::hash(const Name& n) {
  return ((n.w0 ^ (n.w1 << 1) ^ n.length) * 0x9E3779B97F4A7C15ull) >> 40;
}

JsonCaseReader::JsonCaseReader(const Graph& graph, bool keep_unread_lists)
    : g_(graph), keep_unread_lists_(keep_unread_lists) {
  id_key_ = quoted_value("id\":");
  as_of_key_ = quoted_value("as_of\":");
  const CheckedPolicy& policy = graph.policy;
  for (const auto& layout : policy.records) {
    Layout l;
    std::size_t size = 8;
    while (size < 2 * layout.names.size()) size *= 2;
    l.fits = layout.names.size() + 2 <= 64;
    l.table.assign(l.fits ? size : 0, 0);
    l.mask = size - 1;
    for (std::size_t f = 0; f < layout.names.size(); ++f) {
      const std::string& name = layout.names[f];
      const TypeDesc& t = policy.types[layout.type_ids[f]];
      Field field;
      field.name = name_of(name);
      field.quoted = quoted_value(name + "\":");
      field.offset = layout.offsets[f];
      field.index = static_cast<std::uint32_t>(f);
      field.tag = t.tag;
      field.list = t.list;
      if (t.list)
        field.target = policy.facts[static_cast<std::size_t>(layout.facts[f])].list_index;
      else if (t.tag == TypeTag::record)
        field.target = static_cast<std::uint32_t>(t.record);
      else if (t.tag == TypeTag::enumeration)
        field.target = static_cast<std::uint32_t>(t.enumeration);
      if (t.tag == TypeTag::date && !t.list) {
        if (name == "from") l.from = static_cast<std::int32_t>(field.offset);
        if (name == "to") l.to = static_cast<std::int32_t>(field.offset);
      }
      if (layout.required[f]) {
        l.required.push_back(field.offset);
        if (f < 64) l.required_bits |= std::uint64_t{1} << f;
      }
      l.fields.push_back(field);
      if (!l.fits) continue;
      std::uint64_t k = hash(field.name) & l.mask;
      while (l.table[k]) k = (k + 1) & l.mask;
      l.table[k] = static_cast<std::uint8_t>(f + 1);
    }
    if (l.from < 0 || l.to < 0) l.from = l.to = -1;
    l.flat = l.fits;
    for (const Field& f : l.fields) l.flat = l.flat && !f.list && f.tag != TypeTag::record;
    layouts_.push_back(std::move(l));
  }
  for (const auto& values : graph.enum_values) {
    std::vector<Name> names;
    EnumTable table;
    for (auto v : values) names.push_back(name_of(v));
    // The values grouped by their first byte: a value is compared only with those that share it.
    std::vector<std::uint32_t> by_first(values.size());
    std::iota(by_first.begin(), by_first.end(), 0u);
    auto first_byte = [&](std::uint32_t k) {
      return static_cast<unsigned char>((std::string(values[k]) + '"')[0]);
    };
    std::stable_sort(by_first.begin(), by_first.end(),
                     [&](auto a, auto b) { return first_byte(a) < first_byte(b); });
    table.start.fill(0);
    table.stop.fill(0);
    for (std::uint32_t k = 0; k < by_first.size(); ++k) {
      table.quoted.push_back(quoted_value(std::string(values[by_first[k]]) + '"'));
      table.value.push_back(by_first[k]);
      const unsigned char b = first_byte(by_first[k]);
      if (table.stop[b] == 0) table.start[b] = k;
      table.stop[b] = k + 1;
    }
    enum_names_.push_back(std::move(names));
    enums_.push_back(std::move(table));
  }
}

inline bool JsonCaseReader::same(const Name& a, const Name& b) {
  return a.w0 == b.w0 && a.w1 == b.w1 && a.length == b.length &&
         (a.length <= 16 || std::memcmp(a.text + 16, b.text + 16, a.length - 16) == 0);
}

inline const JsonCaseReader::Field* JsonCaseReader::find_field(std::uint32_t layout_index,
                                                               std::string_view key) const {
  const Layout& l = layouts_[layout_index];
  Name name = key_name(key.data(), key.size());
  for (std::uint64_t k = hash(name) & l.mask; l.table[k]; k = (k + 1) & l.mask) {
    const Field& field = l.fields[l.table[k] - 1u];
    if (same(field.name, name)) return &field;
  }
  return nullptr;
}

// `field` was read where `order` expected its entry `at`: the order moves it there (from later or
// earlier, or inserts it when it was not in the order), so `order` stays a sequence of distinct
// fields — the union of the keys the mappings read gave, in the order they gave them. Returns the
// position after it (the next key's guess).
inline std::size_t JsonCaseReader::place_key(Layout& l, std::size_t at, const Field& field) {
  auto f = static_cast<std::uint8_t>(field.index);
  auto& order = l.order;
  if (at < order.size() && order[at] == f) return at + 1;  // where it was (a long key's lookup)
  auto old = std::find(order.begin(), order.end(), f);
  if (old != order.end()) {
    auto from = static_cast<std::size_t>(old - order.begin());
    order.erase(old);
    if (from < at) --at;
  }
  at = std::min(at, order.size());
  order.insert(order.begin() + static_cast<std::ptrdiff_t>(at), f);
  l.skim = 0;
  return at + 1;
}

// The field of the key at `q` among `tries` entries of `order` from `next` on (those passed over
// are optional keys this mapping leaves out), compared in place: `q` moved past `name":` and `next`
// past the entry, or nullptr when none matches.
[[gnu::always_inline]] inline const JsonCaseReader::Field* JsonCaseReader::match_key(
    const char*& q, const Layout& l, std::size_t& next, std::size_t tries) const {
  std::uint64_t w0, w1;
  std::memcpy(&w0, q + 1, 8);
  std::memcpy(&w1, q + 9, 8);
  const std::size_t last = std::min(l.order.size(), next + tries);
  for (std::size_t k = next; k < last; ++k) {
    const Field& guess = l.fields[l.order[k]];
    const QuotedValue& want = guess.quoted;
    if (matches(q, w0, w1, want)) {
      q += want.length + 1;
      next = k + 1;
      return &guess;
    }
  }
  return nullptr;
}

bool JsonCaseReader::read(const char* data, std::size_t size, CaseData& out) {
  end_ = data + size;
  // The full reader's first pass (simdjson stage 1) checks UTF-8 for the whole line; so does this.
  if (!simdjson::validate_utf8(data, size)) return false;
  reset_case(out, g_.policy);
  keep_text_ = true;  // a line declined inside an unread list left it false
  const char* p = data;
  skip_space(p, end_);
  if (p >= end_ || *p != '{') return false;
  if (!record(p, g_.policy.root_record, out.slots.data(), out, true)) return false;
  skip_space(p, end_);
  return p == end_;
}

bool JsonCaseReader::record(const char*& p, std::uint32_t layout_index, Value* base, CaseData& out,
                            bool root) {
  Layout& l = layouts_[layout_index];
  if (!l.fits) return false;
  const std::size_t id_bit = l.fields.size(), as_of_bit = id_bit + 1;
  std::uint64_t seen = 0;
  std::size_t next = 0;  // the entry of `order` the next key is expected to be
  ++p;                   // '{'
  if (next_is(p, end_, '}')) return true;
  for (;;) {
    if (*p != '"' || p >= end_) return false;
    // Mappings of a layout mostly give their keys in the order the one before did: the next
    // entries of that order are compared in place first (one at the root, whose `id` and `as_of`
    // are not in it), then the key is scanned and looked up.
    const Field* field = match_key(p, l, next, root ? 1 : kKeyTries);
    bool colon = field != nullptr;  // read with the key
    std::size_t bit = 0;            // of the field, or of `id` / `as_of`, in `seen`
    if (!field && root && (at_key(p, id_key_) || at_key(p, as_of_key_))) {
      bit = p[1] == 'i' ? id_bit : as_of_bit;
      p += (bit == id_bit ? id_key_.length : as_of_key_.length) + 1;
      colon = true;
    } else if (!field) {
      std::string_view key;
      if (!read_string(p, end_, key)) return false;
      if (root && (key == "id" || key == "as_of")) {
        bit = key == "id" ? id_bit : as_of_bit;
      } else {
        field = find_field(layout_index, key);
        if (!field) return false;  // an unknown field: the full reader warns
        next = place_key(l, next, *field);
      }
    }
    if (!colon && !next_is(p, end_, ':')) return false;
    skip_space(p, end_);  // each value's reader checks the end of the line itself
    if (field) {
      bit = field->index;
      bool ok;
      if (field->list)
        ok = list(p, field->target, out);
      else if (field->tag == TypeTag::record)
        ok = *p == '{' ? record(p, field->target, base + field->offset, out, false)
                       : read_atom(p, end_, "null", 4);
      else
        ok = scalar(p, *field, base[field->offset], out);
      if (!ok) return false;
    } else if (bit == id_bit) {
      if (*p == '"') {
        std::string_view id;
        if (!read_string(p, end_, id)) return false;
        out.id.assign(id);
      } else {
        std::string_view token = read_number(p, end_);
        if (token.empty() || parse_case_number(token).status != CaseNumber::Status::ok)
          return false;
        out.id.assign(token);
      }
    } else {
      std::string_view text;
      DayNumber day;
      if (*p != '"' || !read_string(p, end_, text) || !read_date(text, day, month_)) return false;
      out.as_of = day;
      out.has_as_of = true;
    }
    if (seen & (std::uint64_t{1} << bit)) return false;  // a duplicate key
    seen |= std::uint64_t{1} << bit;
    if (next_is(p, end_, ',')) {
      skip_space(p, end_);
      continue;
    }
    if (!next_is(p, end_, '}')) return false;
    break;
  }
  if (l.to >= 0) {  // `to` before `from` is an input error
    const Value &from = base[l.from], &to = base[l.to];
    if (!from.is_missing() && !to.is_missing() && to.i < from.i) return false;
  }
  return true;
}

bool JsonCaseReader::can_skim(Layout& l) {
  if (l.skim == 0) {
    std::uint64_t fields = 0;
    bool ok = l.fits && l.to < 0 && !l.order.empty();
    l.skim_keys = 0;
    for (std::size_t k = 0; k < l.order.size(); ++k) {
      std::uint8_t f = l.order[k];
      const Field& field = l.fields[f];
      ok = ok && !field.list && field.tag != TypeTag::record && !(fields >> f & 1);
      fields |= std::uint64_t{1} << (f & 63);
      if (!l.skim_keys && (fields & l.required_bits) == l.required_bits)
        l.skim_keys = static_cast<std::uint32_t>(k + 1);
    }
    l.skim = ok && l.skim_keys ? 1 : -1;
  }
  return l.skim > 0;
}

// An item whose keys are the first of `order` (most items of a list give the keys the item before
// gave): each key compared in place and its value read, with no lookup, duplicate check or
// required-field check — `order` holds distinct scalar fields, and the item ends no sooner than
// they cover the required ones (can_skim). A null value or anything else declines (false, p
// unmoved) and the caller reads the item with record() from the same place: the fields written here
// are written again there.
template <bool kKeep>
inline bool JsonCaseReader::skim_item(const char*& p, Layout& l, Value* item, CaseData& out) {
  if (l.skim < 0 || (l.skim == 0 && !can_skim(l))) return false;
  const char* q = p + 1;  // past '{'
  const std::size_t keys = l.order.size();
  for (std::size_t k = 0;; ++k) {
    if (*q != '"') skip_space(q, end_);
    const Field& field = l.fields[l.order[k]];
    const QuotedValue& want = field.quoted;
    if (*q != '"') return false;
    std::uint64_t w0, w1;
    std::memcpy(&w0, q + 1, 8);
    std::memcpy(&w1, q + 9, 8);
    if (!matches(q, w0, w1, want)) return false;
    q += want.length + 1;
    skip_space(q, end_);
    if (*q == 'n') return false;
    if constexpr (kKeep) {
      if (!scalar(q, field, item[field.offset], out)) return false;
    } else {
      Value unread;  // validated, then dropped: the stores are dead
      if (!scalar(q, field, unread, out)) return false;
    }
    char c = *q;
    if (c != ',' && c != '}') {
      skip_space(q, end_);
      c = *q;
    }
    if (q >= end_) return false;
    if (c == ',' && k + 1 < keys) {
      ++q;
      continue;
    }
    if (c != '}' || k + 1 < l.skim_keys) return false;
    p = q + 1;
    return true;
  }
}

// An item of a layout whose fields are all scalars (`Layout::flat`: most list items), read in
// one loop: each key first compared in place with the key the item before had at its position
// (most items of a list give the same keys), else looked up; duplicates, nulls, the required
// fields and `to` before `from` checked as `record` checks them. Anything it does not take
// declines (false, p unmoved) and the caller reads the item with record() from the same place:
// the fields written here are written again there, the same way.
template <bool kKeep>
inline bool JsonCaseReader::flat_item(const char*& p, Layout& l, Value* item, CaseData& out) {
  if (!l.flat || (!kKeep && l.to >= 0)) return false;
  const char* q = p + 1;  // past '{'
  if (*q != '"') skip_space(q, end_);
  if (*q == '}') {  // {}
    if (l.required_bits) return false;
    p = q + 1;
    return true;
  }
  std::uint64_t seen = 0, given = 0;  // keys read; keys with a value other than null
  std::size_t next = 0;               // the entry of `order` the next key is expected to be
  for (;;) {
    if (*q != '"') skip_space(q, end_);
    if (*q != '"' || q >= end_) return false;
    const Field* field = match_key(q, l, next, kKeyTries);
    if (!field) {
      std::string_view key;
      if (!read_string(q, end_, key)) return false;
      field = find_field(static_cast<std::uint32_t>(&l - layouts_.data()), key);
      if (!field) return false;  // an unknown field: the full reader warns
      next = place_key(l, next, *field);
      if (!next_is(q, end_, ':')) return false;
    }
    const std::uint64_t bit = std::uint64_t{1} << field->index;
    if (seen & bit) return false;  // a duplicate key
    seen |= bit;
    skip_space(q, end_);
    if (*q == 'n') {
      if (!read_atom(q, end_, "null", 4)) return false;  // missing: the item's slot stays so
    } else {
      given |= bit;
      if constexpr (kKeep) {
        if (!scalar(q, *field, item[field->offset], out)) return false;
      } else {
        Value unread;  // validated, then dropped: the stores are dead
        if (!scalar(q, *field, unread, out)) return false;
      }
    }
    char c = *q;
    if (c != ',' && c != '}') {
      skip_space(q, end_);
      c = *q;
    }
    if (q >= end_) return false;
    if (c == ',') {
      ++q;
      continue;
    }
    if (c != '}') return false;
    break;
  }
  if ((given & l.required_bits) != l.required_bits) return false;
  if constexpr (kKeep) {
    if (l.to >= 0) {  // `to` before `from` is an input error
      const Value &from = item[l.from], &to = item[l.to];
      if (!from.is_missing() && !to.is_missing() && to.i < from.i) return false;
    }
  }
  p = q + 1;
  return true;
}

// A list no node reads (Graph::lists_read): every item validated as `list` does, none kept.
bool JsonCaseReader::unread_list(const char*& p, std::uint32_t list_index, CaseData& out) {
  const ListInfo& info = g_.policy.lists[list_index];
  Layout& layout = layouts_[info.item_record];
  const std::uint32_t width = g_.policy.records[info.item_record].width;
  if (scratch_.size() < width) scratch_.resize(width);
  Value* item = scratch_.data();
  keep_text_ = false;
  std::size_t n = 0;
  ++p;
  if (!next_is(p, end_, ']')) {
    for (;;) {
      if (*p != '{' || p >= end_ || n >= 100000) return false;
      if (!skim_item<false>(p, layout, item, out) && !flat_item<false>(p, layout, item, out)) {
        std::fill_n(item, width, Value());
        if (!record(p, info.item_record, item, out, false)) return false;
        for (std::uint32_t offset : layout.required)
          if (item[offset].is_missing()) return false;
      }
      ++n;
      if (next_is(p, end_, ',')) {
        skip_space(p, end_);
        continue;
      }
      if (!next_is(p, end_, ']')) return false;
      break;
    }
  }
  keep_text_ = true;
  return true;
}

inline bool JsonCaseReader::list(const char*& p, std::uint32_t list_index, CaseData& out) {
  if (*p != '[') return read_atom(p, end_, "null", 4);
  if (!keep_unread_lists_ && !g_.lists_read[list_index]) return unread_list(p, list_index, out);
  const ListInfo& info = g_.policy.lists[list_index];
  Layout& layout = layouts_[info.item_record];
  const RecordLayout& record_layout = g_.policy.records[info.item_record];
  const std::uint32_t width = record_layout.width;
  std::int64_t date_at = -1;  // the offset of the date the list sorts on
  if (record_layout.date_field >= 0)
    date_at = record_layout.offsets[static_cast<std::size_t>(record_layout.date_field)];
  CaseList& l = out.lists[list_index];
  l.fields.clear();
  std::size_t n = 0;
  bool sorted = true;
  std::int64_t last_date = INT64_MIN;
  ++p;
  if (!next_is(p, end_, ']')) {
    for (;;) {
      if (*p != '{' || p >= end_ || n >= 100000) return false;
      // The list was emptied above: the item's fields are made here, missing (Value()) until
      // the item gives them.
      l.fields.resize((n + 1) * width);
      Value* item = l.fields.data() + n * width;
      if (!skim_item<true>(p, layout, item, out) && !flat_item<true>(p, layout, item, out)) {
        if (!record(p, info.item_record, item, out, false)) return false;
        for (std::uint32_t offset : layout.required)
          if (item[offset].is_missing()) return false;
      }
      if (date_at >= 0) {  // items without a date sort last
        const Value& date = item[date_at];
        std::int64_t key = date.is_missing() ? INT64_MAX : date.i;
        sorted = sorted && key >= last_date;
        last_date = key;
      }
      ++n;
      if (next_is(p, end_, ',')) {
        skip_space(p, end_);
        continue;
      }
      if (!next_is(p, end_, ']')) return false;
      break;
    }
  }
  l.fields.resize(n * width);
  if (!sorted) sort_by_date(l, record_layout, n, sort_);
  l.items.resize(n);
  for (std::size_t k = 0; k < n; ++k)
    l.items[k] =
        Value::record(l.fields.data() + k * width, info.item_record, static_cast<std::int32_t>(k));
  return true;
}

// Each kind takes the tokens its type allows; null is missing; anything else is declined.
[[gnu::always_inline]] inline bool JsonCaseReader::scalar(const char*& p, const Field& field,
                                                          Value& slot, CaseData& out) {
  if (*p == 'n') {
    slot = Value::missing();
    return read_atom(p, end_, "null", 4);
  }
  std::string_view s;
  // Numbers and dates first, by compares: most values are one or the other, and a jump table's
  // bounds check and indirect jump cost more than two compares.
  if (field.tag == TypeTag::number) {
    if (read_plain_number(p, end_, slot)) return true;
  } else if (field.tag == TypeTag::date) {
    DayNumber day;
    // `"YYYY-MM-DD"`: read_date's digit and dash checks leave no room for a quote, a backslash
    // or a control character, so the string needs no scan.
    if (*p == '"' && p + 11 < end_ && p[11] == '"') {
      if (!read_date(std::string_view(p + 1, 10), day, month_)) return false;
      p += 12;
      slot = Value::date(day);
      return true;
    }
    if (*p != '"' || !read_string(p, end_, s) || !read_date(s, day, month_)) return false;
    slot = Value::date(day);
    return true;
  } else {
    switch (field.tag) {
      case TypeTag::enumeration: {
        if (*p != '"') return false;
        // Each value with its closing quote, compared in place: no scan for the string's end.
        std::uint64_t w0, w1;
        std::memcpy(&w0, p + 1, 8);
        std::memcpy(&w1, p + 9, 8);
        const EnumTable& e = enums_[field.target];
        const auto first = static_cast<unsigned char>(p[1]);
        for (std::uint32_t k = e.start[first]; k < e.stop[first]; ++k) {
          const QuotedValue& v = e.quoted[k];
          if (matches(p, w0, w1, v)) {
            p += v.length + 1;
            slot = Value::string(g_.enum_values[field.target][e.value[k]]);
            return true;
          }
        }
        if (!read_string(p, end_, s)) return false;
        Name name = key_name(s.data(), s.size());
        const auto& names = enum_names_[field.target];
        for (std::size_t k = 0; k < names.size(); ++k)
          if (same(names[k], name)) {
            slot = Value::string(g_.enum_values[field.target][k]);
            return true;
          }
        return false;
      }
      case TypeTag::boolean:
        if (*p == 't' && read_atom(p, end_, "true", 4)) {
          slot = Value::boolean(true);
          return true;
        }
        if (*p == 'f' && read_atom(p, end_, "false", 5)) {
          slot = Value::boolean(false);
          return true;
        }
        return false;
      case TypeTag::text:
        if (*p != '"' || !read_string(p, end_, s)) return false;
        slot = Value::string(keep_text_ ? out.keep(s) : s);  // unread: points into the line
        return true;
      case TypeTag::duration:
      case TypeTag::period:
        if (*p != '"') break;
        {
          bool months = field.tag == TypeTag::period;
          if (!read_string(p, end_, s)) return false;
          auto v = parse_iso_span(s, months);
          if (!v || *v > 100'000'000 || *v < -100'000'000) return false;
          slot = months ? Value::period(*v) : Value::duration(*v);
          return true;
        }
      default:
        return false;
    }
  }
  // A number that is not plain (an exponent, many digits), or a duration or period in days or
  // months.
  if (*p != '-' && static_cast<unsigned>(*p - '0') > 9) return false;
  CaseNumber n = parse_case_number(read_number(p, end_));
  if (n.status != CaseNumber::Status::ok) return false;
  if (field.tag == TypeTag::number) {
    slot = Value::number(n.value);
    return true;
  }
  if (!n.value.is_integer()) return false;
  auto v = n.value.to_int64_floor();
  if (!v || *v > 100'000'000 || *v < -100'000'000) return false;
  slot = field.tag == TypeTag::period ? Value::period(*v) : Value::duration(*v);
  return true;
}

}  // namespace mmi
