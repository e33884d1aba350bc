// The cases the benchmarks share: mmi_bench (timings) and mmi_icount (callgrind instruction
// counts) measure the same inputs.
#pragma once

#include <fmt/format.h>

#include <string>

namespace mmi::bench {

inline const std::string kTexasPolicy = std::string(MMI_SOURCE_DIR) + "/policies/us-tx.yaml";
inline const std::string kFloridaPolicy = std::string(MMI_SOURCE_DIR) + "/policies/us-fl.yaml";

// A realistic Texas case: 20 assessments, 5 treatments, 3 opinions.
inline std::string texas_case() {
  std::string s =
      R"({"id":"B-1","as_of":"2026-03-01","injury":{"date":"2024-01-15","body_part":"knee"},)"
      R"("benefits":{"disability_start":"2024-01-16","income_start":"2024-01-23","weekly_rate":812.5},)"
      R"("prognosis":{"expected_function":85},"assessments":[)";
  for (int i = 0; i < 20; ++i)
    s += fmt::format(R"({}{{"date":"2024-{:02}-{:02}","function":{},"pain":{}}})", i ? "," : "",
                     2 + i / 4, 1 + (i % 4) * 7, 40 + i * 2, 8 - i / 4);
  s += R"(],"treatments":[)";
  const char* kinds[] = {"surgery", "therapy", "injection", "medication", "therapy"};
  for (int i = 0; i < 5; ++i)
    s += fmt::format(
        R"({}{{"date":"2024-{:02}-10","kind":"{}","status":"completed","intent":"curative"}})",
        i ? "," : "", 3 + i, kinds[i]);
  s +=
      R"(],"opinions":[{"date":"2025-01-10","source":"treating","specialty":"orthopedics","mmi":true,"mmi_date":"2025-01-05","impairment":12},)"
      R"({"date":"2024-09-01","source":"ime","mmi":false,"impairment":8},)"
      R"({"date":"2025-03-10","source":"designated","mmi":true,"mmi_date":"2025-02-01","impairment":15}]})";
  return s;
}

// A Florida case with 10 benefit periods (mostly ttd, some tpd, gaps between them, the last
// open), 8 assessments and 2 opinions: the interval built-ins do the work here.
inline std::string florida_case() {
  std::string s =
      R"({"id":"F-10","as_of":"2026-03-01","injury":{"date":"2023-02-06","body_part":"back"},)"
      R"("benefits":{"disability_start":"2023-02-07","income_start":"2023-02-14","weekly_rate":640},)"
      R"("periods":[)";
  for (int i = 0; i < 10; ++i) {
    int month = 2 + i * 2;  // every two months from 2023-02
    int year = 2023 + (month - 1) / 12;
    int m = (month - 1) % 12 + 1;
    s += fmt::format(R"({}{{"kind":"{}","from":"{}-{:02}-{:02}")", i ? "," : "",
                     i % 3 == 2 ? "tpd" : "ttd", year, m, i == 4 ? 1 : 7);
    if (i < 9) s += fmt::format(R"(,"to":"{}-{:02}-{:02}")", year + (m + 1) / 13, m % 12 + 1, 20);
    s += '}';
  }
  s += R"(],"assessments":[)";
  for (int i = 0; i < 8; ++i)
    s += fmt::format(R"({}{{"date":"2023-{:02}-15","function":{},"pain":{}}})", i ? "," : "", 3 + i,
                     45 + i * 5, 7 - i / 2);
  s +=
      R"(],"opinions":[{"date":"2024-06-10","source":"treating","mmi":false,"impairment":6},)"
      R"({"date":"2025-01-20","source":"treating","mmi":true,"mmi_date":"2025-01-15","impairment":9}]})";
  return s;
}

}  // namespace mmi::bench
