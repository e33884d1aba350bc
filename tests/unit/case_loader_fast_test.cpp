// The one-pass JSON reader of plain case lines (engine/json_case_reader.hpp) against the full
// reader: it must read the benchmark and policy cases itself, and every line — plain, broken a
// byte at a time, or with what it leaves to the full reader — must load exactly as the full
// reader loads it.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
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
    mmi::JsonCaseReader reader(*graph, false);
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

TEST_CASE("the one-pass reader's month table agrees with parse_iso_date around its years",
          "[case][fast]") {
  // The table covers 1900-2155; the years around it are computed. Every month's first and last
  // days and the day after them, from 1890 to 2165.
  Both tx(policy("us-tx.yaml"));
  std::size_t checked = 0, wrong = 0;
  for (int year = 1890; year <= 2165; ++year)
    for (int month = 1; month <= 12; ++month)
      for (int day : {1, 28, 29, 30, 31, 32}) {
        std::string date = fmt::format("{:04}-{:02}-{:02}", year, month, day);
        std::string line = fmt::format(R"({{"id":"D","as_of":"{}"}})", date);
        auto expected = mmi::parse_iso_date(date);
        bool ok = tx.plain(line);
        tx.fast.load_json(line, tx.a);
        bool same = ok == expected.has_value() && (!expected || tx.a.as_of == *expected);
        if (!same) {
          UNSCOPED_INFO(date);
          ++wrong;
        }
        ++checked;
      }
  CHECK(checked == 276 * 12 * 6);
  CHECK(wrong == 0);
}

TEST_CASE("items read in the key order of the item before load as the full reader loads them",
          "[case][fast]") {
  // The one-pass reader follows the keys of the item before (skim_item) and falls back to its
  // general record reader at the first difference: fewer keys, more keys, other keys, a null, a
  // duplicate, a required field missing — in read (opinions) and unread (assessments) lists.
  Both tx(policy("us-tx.yaml"));
  const std::vector<std::string> opinions = {
      R"({"date":"2025-01-10","source":"treating","mmi":true,"impairment":12})",
      R"({"date":"2025-02-10","source":"ime","mmi":false})",  // fewer keys
      R"({"date":"2025-03-10","source":"ime","mmi":false,"impairment":3,"served":"2025-03-12"})",
      R"({"date":"2025-04-10","mmi":true,"source":"treating"})",               // other order
      R"({"date":"2025-05-10","source":null,"mmi":true})",                     // a null
      R"({"date":"2025-06-10","source":"ime","source":"treating"})",           // a duplicate
      R"({"source":"ime","mmi":true})",                                        // no date
      R"({"date":null,"source":"ime"})",                                       // a null date
      R"({"date":"2025-07-10","source":"ime","mmi":false,"impairment":"3"})",  // a bad value
      R"({"date":"2025-08-10"})",                                              // one key
      R"({})",                                                                 // none
      R"({"source":"ime","date":"2025-09-10"})",  // the required field second
      R"({"source":"treating"})",                 // ... then absent
  };
  const std::vector<std::string> assessments = {
      R"({"date":"2024-03-01","function":40,"pain":8})",
      R"({"date":"2024-03-02","function":41})",
      R"({"date":"2024-03-03","function":42,"pain":7,"pain":6})",
      R"({"function":43,"pain":5})",
      R"({"date":"2024-03-05","function":44,"pain":4})",
  };
  std::size_t lines = 0, plain = 0, errors = 0;
  for (std::size_t a = 0; a < opinions.size(); ++a)
    for (std::size_t b = 0; b < opinions.size(); ++b)
      for (std::size_t c = 0; c < assessments.size(); ++c) {
        std::string line = R"({"id":"S","as_of":"2026-01-01","injury":{"date":"2024-01-15"},)"
                           R"("assessments":[)" +
                           assessments[c] + "," + assessments[(c + 1) % assessments.size()] +
                           R"(],"opinions":[)" + opinions[a] + "," + opinions[b] + "]}";
        INFO(line);
        CHECK(tx.same(line));
        ++lines;
        plain += tx.plain(line);
        errors += tx.a.error.has_value();
      }
  CHECK(lines == 845);
  // Lines with an error or a null are left to the full reader; the others are read in one pass.
  CHECK(plain == 98);
  CHECK(errors == 747);
  // Read items are kept as given, in date order.
  std::string line = R"({"id":"S","as_of":"2026-01-01","injury":{"date":"2024-01-15"},)"
                     R"("opinions":[)" +
                     opinions[2] + "," + opinions[1] + "," + opinions[0] + "]}";
  REQUIRE(tx.plain(line));
  REQUIRE(tx.same(line));
  REQUIRE_FALSE(tx.a.error);
}

