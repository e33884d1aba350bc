// `mmi batch` and `mmi whatif` end to end: the binary on small books written here, with expected
// results worked out by hand (dates in the comments).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kPolicy = std::string(MMI_SOURCE_DIR) + "/policies/us-tx.yaml";

struct Dir {
  fs::path path;
  Dir() {
    std::string t = (fs::temp_directory_path() / "mmi-batch-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs `mmi ARGS` through the shell; stdout and stderr captured.
Run mmi(const std::string& args, const std::string& prefix = "") {
  Dir d;
  std::string cmd = prefix + " '" + std::string(MMI_BINARY) + "' " + args + " >'" + (d / "out") +
                    "' 2>'" + (d / "err") + "'";
  int status = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::stringstream o, e;
  o << std::ifstream(d / "out").rdbuf();
  e << std::ifstream(d / "err").rdbuf();
  r.out = o.str();
  r.err = e.str();
  return r;
}

std::vector<json> lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(json::parse(l));
  return out;
}

std::string q(const std::string& s) {
  return "'" + s + "'";
}

// as_of 2025-06-01 for every case; TX statutory MMI is income_start + 728 days.
const std::string kGood1 =
    R"({"id":"G1","as_of":"2025-06-01","injury":{"date":"2021-12-25"},"benefits":{"disability_start":"2021-12-27","income_start":"2022-01-03"}})";
const std::string kGood2 =
    R"({"id":"G2","as_of":"2025-06-01","injury":{"date":"2024-01-05"},"benefits":{"disability_start":"2024-01-08","income_start":"2024-01-15"}})";

}  // namespace

TEST_CASE("batch: a bad line in the middle is an error result with its line number", "[batch]") {
  Dir d;
  auto cases =
      d.file("book.jsonl", kGood1 + "\n" + R"({"id":"BAD","as_of":"2025-06-01","injury":{)" +
                               "\n\n" + kGood2 + "\n");
  Run r = mmi("batch -p " + q(kPolicy) + " " + q(cases) + " --threads 2");
  REQUIRE(r.code == 0);
  auto res = lines(r.out);
  REQUIRE(res.size() == 3);  // the blank line 3 is skipped
  // G1: 2022-01-03 + 728 days = 2024-01-01 <= as_of: statutory MMI reached.
  CHECK(res[0]["case"] == "G1");
  CHECK(res[0]["status"] == "reached");
  CHECK(res[0]["basis"] == "statutory");
  CHECK(res[0]["mmi_date"] == "2024-01-01");
  CHECK(res[1]["status"] == "error");
  CHECK(res[1]["line"] == 2);
  CHECK(res[1]["error"]["at"].get<std::string>().rfind("line 2", 0) == 0);
  CHECK(res[1]["error"]["message"].get<std::string>().find("invalid JSON") != std::string::npos);
  // G2: 2024-01-15 + 728 = 2026-01-12 > as_of: not reached, cutoff the statutory date.
  CHECK(res[2]["case"] == "G2");
  CHECK(res[2]["status"] == "not_reached");
  CHECK(res[2]["coverage_cutoff"] == "2026-01-12");
  CHECK(r.err.find("3 cases") != std::string::npos);
  CHECK(r.err.find("1 reached, 1 not_reached, 0 undetermined, 1 error") != std::string::npos);
}

TEST_CASE("batch: input order is kept with several threads across many chunks", "[batch]") {
  Dir d;
  std::string book = d / "book.jsonl";
  REQUIRE(std::system(("python3 '" + std::string(MMI_SOURCE_DIR) +
                       "/tools/gen_book.py' 3000 --seed 7 -o " + q(book))
                          .c_str()) == 0);
  Run one = mmi("batch -p " + q(kPolicy) + " " + q(book) + " --threads 1");
  Run four = mmi("batch -p " + q(kPolicy) + " " + q(book) + " --threads 4");
  REQUIRE(one.code == 0);
  REQUIRE(four.code == 0);
  CHECK(one.out == four.out);  // deterministic and in input order
  // The same book as a YAML stream (documents cross chunk boundaries too) gives the same results.
  std::string yaml = d / "book.yaml";
  REQUIRE(std::system(("python3 '" + std::string(MMI_SOURCE_DIR) +
                       "/tools/gen_book.py' 3000 --seed 7 --yaml -o " + q(yaml))
                          .c_str()) == 0);
  Run from_yaml = mmi("batch -p " + q(kPolicy) + " " + q(yaml) + " --threads 3");
  REQUIRE(from_yaml.code == 0);
  CHECK(from_yaml.out == one.out);
  auto res = lines(four.out);
  REQUIRE(res.size() == 3000);
  for (std::size_t k = 0; k < res.size(); ++k) {
    char id[32];
    std::snprintf(id, sizeof id, "WC-%07zu", k + 1);
    REQUIRE(res[k]["case"] == id);
  }
}

TEST_CASE("batch: empty input gives no results and exit 0", "[batch]") {
  Dir d;
  Run r = mmi("batch -p " + q(kPolicy) + " " + q(d.file("empty.jsonl", "")));
  CHECK(r.code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.find("0 cases") != std::string::npos);
}

TEST_CASE("batch: a truncated last line without newline is an error naming it", "[batch]") {
  Dir d;
  auto cases =
      d.file("book.jsonl", kGood1 + "\n" + kGood2 + "\n" + R"({"id":"T","as_of":"2025-06)");
  Run r = mmi("batch -p " + q(kPolicy) + " " + q(cases));
  REQUIRE(r.code == 0);
  auto res = lines(r.out);
  REQUIRE(res.size() == 3);
  CHECK(res[1]["status"] == "not_reached");
  CHECK(res[2]["status"] == "error");
  CHECK(res[2]["line"] == 3);
}

TEST_CASE("batch: invalid UTF-8 and a 10 MB line are errors, the rest goes on", "[batch]") {
  Dir d;
  std::string bad_utf8 =
      R"({"id":"U","as_of":"2025-06-01","injury":{"date":"2024-01-01","body_part":"kn)"
      "\xff\xfe"
      R"(ee"}})";
  std::string huge = R"({"id":"H","as_of":"2025-06-01","claimant":{"occupation":")" +
                     std::string(10 * 1024 * 1024, 'x') + "\"}}";
  auto cases = d.file("book.jsonl", kGood1 + "\n" + bad_utf8 + "\n" + huge + "\n" + kGood2 + "\n");
