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

  Value() : coef(0) {}

  static Value missing() { return Value(); }
  static Value boolean(bool v) {
    Value x;
    x.kind = Kind::boolean;
    x.b = v;
    return x;
  }
  static Value number(const Decimal& d) {
    Value x;
    x.kind = Kind::number;
    x.coef = d.coefficient();
    x.exp = d.exponent();
    return x;
  }
  static Value date(std::int64_t day) { return integral(Kind::date, day); }
  static Value duration(std::int64_t days) { return integral(Kind::duration, days); }
  static Value period(std::int64_t months) { return integral(Kind::period, months); }
  static Value string(std::string_view s) {
    Value x;
    x.kind = Kind::text;
    x.text = s.data();
    x.aux = static_cast<std::uint32_t>(s.size());
    return x;
  }
  static Value list(const Value* items, std::uint32_t size) {
    Value x;
    x.kind = Kind::list;
    x.items = items;
    x.aux = size;
    return x;
  }
  static Value record(const Value* fields, std::uint32_t layout, std::int32_t index) {
    Value x;
    x.kind = Kind::record;
    x.items = fields;
    x.aux = layout;
    x.exp = index;
    return x;
  }
  static Value error(std::uint32_t index) {
    Value x;
    x.kind = Kind::error;
    x.aux = index;
    return x;
  }
  static Value integral(Kind k, std::int64_t v) {
    Value x;
    x.kind = k;
    x.i = v;
    return x;
  }

  bool is_missing() const { return kind == Kind::missing; }
  bool is_error() const { return kind == Kind::error; }
  bool is_true() const { return kind == Kind::boolean && b; }
  bool is_false() const { return kind == Kind::boolean && !b; }
  Decimal as_number() const { return Decimal::raw(coef, exp); }
  std::string_view as_text() const { return {text, aux}; }
  std::uint32_t size() const { return aux; }
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
