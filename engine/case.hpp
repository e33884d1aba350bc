// Case facts laid out for a compiled graph: scalar facts in slots, each list as item records,
// dated lists sorted on load. Loaded from YAML or JSON; bad input becomes a CaseError naming the
// input path, never an exception.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/graph.hpp"
#include "engine/value.hpp"

namespace YAML {
class Node;
}

namespace mmi {

struct CaseList {
  std::vector<Value> fields;  // items × item width
  std::vector<Value> items;   // record values pointing into `fields`
};

struct CaseError {
  Code code = Code::E400;
  std::string message;
  std::string at;  // input path, e.g. "assessments[2].date", or "line 17"
};

struct CaseData {
  std::string id;
  DayNumber as_of = 0;
  bool has_as_of = false;
  std::vector<Value> slots;
  std::vector<CaseList> lists;
  std::deque<std::string> texts;    // text facts the slots point to
  std::vector<CaseError> warnings;  // unknown fields (errors under --strict)
  std::optional<CaseError> error;   // the case cannot be evaluated

  std::string_view keep(std::string_view s) {
    texts.emplace_back(s);
    return texts.back();
  }
};

// Numbers in cases, JSON and YAML alike: RFC 8259 syntax (`-`, digits without leading zeros, an
// optional fraction and exponent), read exactly as a decimal with at most 34 significant digits,
// at most 34 digits before and kMaxCaseDecimals after the point; anything else is an error, never
// a rounded or zero value (`1e-400` is out of range, `00012` a syntax error).
constexpr int kMaxCaseDecimals = 34;
struct CaseNumber {
  enum class Status { ok, syntax, range } status = Status::syntax;
  Decimal value{};
  const char* reason = nullptr;  // why not ok
};
CaseNumber parse_case_number(std::string_view text);

// Bytes that must be readable after a JSON text passed with padded = true (simdjson's padding).
constexpr std::size_t kJsonPadding = 64;

struct CaseOptions {
  bool strict = false;        // unknown fields are errors
  bool ignore_dates = false;  // evaluate cases whose as_of is outside effective/expires
  // Plain JSON lines through the one-pass reader (engine/json_case_reader.hpp); false: always the
  // full reader (tests and the fuzzer compare the two).
  bool fast_json = true;
  // Keep the items of lists no node of the graph reads (Graph::lists_read); they are validated
  // either way. For a loader whose cases are evaluated under other graphs too (whatif).
  bool keep_unread_lists = false;
};

// Whether two loaded cases are the same: id, as_of, every slot and list item (text by content),
// warnings and error. For tests comparing two ways of loading a case.
bool same_case(const CaseData& a, const CaseData& b);

// Loads cases into CaseData. JSON is strict RFC 8259 (docs/cli.md "Case input rules"): one value
// per text, every value validated, duplicate keys rejected (E406), a leading BOM skipped.
class CaseLoader {
 public:
  explicit CaseLoader(std::shared_ptr<const Graph> graph, CaseOptions options = {});
  ~CaseLoader();
  CaseLoader(const CaseLoader&) = delete;
  CaseLoader& operator=(const CaseLoader&) = delete;

  // Loads into `out` (cleared first, capacity reused). Returns false when out.error is set.
  // With padded = true the caller guarantees kJsonPadding readable bytes after `json`.
  bool load_json(std::string_view json, CaseData& out, bool padded = false);
  // `first_line`: the input line of the document's first line, for positions in messages.
  bool load_yaml(const YAML::Node& node, CaseData& out, std::uint64_t first_line = 1);

  // Re-sorts dated lists and checks required facts after overrides were applied.
  bool finish(CaseData& out) const;
  // `--fact PATH=VALUE`: sets a scalar fact (e.g. benefits.income_start=2024-01-23).
  bool set_fact(CaseData& out, const std::string& path, const std::string& value) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<const Graph> graph_;
  CaseOptions options_;
};

}  // namespace mmi
