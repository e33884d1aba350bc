// `mmi whatif`: flags → engine/whatif; the impact summary as text, JSON or CSV, the changed cases
// as CSV, and the HTML report.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "cli/report.hpp"
#include "engine/output_file.hpp"
#include "engine/whatif.hpp"

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

void json_impact(std::string& out, const Impact& im, bool sweep) {
  ShiftStats s = im.shift_stats();
  out += '{';
  if (sweep) {
    out += "\"value\":";
    append_json_string(out, im.value);
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
  out += "],\"changed_cases\":[";
  for (std::size_t k = 0; k < im.most_affected.size(); ++k) {
    const ChangedCase& c = im.most_affected[k];
    out += k ? ",{\"case\":" : "{\"case\":";
    append_json_string(out, c.id);
    out += fmt::format(",\"line\":{},\"baseline\":", c.line);
    json_decision(out, c.baseline);
    out += ",\"variant\":";
    json_decision(out, c.variant);
    out += ",\"cutoff_shift_days\":" + opt(c.shift) + "}";
  }
  out += "]}";
}

std::string impacts_json(const std::vector<Impact>& impacts, bool sweep) {
  std::string out;
  if (sweep) out += '[';
  for (std::size_t k = 0; k < impacts.size(); ++k) {
    if (k) out += ',';
    json_impact(out, impacts[k], sweep);
  }
  if (sweep) out += ']';
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

std::string csv_summary(const std::vector<Impact>& impacts) {
  std::string out = kSummaryHeader;
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
  }
  return out;
}

const char* kChangedHeader =
    "value,case,line,baseline_status,baseline_mmi_date,baseline_coverage_cutoff,baseline_covered_"
    "days,"
    "variant_status,variant_mmi_date,variant_coverage_cutoff,variant_covered_days,cutoff_shift_"
    "days\n";

void csv_changed(std::string& out, const std::string& value, const ChangedCase& c) {
  out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(value), csv_field(c.id),
                     c.line, to_string(c.baseline.status), date_or(c.baseline.mmi_date, ""),
                     date_or(c.baseline.coverage_cutoff, ""), c.baseline.covered_days,
                     to_string(c.variant.status), date_or(c.variant.mmi_date, ""),
                     date_or(c.variant.coverage_cutoff, ""), c.variant.covered_days,
                     c.shift ? std::to_string(*c.shift) : "");
}

std::string decision_text(const Decision& d) {
  return fmt::format("{:<12} {:<10} {:<10}", to_string(d.status), date_or(d.mmi_date, "-"),
                     date_or(d.coverage_cutoff, "-"));
}

std::string text_impact(const Impact& im, const std::string& heading) {
  ShiftStats s = im.shift_stats();
  std::string out = heading + "\n";
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
      out += fmt::format("    {:<16} {:>7}  {}  {}  {:>6}\n", printable(c.id), c.line,
                         decision_text(c.baseline), decision_text(c.variant),
                         c.shift ? std::to_string(*c.shift) : "-");
  }
  return out;
}

std::vector<std::string> split_values(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = s.find(',', start);
    std::string v = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto b = v.find_first_not_of(' '), e = v.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? std::string() : v.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string describe(const std::string& name, const Assignments& set) {
  std::string out = name;
  for (std::size_t k = 0; k < set.size(); ++k)
    out += (k ? ", " : " with ") + set[k].first + "=" + set[k].second;
  return out;
}

}  // namespace

