#include "rules/decimal.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace mmi {
namespace {

using Int = Decimal::Coefficient;

constexpr std::array<Int, 39> make_powers() {
  std::array<Int, 39> p{};
  p[0] = 1;
  for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}
constexpr auto kPow10 = make_powers();

Int magnitude(Int c) {
  return c < 0 ? -c : c;
}

int digit_count(Int c) {
  c = magnitude(c);
  int n = 1;
  while (n < 39 && c >= kPow10[n]) ++n;
  return n;
}

// c / 10^k rounded half to even.
Int shift_right_even(Int c, int k) {
  if (k <= 0) return c;
  if (k > 38) return 0;
  Int q = c / kPow10[k];
  Int r = magnitude(c % kPow10[k]);
  Int half = kPow10[k] / 2;
  if (r > half || (r == half && (q % 2 != 0))) q += (c < 0 ? -1 : 1);
  return q;
}

}  // namespace

Decimal Decimal::make(Coefficient c, int e) {
  Decimal d{};
  if (c == 0) return d;
  if (c >= -INT64_MAX && c <= INT64_MAX) {
    // Fast path: at most 19 digits, no rounding; strip zeros in 64-bit arithmetic.
    std::int64_t v = static_cast<std::int64_t>(c);
    while (v % 10 == 0) {
      v /= 10;
      ++e;
    }
    d.coef_ = v;
    d.exp_ = e;
    return d;
  }
  int digits = digit_count(c);
  if (digits > kMaxDigits) {
    int k = digits - kMaxDigits;
    c = shift_right_even(c, k);
    e += k;
  }
  while (c != 0 && c % 10 == 0) {
    c /= 10;
    ++e;
  }
  if (c == 0) e = 0;
  d.coef_ = c;
  d.exp_ = e;
  return d;
}

std::optional<Decimal> Decimal::parse(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  if (i >= text.size() || text[i] == '.' || text.back() == '.') return std::nullopt;
  // Fast path: up to 18 digits accumulate in 64 bits (case files are full of these).
  std::uint64_t small = 0;
  int e = 0;
  int digits = 0;
  bool fraction = false;
  std::size_t j = i;
  for (; j < text.size() && digits < 18; ++j) {
    char ch = text[j];
    if (ch >= '0' && ch <= '9') {
      small = small * 10 + static_cast<std::uint64_t>(ch - '0');
      ++digits;
      if (fraction) --e;
    } else if (ch == '.' && !fraction) {
      fraction = true;
    } else {
      return std::nullopt;
    }
  }
  if (j == text.size()) {
    if (digits == 0) return std::nullopt;
    Coefficient c = static_cast<Coefficient>(small);
    return make(negative ? -c : c, e);
  }
  // Long form: significant digits past 37 only scale (integer part) or are dropped.
  Coefficient c = 0;
  e = 0;
  int significant = 0;
  bool any_digit = false;
  bool in_fraction = false;
  for (; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '.') {
      if (in_fraction) return std::nullopt;
      in_fraction = true;
      continue;
    }
    if (ch < '0' || ch > '9') return std::nullopt;
    any_digit = true;
    int digit = ch - '0';
    if (significant == 0 && digit == 0) {
      if (in_fraction) --e;
      continue;
    }
    if (significant < 37) {
      c = c * 10 + digit;
      ++significant;
      if (in_fraction) --e;
    } else if (!in_fraction) {
      ++e;
    }
  }
  if (!any_digit) return std::nullopt;
  return make(negative ? -c : c, e);
}

Decimal operator+(const Decimal& a, const Decimal& b) {
  if (a.coef_ == 0) return b;
  if (b.coef_ == 0) return a;
  if (a.exp_ == b.exp_) return Decimal::make(a.coef_ + b.coef_, a.exp_);
  const Decimal& hi = a.exp_ > b.exp_ ? a : b;
  const Decimal& lo = a.exp_ > b.exp_ ? b : a;
  int gap = hi.exp_ - lo.exp_;
  // A 64-bit coefficient has room for 18 more digits: the path below with up = gap, without
  // counting digits.
  constexpr Int k63 = Int{1} << 63;
  if (gap <= 18 && hi.coef_ < k63 && hi.coef_ > -k63)
    return Decimal::make(hi.coef_ * kPow10[static_cast<std::size_t>(gap)] + lo.coef_, lo.exp_);
  int room = std::max(0, 37 - digit_count(hi.coef_));
  int up = std::min(gap, room);
  Int hi_c = hi.coef_ * kPow10[up];
  Int lo_c = shift_right_even(lo.coef_, gap - up);
  return Decimal::make(hi_c + lo_c, hi.exp_ - up);
}

Decimal operator*(const Decimal& a, const Decimal& b) {
  if (a.coef_ == 0 || b.coef_ == 0) return Decimal{};
  Int product;
  if (!__builtin_mul_overflow(a.coef_, b.coef_, &product))
    return Decimal::make(product, a.exp_ + b.exp_);
  // Too wide for 128 bits: keep 19 digits of each operand (still > 18 significant digits).
  int ka = std::max(0, digit_count(a.coef_) - 19);
  int kb = std::max(0, digit_count(b.coef_) - 19);
  Int ca = shift_right_even(a.coef_, ka);
  Int cb = shift_right_even(b.coef_, kb);
  return Decimal::make(ca * cb, a.exp_ + b.exp_ + ka + kb);
}

