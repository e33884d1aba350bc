// Runtime values: 32 bytes, trivially copyable, never owning. Text points into the case or the
// compiled graph; lists and records point into the case or the evaluation's arena.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "rules/calendar.hpp"
#include "rules/decimal.hpp"

namespace mmi {

enum class Kind : std::uint8_t {
  missing,
  error,
  boolean,
  number,
  text,
  date,
  duration,
  period,
  record,
  list
};

struct alignas(16) Value {
  union {
    __int128 coef;   // number coefficient
    std::int64_t i;  // date day number, duration days, period months
    bool b;
    const char* text;
    const Value* items;  // list items, or a record's field slots
  };
  std::int32_t exp = 0;   // number exponent; record: index of the item in its list (-1: none)
  std::uint32_t aux = 0;  // text: length; list: size; record: layout; error: error index
  Kind kind = Kind::missing;
  // Named padding, always zero: a copy is two whole 16-byte halves, as every constructor writes
  // them (a value written field by field and read back whole stalls store-to-load forwarding).
  std::uint8_t pad_[7] = {};

  Value() : Value(0, 0, 0, 0, Kind::missing) {}  // all zero bytes, as two 16-byte halves

  static Value missing() { return Value(); }
  static Value boolean(bool v) { return Value(v, 0, 0, Kind::boolean); }
  static Value number(const Decimal& d) {
    const auto c = static_cast<unsigned __int128>(d.coefficient());
    return Value(static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(c >> 64),
                 static_cast<std::uint32_t>(d.exponent()), 0, Kind::number);
  }
  static Value date(std::int64_t day) { return integral(Kind::date, day); }
  static Value duration(std::int64_t days) { return integral(Kind::duration, days); }
  static Value period(std::int64_t months) { return integral(Kind::period, months); }
  static Value string(std::string_view s) {
    return Value(reinterpret_cast<std::uintptr_t>(s.data()), 0,
                 static_cast<std::uint32_t>(s.size()), Kind::text);
  }
  static Value list(const Value* items, std::uint32_t size) {
    return Value(reinterpret_cast<std::uintptr_t>(items), 0, size, Kind::list);
  }
  static Value record(const Value* fields, std::uint32_t layout, std::int32_t index) {
    return Value(reinterpret_cast<std::uintptr_t>(fields), 0, static_cast<std::uint32_t>(index),
                 layout, Kind::record);
  }
  static Value error(std::uint32_t index) { return Value(0, 0, index, Kind::error); }
  static Value integral(Kind k, std::int64_t v) {
    return Value(static_cast<std::uint64_t>(v), 0, 0, k);
  }

  bool is_missing() const { return kind == Kind::missing; }
  bool is_error() const { return kind == Kind::error; }
  bool is_true() const { return kind == Kind::boolean && b; }
  bool is_false() const { return kind == Kind::boolean && !b; }
  Decimal as_number() const { return Decimal::raw(coef, exp); }
  std::string_view as_text() const { return {text, aux}; }
  std::uint32_t size() const { return aux; }

 private:
  using Half = std::uint64_t __attribute__((vector_size(16)));
  // Writes the value as two 16-byte halves built in registers: payload (low, high word) and
  // exponent, aux and kind.
  Value(std::uint64_t lo, std::uint64_t hi, std::uint32_t exponent, std::uint32_t aux_word,
        Kind k) {
    const Half payload = {lo, hi};
    const Half meta = {static_cast<std::uint64_t>(exponent) | static_cast<std::uint64_t>(aux_word)
                                                                  << 32,
                       static_cast<std::uint64_t>(k)};
    std::memcpy(static_cast<void*>(this), &payload, 16);
    std::memcpy(reinterpret_cast<char*>(this) + 16, &meta, 16);
  }
  Value(std::uint64_t lo, std::uint64_t hi, std::uint32_t aux_word, Kind k)
      : Value(lo, hi, 0, aux_word, k) {}
};

static_assert(sizeof(Value) == 32);

// Equality of two present scalar values of the same kind.
inline bool scalar_equal(const Value& a, const Value& b) {
  switch (a.kind) {
    case Kind::boolean:
      return a.b == b.b;
    case Kind::number:
      return a.coef == b.coef && a.exp == b.exp;
    case Kind::text:
      return a.aux == b.aux && (a.text == b.text || std::memcmp(a.text, b.text, a.aux) == 0);
    case Kind::date:
    case Kind::duration:
    case Kind::period:
      return a.i == b.i;
    default:
      return false;
  }
}

}  // namespace mmi
