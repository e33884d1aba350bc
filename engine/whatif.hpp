// `mmi whatif`: evaluates every case of a stream under a baseline graph and one or more variant
// graphs (a --set, an --against policy, each value of a --sweep) and sums up the impact: which
// cases changed status, MMI date or coverage cutoff, the distribution of cutoff shifts, covered
// days before and after, and the most affected cases. Memory stays bounded: shifts are counted
// per distinct number of days and only the `top` most affected cases are kept.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/batch.hpp"
#include "engine/case_stream.hpp"
#include "engine/evaluator.hpp"

namespace mmi {

// What one evaluation decided, as compared by whatif.
struct Decision {
  Status status = Status::error;
  std::optional<DayNumber> mmi_date, coverage_cutoff;
  std::int64_t covered_days = 0;  // see docs/cli.md: start of disability to the cutoff, inclusive
  std::string_view basis;         // the deciding rule's id ("" without one), into its graph
  bool operator==(const Decision&) const = default;
};

struct ChangedCase {
  std::string id;
  std::string file;  // the input it came from, when a run reads several ("" otherwise)
  std::uint64_t line = 0;
  Decision baseline, variant;
  std::optional<std::int64_t> shift;  // variant − baseline cutoff, when both are dates
  // How far it moved, for ranking: |shift|, or, when a side has no cutoff, |covered days change|.
  std::int64_t impact() const {
    std::int64_t d = shift ? *shift : variant.covered_days - baseline.covered_days;
    return d < 0 ? -d : d;
  }
};

// The most affected first: larger impact(), then case id, file and line. A total order on what
// a case is (not on when it was read), so the top K of shards merged are the top K of one run.
bool more_affected(const ChangedCase& a, const ChangedCase& b);

struct HistogramBin {
  std::int64_t from = 0, to = 0;  // days, inclusive
  std::uint64_t count = 0;
};

struct ShiftStats {
  std::uint64_t count = 0;  // cases whose cutoff moved (both dates, shift ≠ 0)
  std::int64_t total = 0;
  std::optional<std::int64_t> min, max;
  std::optional<double> median;
  std::vector<HistogramBin> histogram;
};

// A --measure summed over the cases: each side over the cases where it is present there. Sums
// are kept in fixed point, units of 10^-12 (each case's value rounded half away from zero), so
// that they are exact and do not depend on the order of the additions (chunks, threads, shards).
struct MeasureTotal {
  static constexpr int kDecimals = 12;
  __int128 baseline_units = 0, variant_units = 0;
  std::uint64_t missing = 0;  // cases where it is missing under the baseline or the variant

  static __int128 units(const Decimal& d);
  Decimal baseline() const { return Decimal::make(baseline_units, -kDecimals); }
  Decimal variant() const { return Decimal::make(variant_units, -kDecimals); }
  Decimal delta() const { return Decimal::make(variant_units - baseline_units, -kDecimals); }
  void add(const MeasureTotal& o) {
    baseline_units += o.baseline_units;
    variant_units += o.variant_units;
    missing += o.missing;
  }
};

// The figures of one segment (one combination of --by values).
struct SegmentTotals {
  std::uint64_t cases = 0, changed = 0;
  std::uint64_t changed_status = 0, changed_mmi_date = 0, changed_cutoff = 0;
  std::int64_t covered_before = 0, covered_after = 0;
  std::vector<MeasureTotal> measures;
  void add(const SegmentTotals& o);
};

// A --by key: the JSON text of each --by value under the baseline ("null" when missing).
using SegmentKey = std::vector<std::string>;

// (status, basis) under the baseline → under the variant.
struct TransitionKey {
  Status from_status = Status::error;
  std::string from_basis;
  Status to_status = Status::error;
  std::string to_basis;
  auto operator<=>(const TransitionKey&) const = default;
};

struct Impact {
  std::string value;  // the --sweep value ("" otherwise)
  std::uint64_t cases = 0;
  std::uint64_t errors = 0;   // cases in error under the baseline or the variant
  std::uint64_t changed = 0;  // cases with any of the three changes
  std::uint64_t changed_status = 0, changed_mmi_date = 0, changed_cutoff = 0;
  std::map<std::int64_t, std::uint64_t> shifts;  // nonzero shift in days → cases
  std::int64_t covered_before = 0, covered_after = 0;
  std::map<std::pair<Status, Status>, std::uint64_t> transitions;  // status changes
  std::map<TransitionKey, std::uint64_t> decision_transitions;     // every case
  std::vector<MeasureTotal> measures;                              // per --measure
  std::map<SegmentKey, SegmentTotals> segments;                    // with --by
  std::vector<ChangedCase> most_affected;  // more_affected() order once finished

  ShiftStats shift_stats() const;
  // Adds another part of the book (a chunk, an input, a shard's partial): counts add up, its
  // changed cases join most_affected, trimmed to the `top` most affected now and then (0: all).
  void add(Impact&& part, std::size_t top);
  // Sorts most_affected and keeps its `top` first (0: all).
  void finish_most_affected(std::size_t top);
};

struct WhatifVariant {
  std::string value;
  std::shared_ptr<const Graph> graph;
  // Variants of one group read cases the same way: group 0 is the baseline's layout (a --set
  // variant of the same policy), so a case is parsed once; group 1 is an --against policy.
  int group = 0;
};

struct WhatifOptions {
  unsigned threads = 1;
  CaseOptions case_options;
  std::optional<DayNumber> as_of;
  std::size_t top = 20;    // most affected cases kept per variant (0: all)
  std::string input_name;  // stamped on each changed case's `file` (a run of several inputs)
  // Every graph ends its outputs with `measures` --measure outputs, then `by` --by outputs.
  std::size_t measures = 0, by = 0;
};

// Called in input order with each changed case and the index of its variant.
using ChangedSink = std::function<bool(const ChangedCase&, std::size_t variant)>;

struct WhatifResult {
  std::vector<Impact> impacts;  // one per variant
  std::uint64_t bytes_in = 0;
  double seconds = 0;
  bool sink_failed = false;
  std::string read_error;
  std::string start_error;  // the threads could not be created: nothing was read
};

WhatifResult run_whatif(std::shared_ptr<const Graph> baseline,
                        const std::vector<WhatifVariant>& variants, CaseStream& stream,
                        const WhatifOptions& options, const ChangedSink& sink = nullptr,
                        BatchProgress* progress = nullptr);

}  // namespace mmi