TEST_CASE("a missing value is all zero bytes (reset_case clears slots with memset)",
          "[case][fast]") {
  mmi::Value v = mmi::Value::missing();
  const unsigned char zeros[sizeof(mmi::Value)] = {};
  CHECK(std::memcmp(static_cast<const void*>(&v), zeros, sizeof v) == 0);
  CHECK(v.is_missing());
}

TEST_CASE("lists no rule reads are validated but not kept", "[case][fast]") {
  auto tx_graph = policy("us-tx.yaml");
  auto index_of = [&](const std::string& path) {
    const auto& lists = tx_graph->policy.lists;
    for (std::size_t k = 0; k < lists.size(); ++k)
      if (lists[k].path == path) return k;
    FAIL("no list " << path);
    return std::size_t{0};
  };
  const std::size_t assessments = index_of("assessments"), treatments = index_of("treatments"),
                    opinions = index_of("opinions");
  CHECK_FALSE(tx_graph->lists_read[assessments]);
  CHECK_FALSE(tx_graph->lists_read[treatments]);
  CHECK(tx_graph->lists_read[opinions]);

  Both tx(tx_graph);
  REQUIRE(tx.plain(kTexas));
  REQUIRE(tx.same(kTexas));
  for (const mmi::CaseData* c : {&tx.a, &tx.b}) {
    CHECK(c->lists[assessments].items.empty());
    CHECK(c->lists[assessments].fields.empty());
    CHECK(c->lists[treatments].items.empty());
    REQUIRE(c->lists[opinions].items.size() == 2);
    // sorted by date on load
    CHECK(c->lists[opinions].items[0].items[0].i == *mmi::parse_iso_date("2024-09-01"));
  }
  // The same case for a loader whose cases other graphs read too: every list kept.
  mmi::CaseOptions keep;
  keep.keep_unread_lists = true;
  mmi::CaseLoader kept(tx_graph, keep);
  mmi::CaseData c;
  REQUIRE(kept.load_json(kTexas, c));
  REQUIRE(c.lists[assessments].items.size() == 2);
  CHECK(c.lists[assessments].items[0].items[0].i == *mmi::parse_iso_date("2024-02-01"));
  CHECK(c.lists[treatments].items.size() == 1);
  mmi::JsonCaseReader reader(*tx_graph, true);
  std::string padded = kTexas + std::string(mmi::kJsonPadding, ' ');
  mmi::CaseData d;
  REQUIRE(reader.read(padded.data(), kTexas.size(), d));
  CHECK(mmi::same_case(c, d));

  // Unread items are still checked: a required field, a bad value, `to` before `from`.
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  for (const auto& [line, at] : std::vector<std::pair<std::string, std::string>>{
           {replace(kTexas, R"({"date":"2024-03-01","function":40,)", R"({"function":40,)"),
            "assessments[0].date"},
           {replace(kTexas, R"("function":40)", R"("function":"40")"), "assessments[0].function"},
           {replace(kTexas, R"("kind":"surgery")", R"("kind":"massage")"), "treatments[0].kind"}}) {
    INFO(line);
    CHECK_FALSE(tx.plain(line));
    CHECK(tx.same(line));
    REQUIRE(tx.a.error);
    CHECK(tx.a.error->at == at);
  }
  // The benchmark policy reads no `periods`: their `to` before `from` is still an error.
  Both bench(policy("../bench/policies/tx-statutory-v1.yaml"));
  const std::string periods = R"({"id":"P","as_of":"2025-06-01","injury":{"date":"2023-02-20"},)"
                              R"("periods":[{"kind":"ttd","from":"2023-03-01","to":"2023-04-01"},)"
                              R"({"kind":"tpd","from":"2023-05-01","to":"2023-04-30"}]})";
  CHECK_FALSE(bench.plain(periods));
  CHECK(bench.same(periods));
  REQUIRE(bench.a.error);
  CHECK(bench.a.error->message.find("before `from`") != std::string::npos);
  const std::string ordered = replace(periods, R"("to":"2023-04-30")", R"("to":"2023-05-30")");
  CHECK(bench.plain(ordered));
  CHECK(bench.same(ordered));
  CHECK_FALSE(bench.a.error);
}

