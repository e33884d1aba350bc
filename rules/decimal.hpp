// Exact decimal numbers for the policy language: coefficient × 10^exponent with a 128-bit
// coefficient, normalized (no trailing zeros) so that equal values are equal bit for bit.
// 34 significant digits are kept (like IEEE decimal128); 0.1 + 0.2 == 0.3 exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mmi {

class Decimal {
 public:
  using Coefficient = __int128;
  static constexpr int kMaxDigits = 34;

  // Trivial so that it can live in unions; `Decimal{}` is zero.
  Decimal() = default;
  static constexpr Decimal raw(__int128 c, int e) {
    Decimal d{};
    d.coef_ = c;
    d.exp_ = e;
    return d;
  }
  static Decimal from_int(std::int64_t v) { return make(v, 0); }
  // Parses "-12.5", "0.05", "7"; no exponent, no spaces. nullopt if malformed or too long.
  static std::optional<Decimal> parse(std::string_view text);
  // Builds c × 10^e, normalized and rounded to kMaxDigits.
  static Decimal make(Coefficient c, int e);

  Coefficient coefficient() const { return coef_; }
  int exponent() const { return exp_; }
  bool is_zero() const { return coef_ == 0; }
  bool is_negative() const { return coef_ < 0; }
  bool is_integer() const { return exp_ >= 0; }
  int sign() const { return coef_ > 0 ? 1 : (coef_ < 0 ? -1 : 0); }

  friend Decimal operator+(const Decimal& a, const Decimal& b);
  friend Decimal operator-(const Decimal& a, const Decimal& b) { return a + (-b); }
  friend Decimal operator*(const Decimal& a, const Decimal& b);
  Decimal operator-() const { return make(-coef_, exp_); }
  // Division rounds to kMaxDigits significant digits, half to even. Caller checks for zero.
  static Decimal divide(const Decimal& a, const Decimal& b);

  friend bool operator==(const Decimal& a, const Decimal& b) {
    return a.coef_ == b.coef_ && a.exp_ == b.exp_;
  }
  friend int compare(const Decimal& a, const Decimal& b);
  friend bool operator<(const Decimal& a, const Decimal& b) { return compare(a, b) < 0; }

  Decimal floor() const;
  Decimal ceil() const;
  Decimal abs() const { return coef_ < 0 ? -*this : *this; }
  // Rounds to `places` decimals, half away from zero (places may be negative).
  Decimal round(int places) const;
  // The integer part if it fits in 64 bits (after floor), else nullopt.
  std::optional<std::int64_t> to_int64_floor() const;
  double to_double() const;

  // Plain notation, no exponent, no trailing zeros: "0.3", "26", "-1.5".
  std::string to_string() const;
  void append_to(std::string& out) const;

 private:
  Coefficient coef_;
  int exp_;
};

}  // namespace mmi