Decimal Decimal::divide(const Decimal& a, const Decimal& b) {
  if (a.coef_ == 0 || b.coef_ == 0) return Decimal{};
  bool negative = (a.coef_ < 0) != (b.coef_ < 0);
  Int n = magnitude(a.coef_);
  Int d = magnitude(b.coef_);
  Int q = n / d;
  Int r = n % d;
  int e = a.exp_ - b.exp_;
  // Long division, one digit at a time, to one guard digit beyond kMaxDigits.
  while (r != 0 && (q == 0 || digit_count(q) <= kMaxDigits)) {
    r *= 10;
    q = q * 10 + r / d;
    r %= d;
    --e;
  }
  if (digit_count(q) > kMaxDigits) {
    Int last = q % 10;
    q /= 10;
    ++e;
    bool up = last > 5 || (last == 5 && (r != 0 || q % 2 != 0));
    if (up) ++q;
  }
  return make(negative ? -q : q, e);
}

int compare(const Decimal& a, const Decimal& b) {
  if (a.exp_ == b.exp_) return a.coef_ < b.coef_ ? -1 : (a.coef_ > b.coef_ ? 1 : 0);
  if (a.sign() != b.sign()) return a.sign() < b.sign() ? -1 : 1;
  // The one with the larger exponent brought to the other's, exactly, when it fits: a 64-bit
  // coefficient times at most 10^18 stays below 2^123 (no subtraction and normalisation).
  constexpr Int k63 = Int{1} << 63;
  const int shift = a.exp_ - b.exp_;
  if (shift > 0 && shift <= 18 && a.coef_ < k63 && a.coef_ > -k63) {
    const Int x = a.coef_ * kPow10[static_cast<std::size_t>(shift)];
    return x < b.coef_ ? -1 : (x > b.coef_ ? 1 : 0);
  }
  if (shift < 0 && shift >= -18 && b.coef_ < k63 && b.coef_ > -k63) {
    const Int y = b.coef_ * kPow10[static_cast<std::size_t>(-shift)];
    return a.coef_ < y ? -1 : (a.coef_ > y ? 1 : 0);
  }
  if (a == b) return 0;
  return (a - b).sign();
}

Decimal Decimal::floor() const {
  if (exp_ >= 0) return *this;
  int k = -exp_;
  if (k > 38) return coef_ < 0 ? from_int(-1) : Decimal{};
  Int q = coef_ / kPow10[k];
  if (coef_ < 0 && coef_ % kPow10[k] != 0) --q;
  return make(q, 0);
}

Decimal Decimal::ceil() const {
  if (exp_ >= 0) return *this;
  int k = -exp_;
  if (k > 38) return coef_ > 0 ? from_int(1) : Decimal{};
  Int q = coef_ / kPow10[k];
  if (coef_ > 0 && coef_ % kPow10[k] != 0) ++q;
  return make(q, 0);
}

Decimal Decimal::round(int places) const {
  int k = -(exp_ + places);
  if (k <= 0) return *this;
  if (k > 38) return Decimal{};
  Int q = coef_ / kPow10[k];
  Int r = magnitude(coef_ % kPow10[k]);
  if (r * 2 >= kPow10[k]) q += (coef_ < 0 ? -1 : 1);
  return make(q, -places);
}

std::optional<std::int64_t> Decimal::to_int64_floor() const {
  Decimal f = floor();
  if (f.exp_ > 18) return std::nullopt;
  Int v = f.coef_;
  for (int i = 0; i <= f.exp_; ++i) {
    // Checked before each step so the 128-bit product cannot overflow either.
    if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
    if (i < f.exp_) v *= 10;
  }
  return static_cast<std::int64_t>(v);
}

double Decimal::to_double() const {
  return static_cast<double>(coef_) * std::pow(10.0, exp_);
}

void Decimal::append_to(std::string& out) const {
  if (coef_ == 0) {
    out += '0';
    return;
  }
  char buf[48];
  int len = 0;
  Int m = magnitude(coef_);
  while (m != 0) {
    buf[len++] = static_cast<char>('0' + static_cast<int>(m % 10));
    m /= 10;
  }
  if (coef_ < 0) out += '-';
  if (exp_ >= 0) {
    for (int i = len - 1; i >= 0; --i) out += buf[i];
    out.append(static_cast<std::size_t>(exp_), '0');
    return;
  }
  int frac = -exp_;
  if (len > frac) {
    for (int i = len - 1; i >= frac; --i) out += buf[i];
    out += '.';
    for (int i = frac - 1; i >= 0; --i) out += buf[i];
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(frac - len), '0');
    for (int i = len - 1; i >= 0; --i) out += buf[i];
  }
}

std::string Decimal::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

}  // namespace mmi
