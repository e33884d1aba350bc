#include "engine/whatif.hpp"

#include <algorithm>
#include <chrono>

#include "engine/pipeline.hpp"
#include "engine/record_loader.hpp"
#include "engine/value_json.hpp"

namespace mmi {

namespace {

std::optional<DayNumber> as_date(const Value& v) {
  if (v.kind == Kind::date) return v.i;
  return std::nullopt;
}

// Keeps the `top` most affected (0: all); sorted when `final`, else trimmed in batches.
void keep_most_affected(std::vector<ChangedCase>& v, std::size_t top, bool final) {
  if (top == 0) {
    if (final) std::sort(v.begin(), v.end(), more_affected);
    return;
  }
  if (!final && v.size() < 2 * top + 64) return;
  if (v.size() > top) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(top), v.end(),
                     more_affected);
    v.resize(top);
  }
  if (final) std::sort(v.begin(), v.end(), more_affected);
}

// A measure's value as a decimal: numbers as they are, durations in days; nullopt when missing.
std::optional<Decimal> measure_value(const Value& v) {
  if (v.kind == Kind::number) return v.as_number();
  if (v.kind == Kind::duration) return Decimal::from_int(v.i);
  return std::nullopt;
}

struct Group {
  std::unique_ptr<CaseLoader> loader;
  CaseData data;
  bool ok = false;
  std::uint64_t error_line = 0;
};

// A (status, basis) → (status, basis) count within a chunk: the bases are views into the graphs'
// rule ids, so equal views are equal pointers, and counting needs no string per case.
struct TransitionTally {
  Status from_status;
  std::string_view from_basis;
  Status to_status;
  std::string_view to_basis;
  std::uint64_t count = 0;
};

void tally(std::vector<TransitionTally>& tallies, const Decision& before, const Decision& after) {
  for (TransitionTally& t : tallies)
    if (t.from_status == before.status && t.to_status == after.status &&
        t.from_basis.data() == before.basis.data() && t.to_basis.data() == after.basis.data()) {
      ++t.count;
      return;
    }
  tallies.push_back({before.status, before.basis, after.status, after.basis, 1});
}

struct WhatifSlot {
  CaseChunk chunk;
  std::vector<Impact> partial;                    // per variant: counts for this chunk
  std::vector<std::vector<ChangedCase>> changed;  // per variant, in input order
};

class WhatifWorker {
 public:
  WhatifWorker(std::shared_ptr<const Graph> baseline, const std::vector<WhatifVariant>& variants,
               const WhatifOptions& options, CaseFormat format)
      : base_graph_(baseline),
        base_eval_(baseline),
        variants_(variants),
        options_(options),
        format_(format) {
    groups_.resize(2);
    // A case of group 0 is read once for every variant of the group: keep the lists any of them
    // reads.
    CaseOptions base_options = options.case_options;
    for (const auto& v : variants)
      if (v.group == 0 && v.graph->lists_read != baseline->lists_read)
        base_options.keep_unread_lists = true;
    groups_[0].loader = std::make_unique<CaseLoader>(baseline, base_options);
    for (const auto& v : variants) {
      evals_.emplace_back(v.graph);
      if (v.group == 1 && !groups_[1].loader)
        groups_[1].loader = std::make_unique<CaseLoader>(v.graph, options.case_options);
    }
  }

