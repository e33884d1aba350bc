// Helpers shared by the encoder's files (encoder.cpp, encode_case.cpp, encode_calls.cpp).
// Internal to verify/.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

namespace mmi::verify {

constexpr std::int64_t kOpenEnd = std::int64_t{1} << 40;  // builtins.cpp: a period without `to`

inline z3::expr any_of(z3::context& c, const std::vector<z3::expr>& xs) {
  z3::expr r = c.bool_val(false);
  for (const auto& x : xs) r = r || x;
  return r;
}

// floor(x) as an integer (Z3's real-to-int).
inline z3::expr floor_int(const z3::expr& x) {
  Z3_ast a = Z3_mk_real2int(x.ctx(), x);
  x.check_error();
  return z3::expr(x.ctx(), a);
}

// Decimal::divide of two numerals (reals or integers), as a real numeral; 0 for a zero divisor
// (the caller flags the error).
z3::expr engine_divide(z3::context& c, const z3::expr& x, const z3::expr& y);

}  // namespace mmi::verify