// Both readers sort dated lists with sort_by_date: in place for short lists, through an index
// array for long ones. Against std::stable_sort on random lists with ties and undated items.
TEST_CASE("sort_by_date: a stable sort by date, undated items last, short and long lists",
          "[case][fast]") {
  mmi::RecordLayout layout;
  layout.width = 3;
  layout.offsets = {0, 1, 2};
  layout.date_field = 1;  // the date is the middle slot: the sort must move whole items
  mmi::SortScratch scratch;
  std::uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&seed](std::uint64_t bound) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed % bound;
  };
  int unsorted = 0;
  for (int round = 0; round < 600; ++round) {
    const std::size_t n = next(45);  // across the short-list limit (32)
    mmi::CaseList list;
    std::vector<std::pair<std::int64_t, std::int64_t>> expected;  // (date key, item number)
    for (std::size_t k = 0; k < n; ++k) {
      const bool undated = next(6) == 0;
      const auto day = static_cast<mmi::DayNumber>(19000 + next(8));  // few days: many ties
      list.fields.push_back(mmi::Value::duration(static_cast<std::int64_t>(k)));
      list.fields.push_back(undated ? mmi::Value::missing() : mmi::Value::date(day));
      list.fields.push_back(mmi::Value::boolean(k % 2 == 0));
      expected.emplace_back(undated ? INT64_MAX : day, static_cast<std::int64_t>(k));
    }
    const bool was_sorted = std::is_sorted(expected.begin(), expected.end(),
                                           [](auto& a, auto& b) { return a.first < b.first; });
    unsorted += !was_sorted;
    std::stable_sort(expected.begin(), expected.end(),
                     [](auto& a, auto& b) { return a.first < b.first; });
    mmi::sort_by_date(list, layout, n, scratch);
    REQUIRE(list.fields.size() == 3 * n);
    for (std::size_t k = 0; k < n; ++k) {
      INFO("round " << round << ", n " << n << ", item " << k);
      const auto number = expected[k].second;
      CHECK(list.fields[3 * k].i == number);
      if (expected[k].first == INT64_MAX)
        CHECK(list.fields[3 * k + 1].is_missing());
      else
        CHECK(list.fields[3 * k + 1].i == expected[k].first);
      CHECK(list.fields[3 * k + 2].b == (number % 2 == 0));
    }
  }
  CHECK(unsorted > 400);  // the rounds exercised the sort, not only its in-order check
}

