// `mmi whatif` outputs: the impact summary as text, JSON, CSV and the HTML page; the changed
// cases as CSV.
#include "cli/whatif_output.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "cli/report.hpp"
#include "engine/output_file.hpp"
#include "engine/value_json.hpp"

namespace mmi::cli {

namespace {

std::string date_or(const std::optional<DayNumber>& d, const char* none) {
  return d ? format_date(*d) : std::string(none);
}

void json_date(std::string& out, const std::optional<DayNumber>& d) {
  if (!d) {
    out += "null";
    return;
  }
  out += '"';
  append_date(out, *d);
  out += '"';
}

// 16.0 → "16", 16.5 → "16.5"
std::string number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v)))
    return std::to_string(static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

void json_decision(std::string& out, const Decision& d) {
  out += "{\"status\":";
  append_json_string(out, to_string(d.status));
  out += ",\"mmi_date\":";
  json_date(out, d.mmi_date);
  out += ",\"coverage_cutoff\":";
  json_date(out, d.coverage_cutoff);
  out += fmt::format(",\"covered_days\":{}}}", d.covered_days);
}

// What the command line asked for, as the outputs name it.
std::string decimal_text(const Decimal& d) {
  return d.to_string();
}

// (variant − baseline) / baseline in percent, two decimals; nullopt when the baseline is 0.
std::optional<Decimal> delta_pct(const MeasureTotal& m) {
  if (m.baseline().is_zero()) return std::nullopt;
  return Decimal::divide(m.delta() * Decimal::from_int(100), m.baseline()).round(2);
}

void json_measures(std::string& out, const std::vector<MeasureTotal>& totals,
                   const WhatifLayout& layout) {
  out += "\"measures\":{";
  for (std::size_t j = 0; j < totals.size(); ++j) {
    const MeasureTotal& m = totals[j];
    if (j) out += ',';
    append_json_string(out, layout.measures[j]);
    auto pct = delta_pct(m);
    out += fmt::format(
        ":{{\"baseline\":{},\"variant\":{},\"delta\":{},\"delta_pct\":{},\"missing\":{}}}",
        decimal_text(m.baseline()), decimal_text(m.variant()), decimal_text(m.delta()),
        pct ? decimal_text(*pct) : "null", m.missing);
  }
  out += '}';
}

void json_changed_counts(std::string& out, std::uint64_t status, std::uint64_t mmi,
                         std::uint64_t cutoff) {
  out += fmt::format("\"changed\":{{\"status\":{},\"mmi_date\":{},\"coverage_cutoff\":{}}}", status,
                     mmi, cutoff);
}

void json_segments(std::string& out, const Impact& im, const WhatifLayout& layout) {
  out += "\"segments\":[";
  bool first = true;
  for (const auto& [key, seg] : im.segments) {
    out += first ? "{\"key\":{" : ",{\"key\":{";
    first = false;
    for (std::size_t j = 0; j < key.size(); ++j) {
      if (j) out += ',';
      append_json_string(out, layout.by[j]);
      out += ':' + key[j];
    }
    out += fmt::format("}},\"cases\":{},\"cases_changed\":{},", seg.cases, seg.changed);
    json_changed_counts(out, seg.changed_status, seg.changed_mmi_date, seg.changed_cutoff);
    out +=
        fmt::format(",\"covered_days\":{{\"baseline\":{},\"variant\":{},\"change\":{}}},",
                    seg.covered_before, seg.covered_after, seg.covered_after - seg.covered_before);
    json_measures(out, seg.measures, layout);
    out += '}';
  }
  out += ']';
}

void json_transitions(std::string& out, const Impact& im) {
  out += "\"transitions\":[";
  bool first = true;
  auto side = [&](Status s, const std::string& basis) {
    out += "{\"status\":";
    append_json_string(out, to_string(s));
    out += ",\"basis\":";
    if (basis.empty())
      out += "null";
    else
      append_json_string(out, basis);
    out += '}';
  };
  for (const auto& [t, n] : im.decision_transitions) {
    out += first ? "{\"from\":" : ",{\"from\":";
    first = false;
    side(t.from_status, t.from_basis);
    out += ",\"to\":";
    side(t.to_status, t.to_basis);
    out += fmt::format(",\"count\":{}}}", n);
  }
  out += ']';
}

void json_impact(std::string& out, const Impact& im, std::size_t index,
                 const WhatifLayout& layout) {
  ShiftStats s = im.shift_stats();
  out += '{';
  if (layout.sweep()) {
    out += "\"value\":";
    const Assignments& values = layout.grid[index];
    if (values.size() == 1) {
      append_json_string(out, values[0].second);
    } else {
      out += '{';
      for (std::size_t j = 0; j < values.size(); ++j) {
        if (j) out += ',';
        append_json_string(out, values[j].first);
        out += ':';
        append_json_string(out, values[j].second);
      }
      out += '}';
    }
    out += ',';
  }
  if (!layout.measures.empty()) {
    json_measures(out, im.measures, layout);
    out += ',';
  }
  out += fmt::format("\"cases\":{},\"errors\":{},\"cases_changed\":{},", im.cases, im.errors,
                     im.changed);
  out += fmt::format("\"changed\":{{\"status\":{},\"mmi_date\":{},\"coverage_cutoff\":{}}},",
                     im.changed_status, im.changed_mmi_date, im.changed_cutoff);
  auto opt = [](const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string("null");
  };
  out += fmt::format(
      "\"cutoff_shift_days\":{{\"cases\":{},\"total\":{},\"min\":{},\"median\":{},\"max\":{},"
      "\"histogram\":[",
      s.count, s.total, opt(s.min), s.median ? number(*s.median) : "null", opt(s.max));
  for (std::size_t k = 0; k < s.histogram.size(); ++k)
    out += fmt::format("{}{{\"from\":{},\"to\":{},\"count\":{}}}", k ? "," : "",
                       s.histogram[k].from, s.histogram[k].to, s.histogram[k].count);
  out += "]},";
  out += fmt::format("\"covered_days\":{{\"baseline\":{},\"variant\":{},\"change\":{}}},",
                     im.covered_before, im.covered_after, im.covered_after - im.covered_before);
  out += "\"status_changes\":[";
  bool first = true;
  for (auto [t, n] : im.transitions) {
    out += first ? "" : ",";
    first = false;
    out += "{\"from\":";
    append_json_string(out, to_string(t.first));
    out += ",\"to\":";
    append_json_string(out, to_string(t.second));
    out += fmt::format(",\"count\":{}}}", n);
  }
  out += "],";
  json_transitions(out, im);
  if (!layout.by.empty()) {
    out += ',';
    json_segments(out, im, layout);
  }
  out += ",\"changed_cases\":[";
  for (std::size_t k = 0; k < im.most_affected.size(); ++k) {
    const ChangedCase& c = im.most_affected[k];
    out += k ? ",{\"case\":" : "{\"case\":";
    append_json_string(out, c.id);
    if (!c.file.empty()) {
      out += ",\"file\":";
      append_json_string(out, c.file);
    }
    out += fmt::format(",\"line\":{},\"baseline\":", c.line);
    json_decision(out, c.baseline);
    out += ",\"variant\":";
    json_decision(out, c.variant);
    out += ",\"cutoff_shift_days\":" + opt(c.shift) + "}";
  }
  out += "]}";
}

std::string impacts_json(const std::vector<Impact>& impacts, const WhatifLayout& layout) {
  std::string out;
  if (layout.sweep()) out += '[';
  for (std::size_t k = 0; k < impacts.size(); ++k) {
    if (k) out += ',';
    json_impact(out, impacts[k], k, layout);
  }
  if (layout.sweep()) out += ']';
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const char* kSummaryHeader =
    "value,cases,errors,cases_changed,changed_status,changed_mmi_date,changed_coverage_cutoff,"
    "shift_cases,"
    "shift_total_days,shift_min_days,shift_median_days,shift_max_days,covered_days_baseline,"
    "covered_days_variant\n";

std::string csv_summary(const std::vector<Impact>& impacts, const WhatifLayout& layout) {
  std::string out = kSummaryHeader;
  out.pop_back();
  for (const std::string& m : layout.measures)
    out += fmt::format(",{0}_baseline,{0}_variant,{0}_delta,{0}_missing", m);
  out += '\n';
  for (const Impact& im : impacts) {
    ShiftStats s = im.shift_stats();
    auto opt = [](const std::optional<std::int64_t>& v) {
      return v ? std::to_string(*v) : std::string();
    };
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(im.value), im.cases,
                       im.errors, im.changed, im.changed_status, im.changed_mmi_date,
                       im.changed_cutoff, s.count, s.total, opt(s.min),
                       s.median ? number(*s.median) : "", opt(s.max), im.covered_before,
                       im.covered_after);
    out.pop_back();
    for (const MeasureTotal& m : im.measures)
      out += fmt::format(",{},{},{},{}", decimal_text(m.baseline()), decimal_text(m.variant()),
                         decimal_text(m.delta()), m.missing);
    out += '\n';
  }
  return out;
}

// "12", or "shard-2.jsonl:12" in a run of several inputs.
std::string line_text(const ChangedCase& c) {
  return c.file.empty() ? std::to_string(c.line) : printable(c.file) + ":" + std::to_string(c.line);
}

std::string decision_text(const Decision& d) {
  return fmt::format("{:<12} {:<10} {:<10}", to_string(d.status), date_or(d.mmi_date, "-"),
                     date_or(d.coverage_cutoff, "-"));
}

// For people: rounded to cents, thousands grouped ("3,620", "-1,234.57"); JSON stays exact.
std::string money_text(const Decimal& d) {
  std::string plain = d.round(2).to_string();
  std::size_t digits = plain[0] == '-' ? 1 : 0, point = plain.find('.');
  std::size_t end = point == std::string::npos ? plain.size() : point;
  for (std::size_t k = end; k > digits + 3; k -= 3) plain.insert(k - 3, ",");
  return plain;
}

std::string signed_decimal(const Decimal& d) {
  return (d.sign() > 0 ? "+" : "") + money_text(d);
}

std::string measure_text(const MeasureTotal& m) {
  auto pct = delta_pct(m);
  return fmt::format(
      "{} → {} ({}{}{})", money_text(m.baseline()), money_text(m.variant()),
      signed_decimal(m.delta()), pct ? ", " + signed_decimal(*pct) + "%" : std::string(),
      m.missing ? fmt::format("; missing in {}", thousands(m.missing)) : std::string());
}

std::string segment_key_text(const SegmentKey& key) {
  std::string out;
  for (std::size_t j = 0; j < key.size(); ++j) {
    if (j) out += " · ";
    if (key[j] == "null")
      out += "(missing)";
    else if (key[j].front() == '"')
      out += printable(key[j].substr(1, key[j].size() - 2));
    else
      out += key[j];
  }
  return out;
}

constexpr std::size_t kTextSegments = 10;

// The segments most moved: by |delta| of the first measure, else by cases changed; then key.
std::vector<const std::pair<const SegmentKey, SegmentTotals>*> top_segments(const Impact& im) {
  std::vector<const std::pair<const SegmentKey, SegmentTotals>*> v;
  for (const auto& e : im.segments) v.push_back(&e);
  auto weight = [](const SegmentTotals& s) {
    return s.measures.empty() ? Decimal::from_int(static_cast<std::int64_t>(s.changed))
                              : s.measures[0].delta().abs();
  };
  std::stable_sort(v.begin(), v.end(), [&](auto* a, auto* b) {
    return compare(weight(a->second), weight(b->second)) > 0;
  });
  return v;
}

std::string text_segments(const Impact& im, const WhatifLayout& layout) {
  std::string by;
  for (std::size_t j = 0; j < layout.by.size(); ++j) by += (j ? ", " : "") + layout.by[j];
  auto top = top_segments(im);
  std::string out = fmt::format(
      "  by {} ({} segment{}{})\n", by, top.size(), top.size() == 1 ? "" : "s",
      top.size() > kTextSegments ? fmt::format(", top {}", kTextSegments) : std::string());
  for (std::size_t k = 0; k < top.size() && k < kTextSegments; ++k) {
    const auto& [key, seg] = *top[k];
    out += fmt::format("    {:<28} {} case{}, {} changed", segment_key_text(key),
                       thousands(seg.cases), seg.cases == 1 ? "" : "s", thousands(seg.changed));
    for (std::size_t j = 0; j < seg.measures.size(); ++j)
      out += fmt::format("; {} {}", layout.measures[j], measure_text(seg.measures[j]));
    out += "\n";
  }
  return out;
}

std::string text_impact(const Impact& im, const std::string& heading, const WhatifLayout& layout) {
  ShiftStats s = im.shift_stats();
  std::string out = heading + "\n";
  for (std::size_t j = 0; j < im.measures.size(); ++j)
    out += fmt::format("  {:<16} {}\n", layout.measures[j], measure_text(im.measures[j]));
  out += fmt::format("  cases            {} ({} in error under either policy)\n",
                     thousands(im.cases), thousands(im.errors));
  out += fmt::format("  changed          {} cases: status {}, MMI date {}, coverage cutoff {}\n",
                     thousands(im.changed), thousands(im.changed_status),
                     thousands(im.changed_mmi_date), thousands(im.changed_cutoff));
  if (s.count)
    out += fmt::format("  cutoff shift     {} cases, {} days in all; min {}, median {}, max {}\n",
                       thousands(s.count), thousands_signed(s.total), *s.min, number(*s.median),
                       *s.max);
  else
    out += "  cutoff shift     none\n";
  std::int64_t delta = im.covered_after - im.covered_before;
  out += fmt::format(
      "  covered days     {} → {} ({}{}, {:+.2f}%)\n", thousands_signed(im.covered_before),
      thousands_signed(im.covered_after), delta > 0 ? "+" : "", thousands_signed(delta),
      im.covered_before
          ? 100.0 * static_cast<double>(delta) / static_cast<double>(im.covered_before)
          : 0.0);
  for (auto [t, n] : im.transitions)
    out += fmt::format("  status change    {} → {}: {}\n", to_string(t.first), to_string(t.second),
                       thousands(n));
  for (const auto& [t, n] : im.decision_transitions) {
    if (t.from_status == t.to_status && t.from_basis == t.to_basis) continue;
    auto side = [](Status st, const std::string& basis) {
      return fmt::format("{}/{}", to_string(st), basis.empty() ? "-" : printable(basis));
    };
    out += fmt::format("  transition       {} → {}: {}\n", side(t.from_status, t.from_basis),
                       side(t.to_status, t.to_basis), thousands(n));
  }
  if (!layout.by.empty()) out += text_segments(im, layout);
  if (!s.histogram.empty()) {
    out += "  shift histogram (days)\n";
    std::uint64_t top = 0;
    for (const auto& b : s.histogram) top = std::max(top, b.count);
    for (const auto& b : s.histogram) {
      if (b.count == 0) continue;  // the HTML chart keeps empty bins; text stays short
      std::string range =
          b.from == b.to ? std::to_string(b.from) : fmt::format("{}..{}", b.from, b.to);
      auto bar = static_cast<std::size_t>(top ? (40 * b.count + top - 1) / top : 0);
      std::string bars;
      for (std::size_t k = 0; k < bar; ++k) bars += "█";
      out += fmt::format("    {:>13} {} {}\n", range, bars, thousands(b.count));
    }
  }
  if (!im.most_affected.empty()) {
    out += fmt::format("  most affected cases ({} of {})\n", im.most_affected.size(),
                       thousands(im.changed));
    out += fmt::format("    {:<16} {:>7}  {:<34}  {:<34}  {:>6}\n", "case", "line",
                       "baseline: status mmi cutoff", "variant: status mmi cutoff", "shift");
    for (const ChangedCase& c : im.most_affected)
      out += fmt::format("    {:<16} {:>7}  {}  {}  {:>6}\n", printable(c.id), line_text(c),
                         decision_text(c.baseline), decision_text(c.variant),
                         c.shift ? std::to_string(*c.shift) : "-");
  }
  return out;
}

}  // namespace

