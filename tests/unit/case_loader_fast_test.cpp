// The one-pass JSON reader of plain case lines (engine/json_case_reader.hpp) against the full
// reader: it must read the benchmark and policy cases itself, and every line — plain, broken a
// byte at a time, or with what it leaves to the full reader — must load exactly as the full
// reader loads it.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/json_case_reader.hpp"
#include "engine/mmi.hpp"

namespace {

std::shared_ptr<const mmi::Graph> policy(const std::string& name) {
  auto compiled = mmi::compile_policy(std::string(MMI_SOURCE_DIR) + "/policies/" + name);
  REQUIRE(compiled);
  return compiled.graph;
}

// Loads `line` with the one-pass reader enabled and with the full reader only.
struct Both {
  explicit Both(std::shared_ptr<const mmi::Graph> g)
      : graph(g), fast(g), full(g, [] {
          mmi::CaseOptions o;
          o.fast_json = false;
          return o;
        }()) {}
  std::shared_ptr<const mmi::Graph> graph;
  mmi::CaseLoader fast, full;
  mmi::CaseData a, b;
  bool same(const std::string& line) {
    fast.load_json(line, a);
    full.load_json(line, b);
    return mmi::same_case(a, b);
  }
  // Whether the one-pass reader takes the line itself.
  bool plain(const std::string& line) {
    mmi::JsonCaseReader reader(*graph);
    std::string padded = line + std::string(mmi::kJsonPadding, ' ');
    mmi::CaseData c;
    return reader.read(padded.data(), line.size(), c);
  }
};

const std::string kTexas =
    R"({"id":"B-1","as_of":"2026-03-01","injury":{"date":"2024-01-15","body_part":"knee"},)"
    R"("benefits":{"disability_start":"2024-01-16","income_start":"2024-01-23","weekly_rate":812.5},)"
    R"("prognosis":{"expected_function":85},"assessments":[{"date":"2024-03-01","function":40,"pain":8},)"
    R"({"date":"2024-02-01","function":-0.50,"pain":7}],"treatments":[{"date":"2024-03-10",)"
    R"("kind":"surgery","status":"completed","intent":"curative"}],"opinions":[{"date":"2025-01-10",)"
    R"("source":"treating","specialty":"orthopedics","mmi":true,"mmi_date":"2025-01-05","impairment":12},)"
    R"({"date":"2024-09-01","source":"ime","mmi":false,"impairment":8}]})";

const std::string kFlorida =
    R"({"id":7,"as_of":"2026-03-01","injury":{"date":"2023-02-06"},"benefits":{"disability_start":)"
    R"("2023-02-07","income_start":"2023-02-14","weekly_rate":640},"periods":[{"kind":"ttd","from":)"
    R"("2023-02-07","to":"2023-04-20"},{"kind":"tpd","from":"2023-06-01"}],"opinions":[]})";

}  // namespace

TEST_CASE("the one-pass reader loads plain lines as the full reader does", "[case][fast]") {
  Both tx(policy("us-tx.yaml"));
  CHECK(tx.plain(kTexas));
  CHECK(tx.same(kTexas));
  CHECK_FALSE(tx.a.error);
  CHECK(tx.a.lists.size() == tx.b.lists.size());
  // with spaces wherever JSON allows them
  std::string spaced;
  for (char c : kTexas) {
    spaced += c;
    if (c == ',' || c == ':' || c == '{' || c == '[') spaced += " \t";
  }
  CHECK(tx.plain(" " + spaced + "\r\n"));
  CHECK(tx.same(" " + spaced + "\r\n"));
  // spaces before the colons and separators too (the key-order guess then falls back)
  std::string wide;
  for (char c : kTexas) {
    if (c == ':' || c == ',' || c == '}' || c == ']') wide += "\n ";
    wide += c;
  }
  CHECK(tx.plain(wide));
  CHECK(tx.same(wide));
  CHECK(tx.same(kTexas));  // and the guess works again after it

  Both fl(policy("us-fl.yaml"));
  CHECK(fl.plain(kFlorida));
  CHECK(fl.same(kFlorida));
  CHECK(fl.a.id == "7");
}