// The key order a layout learns is the union of the keys its mappings gave: an item that leaves
// out optional keys, or gives them in another order, is still read in one pass, and a reader
// that has seen many orders reads every line as the full reader does. Keys longer than 16 bytes
// (`disability_start":`, `expected_function":`) are compared in place too.
TEST_CASE("items with optional keys left out or reordered are read in one pass", "[case][fast]") {
  auto graph = policy("us-tx.yaml");
  Both tx(graph);
  mmi::JsonCaseReader reader(*graph, false);  // one reader for all lines: its orders persist
  const std::vector<std::string> optional = {R"("specialty":"orthopedics")", R"("mmi":true)",
                                             R"("mmi_date":"2025-01-05")", R"("impairment":12)",
                                             R"("served":"2025-01-20")"};
  std::uint64_t seed = 12345;
  auto next = [&seed](std::uint64_t bound) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed % bound;
  };
  std::size_t lines = 0, plain = 0;
  for (int round = 0; round < 300; ++round) {
    std::string opinions;
    const std::size_t items = 1 + next(4);
    for (std::size_t i = 0; i < items; ++i) {
      std::vector<std::string> keys = {fmt::format(R"("date":"2025-0{}-1{}")", 1 + next(9), i),
                                       R"("source":"treating")"};
      for (const auto& key : optional)
        if (next(2)) keys.push_back(key);
      if (round % 3 == 0)  // a third of the lines shuffle their items' keys
        for (std::size_t k = keys.size(); k > 1; --k) std::swap(keys[k - 1], keys[next(k)]);
      std::string item;
      for (const auto& key : keys) item += (item.empty() ? "{" : ",") + key;
      opinions += (i ? "," : "") + item + "}";
    }
    const std::string benefits =
        next(2) ? R"({"disability_start":"2024-01-16","income_start":"2024-01-23"})"
                : R"({"income_start":"2024-01-23","disability_start":"2024-01-16"})";
    const std::string line = R"({"id":"K","as_of":"2026-01-01","injury":{"date":"2024-01-15"},)"
                             R"("benefits":)" +
                             benefits + R"(,"prognosis":{"expected_function":85},"opinions":[)" +
                             opinions + "]}";
    INFO(line);
    CHECK(tx.same(line));
    CHECK_FALSE(tx.a.error);
    std::string padded = line + std::string(mmi::kJsonPadding, ' ');
    mmi::CaseData c;
    plain += reader.read(padded.data(), line.size(), c);
    ++lines;
  }
  CHECK(lines == 300);
  CHECK(plain == lines);  // every line valid and plain: none left to the full reader
}

// Enum values are compared in place, only with the values that share their first byte: every
// value of each enum a Texas case gives is taken, and near misses (a byte short, a byte more,
// another case, a shared first byte) are left to the full reader, which rejects them.
TEST_CASE("enum values are matched in place within their first byte's group", "[case][fast]") {
  Both tx(policy("us-tx.yaml"));
  const std::vector<std::pair<std::string, std::vector<std::string>>> enums = {
      {"kind", {"surgery", "therapy", "injection", "medication", "other"}},
      {"status", {"completed", "scheduled", "recommended", "denied"}},
      {"intent", {"curative", "palliative"}},
  };
  std::size_t taken = 0, declined = 0;
  for (const auto& [field, values] : enums) {
    std::vector<std::string> tries = values;
    for (const auto& v : values) {
      tries.push_back(v.substr(0, v.size() - 1));
      tries.push_back(v + "s");
      tries.push_back(std::string(1, static_cast<char>(v[0] - 32)) + v.substr(1));
      tries.push_back(v.substr(0, 1) + "zzz");
    }
    tries.push_back("");
    for (const auto& value : tries) {
      std::string item = R"({"date":"2024-03-10","kind":"surgery","status":"completed",)"
                         R"("intent":"curative"})";
      const std::string at = "\"" + field + "\":\"";
      const std::size_t start = item.find(at) + at.size();
      item.replace(start, item.find('"', start) - start, value);
      const std::string line = R"({"id":"E","as_of":"2026-01-01","injury":{"date":"2024-01-15"},)"
                               R"("treatments":[)" +
                               item + "," + item + "]}";
      INFO(line);
      CHECK(tx.same(line));
      const bool valid = std::find(values.begin(), values.end(), value) != values.end();
      CHECK(tx.a.error.has_value() == !valid);
      CHECK(tx.plain(line) == valid);
      (valid ? taken : declined) += 1;
    }
  }
  CHECK(taken == 11);
  CHECK(declined == 47);
}