  void operator()(WhatifSlot& slot) {
    std::size_t nv = variants_.size();
    slot.partial.assign(nv, Impact{});
    slot.changed.resize(nv);
    for (auto& c : slot.changed) c.clear();
    tallies_.resize(nv);
    for (auto& t : tallies_) t.clear();
    const std::size_t nm = options_.measures, nb = options_.by;
    for (auto& p : slot.partial) p.measures.assign(nm, MeasureTotal{});
    SegmentKey key(nb);
    std::vector<std::optional<Decimal>> base_measures(nm);
    for (const CaseRecord& r : slot.chunk.records) {
      Group& base = groups_[0];
      base.ok = load_record(*base.loader, format_, slot.chunk, r, options_.as_of, base.data,
                            base.error_line);
      std::optional<DayNumber> start;
      Decision before = decide(base_eval_, base, start, true);
      // The --by values and the measures under the baseline.
      {
        const Outcome& o = base_eval_.outcome();
        std::size_t first = o.outputs.size() - nm - nb;
        for (std::size_t j = 0; j < nm; ++j)
          base_measures[j] = base.ok ? measure_value(o.outputs[first + j]) : std::nullopt;
        for (std::size_t j = 0; j < nb; ++j) {
          key[j].clear();
          if (base.ok)
            append_json_value(key[j], o.outputs[first + nm + j], *base_graph_);
          else
            key[j] = "null";
        }
      }
      if (groups_[1].loader)
        groups_[1].ok = load_record(*groups_[1].loader, format_, slot.chunk, r, options_.as_of,
                                    groups_[1].data, groups_[1].error_line);
      for (std::size_t k = 0; k < nv; ++k) {
        Decision after =
            decide(evals_[k], groups_[static_cast<std::size_t>(variants_[k].group)], start, false);
        Impact& im = slot.partial[k];
        ++im.cases;
        if (before.status == Status::error || after.status == Status::error) ++im.errors;
        im.covered_before += before.covered_days;
        im.covered_after += after.covered_days;
        tally(tallies_[k], before, after);
        SegmentTotals* seg = nullptr;
        if (nb) {
          seg = &im.segments[key];
          if (seg->measures.size() != nm) seg->measures.assign(nm, MeasureTotal{});
          ++seg->cases;
          seg->covered_before += before.covered_days;
          seg->covered_after += after.covered_days;
        }
        if (nm) {
          const Outcome& o = evals_[k].outcome();
          const Group& g = groups_[static_cast<std::size_t>(variants_[k].group)];
          std::size_t first = o.outputs.size() - nm - nb;
          for (std::size_t j = 0; j < nm; ++j) {
            std::optional<Decimal> after_value =
                g.ok ? measure_value(o.outputs[first + j]) : std::nullopt;
            MeasureTotal add;
            if (base_measures[j]) add.baseline_units = MeasureTotal::units(*base_measures[j]);
            if (after_value) add.variant_units = MeasureTotal::units(*after_value);
            add.missing = !base_measures[j] || !after_value;
            im.measures[j].add(add);
            if (seg) seg->measures[j].add(add);
          }
        }
        if (before == after) continue;
        bool status = before.status != after.status, mmi = before.mmi_date != after.mmi_date,
             cutoff = before.coverage_cutoff != after.coverage_cutoff;
        if (!status && !mmi && !cutoff) continue;  // covered days alone cannot differ
        ++im.changed;
        im.changed_status += status;
        im.changed_mmi_date += mmi;
        im.changed_cutoff += cutoff;
        if (seg) {
          ++seg->changed;
          seg->changed_status += status;
          seg->changed_mmi_date += mmi;
          seg->changed_cutoff += cutoff;
        }
        if (status) ++im.transitions[{before.status, after.status}];
        ChangedCase c;
        c.id = base.data.id.empty() ? groups_[1].data.id : base.data.id;
        c.file = options_.input_name;
        c.line = r.line;
        c.baseline = before;
        c.variant = after;
        if (before.coverage_cutoff && after.coverage_cutoff) {
          c.shift = *after.coverage_cutoff - *before.coverage_cutoff;
          if (*c.shift != 0) ++im.shifts[*c.shift];
        }
        slot.changed[k].push_back(std::move(c));
      }
    }
    for (std::size_t k = 0; k < nv; ++k)
      for (const TransitionTally& t : tallies_[k])
        slot.partial[k].decision_transitions[{t.from_status, std::string(t.from_basis), t.to_status,
                                              std::string(t.to_basis)}] += t.count;
  }

 private:
  // Covered days run from the baseline's `covered_from` (the policy's decision says where they
  // start) to each side's cutoff; `start` is set by the baseline's evaluation.
  static Decision decide(Evaluator& ev, Group& g, std::optional<DayNumber>& start, bool baseline) {
    Decision d;
    if (!g.ok) return d;  // status error, no dates
    const Outcome& o = ev.evaluate(g.data);
    if (baseline) start = as_date(ev.covered_from());
    d.status = o.status;
    if (o.basis >= 0) d.basis = ev.graph().rule_ids[static_cast<std::size_t>(o.basis)];
    d.mmi_date = as_date(o.mmi_date);
    d.coverage_cutoff = as_date(o.coverage_cutoff);
    if (d.coverage_cutoff && start)
      d.covered_days = std::max<std::int64_t>(0, *d.coverage_cutoff - *start + 1);
    return d;
  }

  std::shared_ptr<const Graph> base_graph_;
  Evaluator base_eval_;
  std::vector<Evaluator> evals_;
  std::vector<Group> groups_;
  std::vector<std::vector<TransitionTally>> tallies_;  // per variant, this chunk's
  const std::vector<WhatifVariant>& variants_;
  const WhatifOptions& options_;
  CaseFormat format_;
};

}  // namespace

bool more_affected(const ChangedCase& a, const ChangedCase& b) {
  if (a.impact() != b.impact()) return a.impact() > b.impact();
  if (a.id != b.id) return a.id < b.id;
  if (a.file != b.file) return a.file < b.file;
  return a.line < b.line;
}

__int128 MeasureTotal::units(const Decimal& d) {
  Decimal r = d.round(kDecimals);
  __int128 c = r.coefficient();
  for (int e = r.exponent() + kDecimals; e > 0; --e) c *= 10;
  return c;
}