TEST_CASE("lines the one-pass reader leaves to the full reader load the same", "[case][fast]") {
  Both tx(policy("us-tx.yaml"));
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  // An exponent is plain: parse_case_number reads it exactly.
  CHECK(tx.plain(replace(kTexas, R"("pain":8)", R"("pain":8e0)")));
  CHECK(tx.same(replace(kTexas, R"("pain":8)", R"("pain":8e0)")));
  const std::vector<std::string> lines = {
      replace(kTexas, R"("knee")", R"("kn\u0065e")"),                // an escape
      replace(kTexas, R"("body_part")", R"("bodypart")"),            // an unknown field: a warning
      replace(kTexas, R"("2024-03-01")", R"("2024-02-30")"),         // a bad date nobody reads
      replace(kTexas, R"("pain":8)", R"("pain":"8")"),               // text for a number
      replace(kTexas, R"("pain":8)", R"("pain":08)"),                // leading zero
      replace(kTexas, R"("pain":8)", R"("pain":1e-400)"),            // out of range
      replace(kTexas, R"("surgery")", R"("surgeon")"),               // not one of the enum
      replace(kTexas, R"("mmi":true)", R"("mmi":True)"),             // not a JSON atom
      replace(kTexas, R"("id":"B-1")", R"("id":"B-1","id":"B-2")"),  // a duplicate key
      replace(kTexas, R"({"date":"2024-03-01",)", R"({"date":null,)"),  // required field null
      kTexas + " x",                                                    // after the case
      kTexas + "\n" + kTexas,                                           // two cases
  };
  for (const auto& line : lines) {
    INFO(line);
    CHECK_FALSE(tx.plain(line));
    CHECK(tx.same(line));
    CHECK((tx.a.error || !tx.a.warnings.empty() || line.find("\\u") != std::string::npos));
  }
  // The date an `assessments` item gives is checked although us-tx never reads it.
  tx.same(lines[2]);
  REQUIRE(tx.a.error);
  CHECK(tx.a.error->at == "assessments[0].date");
}

TEST_CASE("every line broken a byte at a time loads as the full reader loads it", "[case][fast]") {
  Both tx(policy("us-tx.yaml"));
  Both fl(policy("us-fl.yaml"));
  std::size_t plain = 0;
  for (Both* both : {&tx, &fl}) {
    const std::string& base = both == &tx ? kTexas : kFlorida;
    for (std::size_t at = 0; at < base.size(); ++at) {
      std::string cut = base;
      cut.erase(at, 1);
      INFO(cut);
      CHECK(both->same(cut));
      for (char c : {'"', '0', '-', '}', ']', ' ', '\x01', '\\', 'e', '\xC3'}) {
        std::string changed = base;
        changed[at] = c;
        INFO(changed);
        CHECK(both->same(changed));
        plain += both->plain(changed);
      }
    }
  }
  CHECK(plain > 100);  // many changes stay plain (a digit for a digit, a space between tokens)
}

TEST_CASE("the one-pass reader reads dates as parse_iso_date does", "[case][fast]") {
  Both tx(policy("us-tx.yaml"));
  std::size_t read = 0, rejected = 0;
  auto check = [&](const std::string& date) {
    std::string line = fmt::format(R"({{"id":"D","as_of":"{}"}})", date);
    INFO(line);
    bool ok = tx.plain(line);
    auto expected = mmi::parse_iso_date(date);
    CHECK(ok == expected.has_value());
    CHECK(tx.same(line));
    if (expected) CHECK(tx.a.as_of == *expected);
    (ok ? read : rejected) += 1;
  };
  for (int year : {1, 2, 4, 99, 100, 400, 1582, 1900, 1970, 2000, 2023, 2024, 2100, 9999}) {
    for (int month = 0; month <= 13; ++month)
      for (int day : {0, 1, 28, 29, 30, 31, 32})
        check(fmt::format("{:04}-{:02}-{:02}", year, month, day));
  }
  for (const char* odd : {"0000-01-01", "2024-1-01", "2024/01/01", "2024-01-0a", "２024-01-01",
                          "2024-01-01 ", "20240-1-01", "2024-01-001", "-024-01-01", "2024-0:-01"})
    check(odd);
  CHECK(read == 746);  // 14 years × 12 months × the days that exist of 1, 28, 29, 30, 31
  CHECK(rejected > 500);
}