std::string grid_label(const Assignments& point) {
  if (point.size() == 1) return point[0].second;
  std::string out;
  for (std::size_t j = 0; j < point.size(); ++j)
    out += (j ? " " : "") + point[j].first + "=" + point[j].second;
  return out;
}

namespace {

std::string sweep_names_text(const WhatifLayout& layout) {
  std::string out;
  for (std::size_t j = 0; j < layout.sweep_names.size(); ++j)
    out += (j ? " × " : "") + layout.sweep_names[j];
  return out;
}

std::string describe(const std::string& name, const Assignments& set) {
  std::string out = name;
  for (std::size_t k = 0; k < set.size(); ++k)
    out += (k ? ", " : " with ") + set[k].first + "=" + set[k].second;
  return out;
}

}  // namespace

std::string WhatifSummary::variant_text(std::size_t variant) const {
  Assignments values = set;
  if (layout.sweep())
    values.insert(values.end(), layout.grid[variant].begin(), layout.grid[variant].end());
  return describe(variant_name, values);
}

std::string render_whatif(const WhatifSummary& summary, const std::string& format) {
  const WhatifLayout& layout = summary.layout;
  if (format == "json") return impacts_json(summary.impacts, layout) + "\n";
  if (format == "csv") return csv_summary(summary.impacts, layout);
  if (format == "html") {
    std::uint64_t cases = summary.impacts.empty() ? 0 : summary.impacts[0].cases;
    std::string subtitle =
        "baseline " + summary.baseline_name + " vs " + describe(summary.variant_name, summary.set) +
        (layout.sweep() ? ", sweeping " + sweep_names_text(layout) : std::string()) + " over " +
        thousands(cases) + (cases == 1 ? " case" : " cases");
    return render_report("mmi what-if", subtitle, impacts_json(summary.impacts, layout),
                         layout.sweep());
  }
  std::string out;
  for (std::size_t k = 0; k < summary.impacts.size(); ++k) {
    if (k) out += "\n";
    out += text_impact(
        summary.impacts[k],
        "what-if: baseline " + summary.baseline_name + " vs " + summary.variant_text(k), layout);
  }
  return out;
}

