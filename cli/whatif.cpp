// `mmi whatif`: flags → engine/whatif; the impact summary as text, JSON or CSV, the changed cases
// as CSV, and the HTML report.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
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

// What the command line asked for, as the outputs name it.
struct Layout {
  std::vector<std::string> sweep_names;  // several: a grid, each value an object
  std::vector<Assignments> grid;         // per variant: its sweep values
  std::vector<std::string> measures;     // --measure names
  std::vector<std::string> by;           // --by texts
  bool sweep() const { return !sweep_names.empty(); }
};

std::string decimal_text(const Decimal& d) {
  return d.to_string();
}

// (variant − baseline) / baseline in percent, two decimals; nullopt when the baseline is 0.
std::optional<Decimal> delta_pct(const MeasureTotal& m) {
  if (m.baseline().is_zero()) return std::nullopt;
  return Decimal::divide(m.delta() * Decimal::from_int(100), m.baseline()).round(2);
}

void json_measures(std::string& out, const std::vector<MeasureTotal>& totals,
                   const Layout& layout) {
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

void json_segments(std::string& out, const Impact& im, const Layout& layout) {
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

void json_impact(std::string& out, const Impact& im, std::size_t index, const Layout& layout) {
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
    out += fmt::format(",\"line\":{},\"baseline\":", c.line);
    json_decision(out, c.baseline);
    out += ",\"variant\":";
    json_decision(out, c.variant);
    out += ",\"cutoff_shift_days\":" + opt(c.shift) + "}";
  }
  out += "]}";
}

std::string impacts_json(const std::vector<Impact>& impacts, const Layout& layout) {
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

std::string csv_summary(const std::vector<Impact>& impacts, const Layout& layout) {
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

std::string text_segments(const Impact& im, const Layout& layout) {
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

std::string text_impact(const Impact& im, const std::string& heading, const Layout& layout) {
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

constexpr std::size_t kMaxVariants = 1000;
constexpr std::size_t kMaxBy = 3;

std::string grid_label(const Assignments& point) {
  if (point.size() == 1) return point[0].second;
  std::string out;
  for (std::size_t j = 0; j < point.size(); ++j)
    out += (j ? " " : "") + point[j].first + "=" + point[j].second;
  return out;
}

std::string sweep_names_text(const Layout& layout) {
  std::string out;
  for (std::size_t j = 0; j < layout.sweep_names.size(); ++j)
    out += (j ? " × " : "") + layout.sweep_names[j];
  return out;
}

bool valid_measure_name(const std::string& name) {
  if (name.empty() || !(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

// --measure NAME=EXPR and --by EXPR become outputs checked with the policy; their diagnostics
// point into the command-line text (`--measure NAME:1:COL`).
bool parse_measures(const WhatifArgs& args, Layout& layout, std::vector<OutputDecl>& extra) {
  for (const std::string& m : args.measure) {
    auto eq = m.find('=');
    std::string name = eq == std::string::npos ? m : m.substr(0, eq);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (eq == std::string::npos || !valid_measure_name(name) ||
        m.find_first_not_of(' ', eq + 1) == std::string::npos) {
      complain("--measure takes NAME=EXPR with NAME like [a-z_][a-z0-9_]*, not `" + m + "`");
      return false;
    }
    if (std::find(layout.measures.begin(), layout.measures.end(), name) != layout.measures.end()) {
      complain("--measure `" + name + "` is given twice");
      return false;
    }
    layout.measures.push_back(name);
    OutputDecl o;
    o.name = "--measure " + name;
    // Blanks in place of `NAME=`: columns count in the whole argument.
    o.expr = ExprSource::detached(std::string(eq + 1, ' ') + m.substr(eq + 1), o.name);
    o.at = o.expr.location();
    extra.push_back(std::move(o));
  }
  if (args.by.size() > kMaxBy) {
    complain(fmt::format("at most {} --by expressions", kMaxBy));
    return false;
  }
  for (const std::string& b : args.by) {
    if (std::find(layout.by.begin(), layout.by.end(), b) != layout.by.end()) {
      complain("--by `" + b + "` is given twice");
      return false;
    }
    layout.by.push_back(b);
    OutputDecl o;
    o.name = "--by";
    o.expr = ExprSource::detached(b, "--by " + b);
    o.at = o.expr.location();
    extra.push_back(std::move(o));
  }
  return true;
}

// Measures are numbers or durations, --by values scalars: located errors, before any case.
bool check_measure_types(const Graph& graph, const Layout& layout) {
  const CheckedPolicy& p = graph.policy;
  std::size_t first = p.outputs.size() - layout.measures.size() - layout.by.size();
  DiagnosticList diags;
  for (std::size_t j = 0; j < layout.measures.size() + layout.by.size(); ++j) {
    const CheckedExpr& e = p.outputs[first + j].expr;
    const TypeDesc& t = p.types[e.type_id];
    bool measure = j < layout.measures.size();
    bool ok = measure ? !t.list && (t.tag == TypeTag::number || t.tag == TypeTag::duration ||
                                    t.tag == TypeTag::any)
                      : !t.list && t.tag != TypeTag::record && t.tag != TypeTag::error;
    if (ok) continue;
    diags.error(Code::E205,
                fmt::format("{} is {}; {}", measure ? "a measure" : "a --by expression",
                            p.type_name(e.type_id),
                            measure ? "a measure is a number or a duration"
                                    : "segments need a single value (text, number, date, …)"),
                e.source.location());
  }
  if (!diags.has_errors()) return true;
  std::fputs(render_text(diags, stderr_is_terminal()).c_str(), stderr);
  return false;
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
  Layout layout;
  std::vector<std::vector<std::string>> sweep_values;
  for (const std::string& sweep : args.sweep) {
    auto eq = sweep.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == sweep.size()) {
      complain("--sweep takes NAME=V1,V2,…, not `" + sweep + "`");
      return 2;
    }
    layout.sweep_names.push_back(sweep.substr(0, eq));
    sweep_values.push_back(split_values(sweep.substr(eq + 1)));
    for (const auto& v : sweep_values.back())
      if (v.empty()) {
        complain("--sweep has an empty value in `" + sweep + "`");
        return 2;
      }
  }
  // The grid: the cartesian product of the sweeps, the last one varying fastest.
  std::size_t grid_size = sweep_values.empty() ? 0 : 1;
  for (const auto& values : sweep_values) {
    grid_size *= values.size();
    if (grid_size > kMaxVariants) {
      complain(fmt::format("the --sweep grid has more than {} variants; sweep fewer values",
                           kMaxVariants));
      return 2;
    }
  }
  for (std::size_t k = 0; k < grid_size; ++k) {
    Assignments point(sweep_values.size());
    for (std::size_t j = sweep_values.size(), rest = k; j-- > 0;) {
      point[j] = {layout.sweep_names[j], sweep_values[j][rest % sweep_values[j].size()]};
      rest /= sweep_values[j].size();
    }
    layout.grid.push_back(std::move(point));
  }
  std::vector<OutputDecl> extra_outputs;
  if (!parse_measures(args, layout, extra_outputs)) return 2;
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
  options.measures = layout.measures.size();
  options.by = layout.by.size();
  Format format = output_format(args.format);
  bool sweep = layout.sweep();

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
  auto baseline = compile_or_report(args.policy, {}, code, extra_outputs);
  if (!baseline) return code;
  if (!check_measure_types(*baseline, layout)) return 2;
  const std::string variant_path = args.against.empty() ? args.policy : args.against;
  std::vector<WhatifVariant> variants;
  std::vector<Assignments> variant_sets;
  for (std::size_t k = 0; k < std::max<std::size_t>(1, grid_size); ++k) {
    Assignments vs = set;
    if (sweep) vs.insert(vs.end(), layout.grid[k].begin(), layout.grid[k].end());
    auto g = compile_or_report(variant_path, vs, code, extra_outputs);
    if (!g) return code;
    if (k == 0 && !args.against.empty() && !check_measure_types(*g, layout)) return 2;
    variants.push_back(
        {sweep ? grid_label(layout.grid[k]) : std::string(), g, args.against.empty() ? 0 : 1});
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
  std::string json = impacts_json(result.impacts, layout);
  if (!args.report.empty()) {
    std::string subtitle = "baseline " + base_name + " vs " + describe(variant_name, set) +
                           (sweep ? ", sweeping " + sweep_names_text(layout) : std::string()) +
                           " over " + args.cases;
    if (!report.write(render_report("mmi what-if", subtitle, json, sweep))) {
      complain("cannot write " + report.error());
      return 2;
    }
  }
  std::string out;
  if (format == Format::json) {
    out = json + "\n";
  } else if (format == Format::csv) {
    out = csv_summary(result.impacts, layout);
  } else {
    for (std::size_t k = 0; k < result.impacts.size(); ++k) {
      if (k) out += "\n";
      out += text_impact(
          result.impacts[k],
          "what-if: baseline " + base_name + " vs " + describe(variant_name, variant_sets[k]),
          layout);
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
