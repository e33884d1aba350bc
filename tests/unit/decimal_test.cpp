#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "rules/decimal.hpp"

using mmi::Decimal;

static Decimal D(const char* s) {
  return *Decimal::parse(s);
}

TEST_CASE("decimal addition is exact", "[decimal]") {
  CHECK((D("0.1") + D("0.2")) == D("0.3"));
  CHECK((D("0.1") + D("0.2")).to_string() == "0.3");
  CHECK((D("1.10") + D("2.20")).to_string() == "3.3");
  CHECK((D("-5") + D("5")).to_string() == "0");
}

TEST_CASE("decimal keeps at least 18 significant digits", "[decimal]") {
  CHECK((D("123456789012345678") + D("0.1")).to_string() == "123456789012345678.1");
  CHECK(Decimal::divide(D("1"), D("3")).to_string() == "0.3333333333333333333333333333333333");
  CHECK(Decimal::divide(D("2"), D("3")).to_string() == "0.6666666666666666666666666666666667");
}

TEST_CASE("decimal rounding", "[decimal]") {
  CHECK(D("2.5").round(0).to_string() == "3");
  CHECK(D("-2.5").round(0).to_string() == "-3");
  CHECK(D("2.345").round(2).to_string() == "2.35");
  CHECK(D("1234").round(-2).to_string() == "1200");
  CHECK(D("-1.5").floor().to_string() == "-2");
  CHECK(D("-1.5").ceil().to_string() == "-1");
  CHECK(D("12").floor().to_string() == "12");
}

TEST_CASE("decimal multiplication and division", "[decimal]") {
  CHECK((D("12") * D("3")).to_string() == "36");
  CHECK((D("0.05") * D("812.50")).to_string() == "40.625");
  CHECK(Decimal::divide(D("12"), D("100")).to_string() == "0.12");
  CHECK((D("3") * Decimal::divide(D("300"), D("100"))).to_string() == "9");
}

TEST_CASE("decimal parse rejects malformed text", "[decimal]") {
  CHECK_FALSE(Decimal::parse("abc"));
  CHECK_FALSE(Decimal::parse("1."));
  CHECK_FALSE(Decimal::parse(".5"));
  CHECK_FALSE(Decimal::parse(""));
  CHECK_FALSE(Decimal::parse("1e5"));
  CHECK(Decimal::parse("-0.50")->to_string() == "-0.5");
}

TEST_CASE("decimal compare of different exponents agrees with the sign of the difference",
          "[decimal]") {
  // compare() scales a 64-bit coefficient by up to 10^18 instead of subtracting: it must order
  // exactly as the difference does, at the edges of that path (2^63, shifts of 18 and 19) too.
  using mmi::Decimal;
  const std::vector<Decimal> values = {
      Decimal::make(1, 0),
      Decimal::make(15, -1),
      Decimal::make(-15, -1),
      Decimal::make(3, 2),
      Decimal::make(299999, -3),
      Decimal::make(300001, -3),
      Decimal::make(7, -18),
      Decimal::make(7, 18),
      Decimal::make(7, 19),
      Decimal::make(-7, -19),
      Decimal::make(INT64_MAX, -18),
      Decimal::make(INT64_MAX, 0),
      Decimal::make(-INT64_MAX, 1),
      Decimal::make(static_cast<__int128>(INT64_MAX) + 2, -3),
      Decimal::make(-(static_cast<__int128>(INT64_MAX) + 2), 5),
      Decimal::make(static_cast<__int128>(1) << 100, -20),
      Decimal::make(9223372036854775807, -19),
      Decimal::make(922337203685477581, -18),
      Decimal::make(1, -34),
      Decimal::make(-1, 34),
  };
  for (const Decimal& a : values)
    for (const Decimal& b : values) {
      INFO(a.to_string() << " vs " << b.to_string());
      const int expected = a == b ? 0 : (a - b).sign();
      CHECK(compare(a, b) == expected);
      CHECK(compare(b, a) == -expected);
    }
}

TEST_CASE("decimal addition across exponents, at the edges of the 64-bit path", "[decimal]") {
  // operator+ brings a 64-bit coefficient up by at most 18 digits without counting them; wider
  // coefficients and larger gaps take the general path. Both orders, the same sums.
  struct Sum {
    const char* a;
    const char* b;
    const char* sum;
  };
  const std::vector<Sum> sums = {
      {"0.1", "0.02", "0.12"},
      {"100", "0.01", "100.01"},
      {"-5", "0.25", "-4.75"},
      {"2.5", "-7", "-4.5"},
      {"12345000", "0.000000000000001", "12345000.000000000000001"},
      {"1", "0.0000000000000000001", "1.0000000000000000001"},
      {"9223372036854775807", "0.000000000000000001", "9223372036854775807"},
      {"9223372036854775808", "0.000000000000000001", "9223372036854775808"},
      {"-9223372036854775807", "0.5", "-9223372036854775806.5"},
      {"92233720368547758070", "0.5", "92233720368547758070.5"},
  };
  for (const Sum& row : sums) {
    INFO(row.a << " + " << row.b);
    CHECK((D(row.a) + D(row.b)).to_string() == row.sum);
    CHECK((D(row.b) + D(row.a)).to_string() == row.sum);
  }
}
