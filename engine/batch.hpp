// `mmi batch`: evaluates every case of a stream with one compiled graph on several threads and
// hands the §8 result objects, as JSON Lines in input order, to a writer chunk by chunk.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/case.hpp"
#include "engine/case_stream.hpp"
#include "engine/evaluator.hpp"

namespace mmi {

struct BatchOptions {
  unsigned threads = 1;
  CaseOptions case_options;
  std::optional<DayNumber> as_of;  // overrides every case's
  // One tab-separated line per case (case, status, mmi_date, basis, coverage_cutoff, error)
  // instead of the result object; the case's text is escaped (printable()).
  bool text = false;
};

// Read by a progress display on another thread while the batch runs.
struct BatchProgress {
  std::atomic<std::uint64_t> cases{0};
  std::atomic<std::uint64_t> bytes{0};  // input consumed
};

struct BatchSummary {
  std::uint64_t cases = 0;
  std::uint64_t by_status[4] = {};  // indexed by Status
  std::uint64_t warned_cases = 0;   // cases with unknown fields
  std::string first_warning;        // "line N: message at path"
  std::uint64_t bytes_in = 0, bytes_out = 0;
  double seconds = 0;
  bool write_failed = false;  // write() returned false: the batch stopped early
  std::string read_error;     // the input could not be read to its end
  std::string start_error;    // the threads could not be created: nothing was read
};

// Writes one chunk of results; false when it failed (the batch then stops).
using ResultWriter = std::function<bool(std::string_view)>;

BatchSummary run_batch(std::shared_ptr<const Graph> graph, CaseStream& stream,
                       const BatchOptions& options, const ResultWriter& write,
                       BatchProgress* progress = nullptr);

}  // namespace mmi