std::string changed_csv_header(bool with_file) {
  return std::string("value,case,") + (with_file ? "file," : "") +
         "line,baseline_status,baseline_mmi_date,baseline_coverage_cutoff,baseline_covered_days,"
         "variant_status,variant_mmi_date,variant_coverage_cutoff,variant_covered_days,"
         "cutoff_shift_days\n";
}

void append_changed_csv(std::string& out, const std::string& value, const ChangedCase& c,
                        bool with_file) {
  out += csv_field(value) + ',' + csv_field(c.id) + ',';
  if (with_file) out += csv_field(c.file) + ',';
  out += fmt::format("{},{},{},{},{},{},{},{},{},{}\n", c.line, to_string(c.baseline.status),
                     date_or(c.baseline.mmi_date, ""), date_or(c.baseline.coverage_cutoff, ""),
                     c.baseline.covered_days, to_string(c.variant.status),
                     date_or(c.variant.mmi_date, ""), date_or(c.variant.coverage_cutoff, ""),
                     c.variant.covered_days, c.shift ? std::to_string(*c.shift) : "");
}

bool open_whatif_outputs(const WhatifArgs& args, OutputFile& output, OutputFile& report) {
  for (auto [path, file] : {std::pair{&args.output, &output}, std::pair{&args.report, &report}}) {
    if (path->empty() && file == &report) continue;
    if (*path == "-" || file->open(*path)) continue;
    complain(file->error());
    return false;
  }
  return true;
}

int emit_whatif(const WhatifSummary& summary, const std::string& text, const WhatifArgs& args,
                OutputFile& output, OutputFile& report, OutputFile* also) {
  if (!args.report.empty() && !report.write(render_whatif(summary, "html"))) {
    complain("cannot write " + report.error());
    return 2;
  }
  if (args.output == "-" ? !print(text) : !output.write(text)) {
    if (args.output != "-") complain("cannot write " + output.error());
    return 2;
  }
  for (OutputFile* file : {&output, also, &report}) {
    if (!file || file->target().empty() || file->commit()) continue;
    complain("cannot write " + file->error());
    return 2;
  }
  return 0;
}

}  // namespace mmi::cli