int run_whatif(const WhatifArgs& args) {
  Assignments set;
  if (!parse_assignments(args.set, "--set", set)) return 2;
  std::string sweep_name;
  std::vector<std::string> sweep_values;
  if (!args.sweep.empty()) {
    auto eq = args.sweep.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == args.sweep.size()) {
      complain("--sweep takes NAME=V1,V2,…, not `" + args.sweep + "`");
      return 2;
    }
    sweep_name = args.sweep.substr(0, eq);
    sweep_values = split_values(args.sweep.substr(eq + 1));
    for (const auto& v : sweep_values)
      if (v.empty()) {
        complain("--sweep has an empty value in `" + args.sweep + "`");
        return 2;
      }
  }
  if (set.empty() && args.against.empty() && sweep_values.empty()) {
    complain("whatif needs a variant: --set NAME=VALUE, --against POLICY or --sweep NAME=V1,V2,…");
    return 2;
  }
  WhatifOptions options;
  if (!args.as_of.empty() && !(options.as_of = parse_date_flag(args.as_of, "--as-of"))) return 2;
  auto threads = resolve_threads(args.threads);
  if (!threads) return 2;
  options.threads = *threads;
  options.case_options.ignore_dates = args.ignore_dates;
  auto top = parse_count(args.top, "--top", 0, std::uint64_t{1} << 53);
  if (!top) return 2;
  options.top = static_cast<std::size_t>(*top);
  Format format = output_format(args.format);
  bool sweep = !sweep_values.empty();

  std::string error;
  auto stream = open_case_stream(args.cases, CaseStreamOptions{}, error);
  if (!stream) {
    complain(args.cases + ": " + error);
    return 2;
  }
  if (!readable_file(args.policy, "policy") ||
      (!args.against.empty() && !readable_file(args.against, "policy")))
    return 2;
  OutputFile csv, report;
  if (!args.csv.empty() && !csv.open(args.csv)) {
    complain(csv.error());
    return 2;
  }
  if (!args.report.empty() && !report.open(args.report)) {
    complain(report.error());
    return 2;
  }

  int code = 1;
  auto baseline = compile_or_report(args.policy, {}, code);
  if (!baseline) return code;
  const std::string variant_path = args.against.empty() ? args.policy : args.against;
  std::vector<WhatifVariant> variants;
  std::vector<Assignments> variant_sets;
  for (std::size_t k = 0; k < std::max<std::size_t>(1, sweep_values.size()); ++k) {
    Assignments vs = set;
    if (sweep) vs.emplace_back(sweep_name, sweep_values[k]);
    auto g = compile_or_report(variant_path, vs, code);
    if (!g) return code;
    variants.push_back({sweep ? sweep_values[k] : std::string(), g, args.against.empty() ? 0 : 1});
    variant_sets.push_back(vs);
  }

  std::string csv_buffer;
  bool csv_ok = true;
  ChangedSink sink;
  if (!args.csv.empty()) {
    csv_buffer = kChangedHeader;
    sink = [&](const ChangedCase& c, std::size_t v) {
      csv_changed(csv_buffer, variants[v].value, c);
      if (csv_buffer.size() > (1 << 20)) {
        csv_ok = csv.write(csv_buffer);
        csv_buffer.clear();
      }
      return csv_ok;
    };
  }
  BatchProgress progress;
  WhatifResult result;
  {
    std::unique_ptr<ProgressBar> bar;
    if (args.progress && stderr_is_terminal())
      bar = std::make_unique<ProgressBar>(progress, stream->total_bytes());
    result = run_whatif(baseline, variants, *stream, options, sink, &progress);
  }
  if (!result.start_error.empty()) {
    complain(result.start_error + "; use fewer --threads");
    return 2;
  }
  if (!result.read_error.empty()) {
    complain(args.cases + ": read failed: " + result.read_error);
    return 2;
  }
  // Everything is written before anything is committed: a failure leaves no file changed.
  if (!args.csv.empty() && (!csv_ok || !csv.write(csv_buffer))) {
    complain("cannot write " + csv.error());
    return 2;
  }
  const std::string base_name = baseline->policy.policy_id + " " + baseline->policy.version;
  const std::string variant_name =
      variants[0].graph->policy.policy_id + " " + variants[0].graph->policy.version;
  std::string json = impacts_json(result.impacts, sweep);
  if (!args.report.empty()) {
    std::string subtitle = "baseline " + base_name + " vs " + describe(variant_name, set) +
                           (sweep ? ", sweeping " + sweep_name : std::string()) + " over " +
                           args.cases;
    if (!report.write(render_report("mmi what-if", subtitle, json, sweep))) {
      complain("cannot write " + report.error());
      return 2;
    }
  }
  std::string out;
  if (format == Format::json) {
    out = json + "\n";
  } else if (format == Format::csv) {
    out = csv_summary(result.impacts);
  } else {
    for (std::size_t k = 0; k < result.impacts.size(); ++k) {
      if (k) out += "\n";
      out += text_impact(result.impacts[k], "what-if: baseline " + base_name + " vs " +
                                                describe(variant_name, variant_sets[k]));
    }
  }
  if (!print(out)) return 2;
  for (OutputFile* file : {&csv, &report}) {
    if (file->target().empty() || file->commit()) continue;
    complain("cannot write " + file->error());
    return 2;
  }
  if (spdlog::get_level() < spdlog::level::err) {
    std::uint64_t cases = result.impacts.empty() ? 0 : result.impacts[0].cases;
    double secs = result.seconds > 0 ? result.seconds : 1e-9;
    std::fprintf(
        stderr, "mmi whatif: %s cases × %zu variant%s in %.2f s (%s cases/s, %u thread%s)\n",
        thousands(cases).c_str(), variants.size(), variants.size() == 1 ? "" : "s", result.seconds,
        thousands(static_cast<std::uint64_t>(static_cast<double>(cases) / secs)).c_str(),
        options.threads, options.threads == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace mmi::cli
