#include "engine/batch.hpp"

#include <fmt/format.h>

#include <chrono>

#include "engine/output_file.hpp"
#include "engine/pipeline.hpp"
#include "engine/record_loader.hpp"
#include "engine/result.hpp"

namespace mmi {

namespace {

struct BatchSlot {
  CaseChunk chunk;
  std::string out;  // the chunk's results, written with one call
  BatchSummary counts;
};

class BatchWorker {
 public:
  BatchWorker(std::shared_ptr<const Graph> graph, const BatchOptions& options, CaseFormat format)
      : graph_(graph),
        loader_(graph, options.case_options),
        evaluator_(graph),
        options_(options),
        format_(format) {}

  void operator()(BatchSlot& slot) {
    const Graph& g = *graph_;
    slot.out.clear();
    slot.counts = BatchSummary{};
    for (const CaseRecord& r : slot.chunk.records) {
      std::uint64_t line;
      bool ok = load_record(loader_, format_, slot.chunk, r, options_.as_of, case_, line);
      if (!case_.warnings.empty()) {
        if (slot.counts.warned_cases++ == 0) {
          const CaseError& w = case_.warnings.front();
          slot.counts.first_warning = fmt::format("line {}: {} at {}", r.line, w.message, w.at);
        }
      }
      if (options_.text) {
        text_line(slot.out, ok, line);
        ++slot.counts.by_status[static_cast<int>(ok ? evaluator_.outcome().status : Status::error)];
      } else if (!ok) {
        append_input_error_json(slot.out, g, case_.id, *case_.error, line);
        ++slot.counts.by_status[static_cast<int>(Status::error)];
      } else {
        const Outcome& o = evaluator_.evaluate(case_);
        bool unknown = false;
        for (auto s : o.rules) unknown = unknown || s == RuleState::unknown;
        if (unknown)
          append_result_json(slot.out, g, case_, o, evaluator_.missing_facts());
        else
          append_result_json(slot.out, g, case_, o, kNoneMissing);
        ++slot.counts.by_status[static_cast<int>(o.status)];
      }
      slot.out += '\n';
    }
    slot.counts.cases = slot.chunk.records.size();
  }

 private:
  void text_line(std::string& out, bool ok, std::uint64_t line) {
    const Graph& g = *graph_;
    out += case_.id.empty() ? "?" : printable(case_.id);
    out += '\t';
    if (!ok) {
      out += fmt::format("error\t-\t-\t-\tline {}: {}", line, printable(case_.error->message));
      return;
    }
    const Outcome& o = evaluator_.evaluate(case_);
    out += to_string(o.status);
    out += '\t';
    out += o.mmi_date.is_missing() ? "-" : value_to_string(o.mmi_date, g);
    out += '\t';
    out += o.basis >= 0 ? g.policy.rules[static_cast<std::size_t>(o.basis)].id : std::string("-");
    out += '\t';
    out += o.coverage_cutoff.is_missing() ? "-" : value_to_string(o.coverage_cutoff, g);
    if (o.error)
      out += fmt::format("\t{} at {}", printable(o.error->message), printable(o.error->at));
  }

  static inline const std::vector<std::string> kNoneMissing{};
  std::shared_ptr<const Graph> graph_;
  CaseLoader loader_;
  Evaluator evaluator_;
  CaseData case_;
  const BatchOptions& options_;
  CaseFormat format_;
};

}  // namespace

BatchSummary run_batch(std::shared_ptr<const Graph> graph, CaseStream& stream,
                       const BatchOptions& options, const ResultWriter& write,
                       BatchProgress* progress) {
  auto started = std::chrono::steady_clock::now();
  BatchSummary total;
  auto make_worker = [&](unsigned) { return BatchWorker(graph, options, stream.format()); };
  auto deliver = [&](BatchSlot& slot) {
    total.cases += slot.counts.cases;
    for (int s = 0; s < 4; ++s) total.by_status[s] += slot.counts.by_status[s];
    if (slot.counts.warned_cases && !total.warned_cases)
      total.first_warning = slot.counts.first_warning;
    total.warned_cases += slot.counts.warned_cases;
    total.bytes_in += slot.chunk.input_bytes;
    total.bytes_out += slot.out.size();
    if (progress) {
      progress->cases.store(total.cases, std::memory_order_relaxed);
      progress->bytes.store(total.bytes_in, std::memory_order_relaxed);
    }
    if (!write(slot.out)) {
      total.write_failed = true;
      return false;
    }
    return true;
  };
  total.start_error = run_ordered<BatchSlot>(stream, options.threads, make_worker, deliver);
  total.read_error = stream.error();
  total.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return total;
}

}  // namespace mmi
