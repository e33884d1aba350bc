#include <catch2/catch.hpp>

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