#ifdef MMI_SANITIZED
  const char* limit = "";  // AddressSanitizer reserves terabytes of address space up front
#else
  const char* limit = "ulimit -v 1000000;";  // a buffered 10 MB line would show here
#endif
  Run r = mmi("batch -p " + q(kPolicy) + " " + q(cases) + " --threads 2", limit);
  REQUIRE(r.code == 0);
  auto res = lines(r.out);
  REQUIRE(res.size() == 4);
  CHECK(res[0]["status"] == "reached");
  CHECK(res[1]["status"] == "error");
  CHECK(res[1]["line"] == 2);
  CHECK(res[1]["error"]["message"].get<std::string>().find("UTF-8") != std::string::npos);
  CHECK(res[2]["status"] == "error");
  CHECK(res[2]["line"] == 3);
  CHECK(res[2]["error"]["message"].get<std::string>().find("longer than") != std::string::npos);
  CHECK(res[3]["case"] == "G2");
  CHECK(res[3]["status"] == "not_reached");
}

TEST_CASE("batch: a YAML stream with a bad document", "[batch]") {
  Dir d;
  auto cases = d.file("book.yaml",
                      "# a book of three claims\n"
                      "---\n"
                      "id: Y1\n"
                      "as_of: 2025-06-01\n"
                      "injury: {date: 2021-12-25}\n"
                      "benefits: {disability_start: 2021-12-27, income_start: 2022-01-03}\n"
                      "---\n"
                      "id: Y2\n"
                      "as_of: 2025-06-01\n"
                      "injury: {date: 2024-01-05\n"  // line 10: unclosed flow mapping
                      "benefits: [\n"
                      "---\n"
                      "id: Y3\n"
                      "as_of: 2025-06-01\n"
                      "injury:\n"
                      "  date: 2024-01-05\n"
                      "benefits:\n"
                      "  income_start: 2024-01-15\n");
  Run r = mmi("batch -p " + q(kPolicy) + " " + q(cases));
  REQUIRE(r.code == 0);
  auto res = lines(r.out);
  REQUIRE(res.size() == 3);
  CHECK(res[0]["case"] == "Y1");
  CHECK(res[0]["mmi_date"] == "2024-01-01");
  CHECK(res[1]["status"] == "error");
  CHECK(res[1]["line"].get<int>() >= 7);
  CHECK(res[1]["line"].get<int>() <= 12);
  CHECK(res[1]["error"]["message"].get<std::string>().find("invalid YAML") != std::string::npos);
  CHECK(res[2]["case"] == "Y3");
  CHECK(res[2]["coverage_cutoff"] == "2026-01-12");
}