void SegmentTotals::add(const SegmentTotals& o) {
  cases += o.cases;
  changed += o.changed;
  changed_status += o.changed_status;
  changed_mmi_date += o.changed_mmi_date;
  changed_cutoff += o.changed_cutoff;
  covered_before += o.covered_before;
  covered_after += o.covered_after;
  if (measures.size() < o.measures.size()) measures.resize(o.measures.size());
  for (std::size_t j = 0; j < o.measures.size(); ++j) measures[j].add(o.measures[j]);
}

ShiftStats Impact::shift_stats() const {
  ShiftStats s;
  for (auto [days, n] : shifts) {
    s.count += n;
    s.total += days * static_cast<std::int64_t>(n);
  }
  if (s.count == 0) return s;
  s.min = shifts.begin()->first;
  s.max = shifts.rbegin()->first;
  // Median: the middle shift, or the mean of the two middle ones.
  std::uint64_t lo_rank = (s.count - 1) / 2, hi_rank = s.count / 2, seen = 0;
  std::optional<std::int64_t> lo, hi;
  for (auto [days, n] : shifts) {
    if (!lo && lo_rank < seen + n) lo = days;
    if (!hi && hi_rank < seen + n) hi = days;
    seen += n;
  }
  s.median = (static_cast<double>(*lo) + static_cast<double>(*hi)) / 2;
  // Bins of a readable width (1 day, a week, a month…) aligned on multiples of it, at most 24.
  std::int64_t range = *s.max - *s.min + 1, width = 1;
  for (std::int64_t w :
       {1, 2, 5, 7, 10, 14, 28, 30, 60, 91, 182, 365, 730, 1461, 3652, 7305, 36525}) {
    width = w;
    auto first = *s.min >= 0 ? *s.min / w * w : -((-*s.min + w - 1) / w) * w;
    if ((*s.max - first) / w + 1 <= 24) break;
  }
  if (range <= 24) width = 1;
  std::int64_t first =
      *s.min >= 0 ? *s.min / width * width : -((-*s.min + width - 1) / width) * width;
  std::int64_t bins = (*s.max - first) / width + 1;
  for (std::int64_t b = 0; b < bins; ++b)
    s.histogram.push_back({first + b * width, first + (b + 1) * width - 1, 0});
  for (auto [days, n] : shifts)
    s.histogram[static_cast<std::size_t>((days - first) / width)].count += n;
  return s;
}

void Impact::add(Impact&& p, std::size_t top) {
  cases += p.cases;
  errors += p.errors;
  changed += p.changed;
  changed_status += p.changed_status;
  changed_mmi_date += p.changed_mmi_date;
  changed_cutoff += p.changed_cutoff;
  covered_before += p.covered_before;
  covered_after += p.covered_after;
  for (auto [d, n] : p.shifts) shifts[d] += n;
  for (auto [t, n] : p.transitions) transitions[t] += n;
  for (const auto& [t, n] : p.decision_transitions) decision_transitions[t] += n;
  if (measures.size() < p.measures.size()) measures.resize(p.measures.size());
  for (std::size_t j = 0; j < p.measures.size(); ++j) measures[j].add(p.measures[j]);
  for (const auto& [key, seg] : p.segments) segments[key].add(seg);
  for (auto& c : p.most_affected) most_affected.push_back(std::move(c));
  p.most_affected.clear();
  keep_most_affected(most_affected, top, false);
}

void Impact::finish_most_affected(std::size_t top) {
  keep_most_affected(most_affected, top, true);
}

WhatifResult run_whatif(std::shared_ptr<const Graph> baseline,
                        const std::vector<WhatifVariant>& variants, CaseStream& stream,
                        const WhatifOptions& options, const ChangedSink& sink,
                        BatchProgress* progress) {
  auto started = std::chrono::steady_clock::now();
  WhatifResult result;
  result.impacts.resize(variants.size());
  for (std::size_t k = 0; k < variants.size(); ++k) {
    result.impacts[k].value = variants[k].value;
    result.impacts[k].measures.assign(options.measures, MeasureTotal{});
  }
  std::uint64_t cases = 0;
  auto make_worker = [&](unsigned) {
    return WhatifWorker(baseline, variants, options, stream.format());
  };
  auto deliver = [&](WhatifSlot& slot) {
    for (std::size_t k = 0; k < variants.size(); ++k) {
      Impact& part = slot.partial[k];
      for (auto& c : slot.changed[k]) {
        if (sink && !result.sink_failed && !sink(c, k)) result.sink_failed = true;
        part.most_affected.push_back(std::move(c));
      }
      result.impacts[k].add(std::move(part), options.top);
    }
    cases += slot.chunk.records.size();
    result.bytes_in += slot.chunk.input_bytes;
    if (progress) {
      progress->cases.store(cases, std::memory_order_relaxed);
      progress->bytes.store(result.bytes_in, std::memory_order_relaxed);
    }
    return !result.sink_failed;
  };
  result.start_error = run_ordered<WhatifSlot>(stream, options.threads, make_worker, deliver);
  for (auto& im : result.impacts) im.finish_most_affected(options.top);
  result.read_error = stream.error();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace mmi