TEST_CASE("batch: -o is written atomically", "[batch]") {
  Dir d;
  static Dir shared;  // one generated book for every section
  static const std::string book = [] {
    std::string path = shared / "book.jsonl";
    std::system(("python3 '" + std::string(MMI_SOURCE_DIR) +
                 "/tools/gen_book.py' 2000 --seed 3 -o " + q(path))
                    .c_str());
    return path;
  }();
  REQUIRE(fs::file_size(book) > 1000000);

  SECTION("into a directory that does not exist: one clear error, exit 2") {
    Run r = mmi("batch -p " + q(kPolicy) + " " + q(book) + " -o " + q(d / "missing/out.jsonl"));
    CHECK(r.code == 2);
    CHECK(r.err.find("does not exist") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(d / "missing"));
  }
  SECTION("a write failure (file size limit, like a full disk) leaves no file behind") {
    fs::create_directory(d / "out");
    std::string target = d / "out/results.jsonl";
    Run r = mmi("batch -p " + q(kPolicy) + " " + q(book) + " -o " + q(target), "ulimit -f 100;");
    CHECK(r.code != 0);
    CHECK(r.err.find("results.jsonl") != std::string::npos);
    CHECK(fs::is_empty(d / "out"));  // neither the target nor a temporary file
  }
  SECTION("an existing file is replaced only by a complete new one") {
    std::string target = d.file("results.jsonl", "old\n");
    Run failed =
        mmi("batch -p " + q(kPolicy) + " " + q(book) + " -o " + q(target), "ulimit -f 100;");
    CHECK(failed.code != 0);
    std::stringstream kept;
    kept << std::ifstream(target).rdbuf();
    CHECK(kept.str() == "old\n");
    Run ok = mmi("batch -p " + q(kPolicy) + " " + q(book) + " -o " + q(target));
    CHECK(ok.code == 0);
    Run to_stdout = mmi("batch -p " + q(kPolicy) + " " + q(book));
    std::stringstream written;
    written << std::ifstream(target).rdbuf();
    CHECK(written.str() == to_stdout.out);
    CHECK(ok.out.empty());
  }
  SECTION("/dev/full: the write fails, the device stays") {
    Run r = mmi("batch -p " + q(kPolicy) + " " + q(book) + " -o /dev/full");
    CHECK(r.code != 0);
    CHECK(r.err.find("No space left") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat("/dev/full", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
  }
}

namespace {

// What-if book (as_of 2025-06-01), variant tx_statutory_period = 100 weeks (700 days, 28 fewer).
//  W1 income 2022-01-03: S 2024-01-01 reached statutory → 2023-12-04; cutoff −28.
//     covered days from disability 2021-12-27: 736 → 708.
//  W2 designated opinion, MMI 2023-03-01, earlier than S either way: unchanged.
//     covered days from injury 2022-05-20 (no disability_start) to 2023-03-01: 286.
//  W3 income 2024-01-15: S 2026-01-12 not reached → 2025-12-15, still not reached; cutoff −28.
//     from disability 2024-01-08: 736 → 708.
//  W4 income 2023-06-20: S 2025-06-17 not reached → 2025-05-20 <= as_of: reached; cutoff −28.
//     from disability 2023-06-13: 736 → 708.
//  W5 no income_start: undetermined, no cutoff, under both.
//  line 6: not JSON: error under both.
const std::string kWhatifBook =
    R"({"id":"W1","as_of":"2025-06-01","injury":{"date":"2021-12-25"},"benefits":{"disability_start":"2021-12-27","income_start":"2022-01-03"}})"
    "\n"
    R"({"id":"W2","as_of":"2025-06-01","injury":{"date":"2022-05-20"},"benefits":{"income_start":"2022-06-01"},"opinions":[{"date":"2023-03-10","source":"designated","mmi":true,"mmi_date":"2023-03-01","impairment":5}]})"
    "\n"
    R"({"id":"W3","as_of":"2025-06-01","injury":{"date":"2024-01-05"},"benefits":{"disability_start":"2024-01-08","income_start":"2024-01-15"}})"
    "\n"
    R"({"id":"W4","as_of":"2025-06-01","injury":{"date":"2023-06-12"},"benefits":{"disability_start":"2023-06-13","income_start":"2023-06-20"}})"
    "\n"
    R"({"id":"W5","as_of":"2025-06-01","injury":{"date":"2024-03-01"}})"
    "\n"
    "not json\n";

}  // namespace

TEST_CASE("whatif: impact summary of a hand-checked book", "[whatif]") {
  Dir d;
  auto book = d.file("book.jsonl", kWhatifBook);
  Run r = mmi("whatif -p " + q(kPolicy) + " " + q(book) +
              " --set 'tx_statutory_period=100 weeks' --format json");
  REQUIRE(r.code == 0);
  json j = json::parse(r.out);
  CHECK(j["cases"] == 6);
  CHECK(j["errors"] == 1);
  CHECK(j["cases_changed"] == 3);
  CHECK(j["changed"] == json::parse(R"({"status":1,"mmi_date":2,"coverage_cutoff":3})"));
  CHECK(j["cutoff_shift_days"] ==
        json::parse(R"({"cases":3,"total":-84,"min":-28,"median":-28,"max":-28,
                        "histogram":[{"from":-28,"to":-28,"count":3}]})"));
  CHECK(j["covered_days"] == json::parse(R"({"baseline":2494,"variant":2410,"change":-84})"));
  CHECK(j["status_changes"] == json::parse(R"([{"from":"not_reached","to":"reached","count":1}])"));
  REQUIRE(j["changed_cases"].size() == 3);
  // Equal shifts (−28 days each): by case id.
  CHECK(j["changed_cases"][0]["case"] == "W1");
  CHECK(j["changed_cases"][0]["baseline"]["mmi_date"] == "2024-01-01");
  CHECK(j["changed_cases"][0]["variant"]["mmi_date"] == "2023-12-04");
  CHECK(j["changed_cases"][1]["case"] == "W3");
  CHECK(j["changed_cases"][1]["variant"]["coverage_cutoff"] == "2025-12-15");
  CHECK(j["changed_cases"][2]["case"] == "W4");
  CHECK(
      j["changed_cases"][2]["baseline"] ==
      json::parse(
          R"({"status":"not_reached","mmi_date":null,"coverage_cutoff":"2025-06-17","covered_days":736})"));
  CHECK(
      j["changed_cases"][2]["variant"] ==
      json::parse(
          R"({"status":"reached","mmi_date":"2025-05-20","coverage_cutoff":"2025-05-20","covered_days":708})"));
  CHECK(j["changed_cases"][2]["cutoff_shift_days"] == -28);

  // The same variant as a policy of its own (`parameters:` of an including file override) gives
  // the same impact through --against.
  const std::string dir = std::string(MMI_SOURCE_DIR) + "/policies/";
  std::string variant = d.file(
      "tx100.yaml",
      "policy: us-tx-100\nversion: \"1\"\ndefinition: max-potential\n"
      "include: ['" +
          dir + "std/facts.yaml', '" + dir +
          "jurisdictions/us-tx.yaml']\n"
          "parameters: {tx_statutory_period: 100 weeks}\n"
          "decision:\n  hit: earliest\n  coverage_cutoff: mmi_date ?? tx_statutory_mmi_date\n");
  Run against = mmi("whatif -p " + q(kPolicy) + " " + q(book) + " --against " + q(variant) +
                    " --format json");
  REQUIRE(against.code == 0);
  json a = json::parse(against.out);
  CHECK(a["changed"] == j["changed"]);
  CHECK(a["cutoff_shift_days"] == j["cutoff_shift_days"]);
  CHECK(a["covered_days"] == j["covered_days"]);
}

TEST_CASE("whatif: a sweep is a list with each value", "[whatif]") {
  Dir d;
  auto book = d.file("book.jsonl", kWhatifBook);
  Run r = mmi("whatif -p " + q(kPolicy) + " " + q(book) +
              " --sweep 'tx_statutory_period=100 weeks, 104 weeks' --format json");
  REQUIRE(r.code == 0);
  json j = json::parse(r.out);
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 2);
  CHECK(j[0]["value"] == "100 weeks");
  CHECK(j[0]["cutoff_shift_days"]["total"] == -84);
  CHECK(j[1]["value"] == "104 weeks");  // the baseline's own value: nothing changes
  CHECK(j[1]["cases_changed"] == 0);
  CHECK(j[1]["cutoff_shift_days"]["median"].is_null());
  CHECK(j[1]["covered_days"]["change"] == 0);
}

TEST_CASE("whatif: CSV summary and the changed cases as CSV", "[whatif]") {
  Dir d;
  auto book = d.file("book.jsonl", kWhatifBook);
  Run r = mmi("whatif -p " + q(kPolicy) + " " + q(book) +
              " --set 'tx_statutory_period=100 weeks' --format csv --csv " + q(d / "changed.csv"));
  REQUIRE(r.code == 0);
  CHECK(r.out ==
        "value,cases,errors,cases_changed,changed_status,changed_mmi_date,changed_coverage_cutoff,"
        "shift_cases,"
        "shift_total_days,shift_min_days,shift_median_days,shift_max_days,covered_days_baseline,"
        "covered_days_variant\n"
        ",6,1,3,1,2,3,3,-84,-28,-28,-28,2494,2410\n");
  std::stringstream csv;
  csv << std::ifstream(d / "changed.csv").rdbuf();
  CHECK(csv.str() ==
        "value,case,line,baseline_status,baseline_mmi_date,baseline_coverage_cutoff,baseline_"
        "covered_days,"
        "variant_status,variant_mmi_date,variant_coverage_cutoff,variant_covered_days,cutoff_shift_"
        "days\n"
        ",W1,1,reached,2024-01-01,2024-01-01,736,reached,2023-12-04,2023-12-04,708,-28\n"
        ",W3,3,not_reached,,2026-01-12,736,not_reached,,2025-12-15,708,-28\n"
        ",W4,4,not_reached,,2025-06-17,736,reached,2025-05-20,2025-05-20,708,-28\n");
}

TEST_CASE("whatif: usage errors", "[whatif]") {
  Dir d;
  auto book = d.file("book.jsonl", kWhatifBook);
  CHECK(mmi("whatif -p " + q(kPolicy) + " " + q(book)).code == 2);  // no variant
  CHECK(mmi("whatif -p " + q(kPolicy) + " " + q(book) + " --sweep tx_statutory_period").code == 2);
  CHECK(mmi("whatif -p " + q(kPolicy) + " " + q(d / "nope.jsonl") + " --set a=1").code == 2);
  Run r = mmi("whatif -p " + q(kPolicy) + " " + q(book) + " --set x=1 --report " +
              q(d / "no/dir/r.html"));
  CHECK(r.code == 2);
  CHECK(r.err.find("does not exist") != std::string::npos);
}
