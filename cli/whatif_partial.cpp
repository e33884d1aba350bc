// The partial state of a what-if run (cli/whatif_partial.hpp): everything the outputs need,
// exactly — counts, the sparse histogram of shift days (so medians recompute exactly), measure
// sums as exact decimal strings, segment tables, transitions and the top changed cases.
#include "cli/whatif_partial.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <utility>

#include "rules/calendar.hpp"

namespace mmi::cli {

namespace {

using ojson = nlohmann::ordered_json;

// Fixed-point units (10^-12) as an exact decimal: "21600", "-0.5", "889.000000000001".
std::string units_text(__int128 units) {
  bool negative = units < 0;
  unsigned __int128 u = negative ? static_cast<unsigned __int128>(-(units + 1)) + 1
                                 : static_cast<unsigned __int128>(units);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u);
  constexpr std::size_t kScale = MeasureTotal::kDecimals;
  if (digits.size() <= kScale) digits.insert(0, kScale + 1 - digits.size(), '0');
  std::string whole = digits.substr(0, digits.size() - kScale);
  std::string fraction = digits.substr(digits.size() - kScale);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string out = negative ? "-" : "";
  out += whole;
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

// The inverse of units_text: at most 12 decimals, at most 38 digits; nullopt otherwise.
std::optional<__int128> parse_units(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  auto point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view fraction = point == std::string_view::npos ? "" : text.substr(point + 1);
  if (whole.empty() || fraction.size() > MeasureTotal::kDecimals ||
      (point != std::string_view::npos && fraction.empty()) || whole.size() + 12 > 38)
    return std::nullopt;
  __int128 u = 0;
  for (std::string_view part : {whole, fraction})
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      u = u * 10 + (c - '0');
    }
  for (std::size_t k = fraction.size(); k < MeasureTotal::kDecimals; ++k) u *= 10;
  return negative ? -u : u;
}

constexpr std::array<Status, 4> kStatuses = {Status::reached, Status::not_reached,
                                             Status::undetermined, Status::error};

Status status_named(const std::string& name) {
  for (Status s : kStatuses)
    if (name == to_string(s)) return s;
  throw std::invalid_argument("unknown status `" + name + "`");
}

ojson date_json(const std::optional<DayNumber>& d) {
  return d ? ojson(format_date(*d)) : ojson(nullptr);
}

std::optional<DayNumber> date_from(const ojson& j) {
  if (j.is_null()) return std::nullopt;
  auto d = parse_iso_date(j.get<std::string>());
  if (!d) throw std::invalid_argument("bad date " + j.dump());
  return d;
}

ojson measures_json(const std::vector<MeasureTotal>& totals) {
  ojson out = ojson::array();
  for (const MeasureTotal& m : totals)
    out.push_back({{"baseline", units_text(m.baseline_units)},
                   {"variant", units_text(m.variant_units)},
                   {"missing", m.missing}});
  return out;
}

std::vector<MeasureTotal> measures_from(const ojson& j) {
  std::vector<MeasureTotal> out;
  for (const ojson& m : j) {
    MeasureTotal t;
    auto b = parse_units(m.at("baseline").get<std::string>());
    auto v = parse_units(m.at("variant").get<std::string>());
    if (!b || !v) throw std::invalid_argument("a measure total is not an exact decimal");
    t.baseline_units = *b;
    t.variant_units = *v;
    t.missing = m.at("missing").get<std::uint64_t>();
    out.push_back(t);
  }
  return out;
}

ojson decision_json(const Decision& d) {
  return {{"status", to_string(d.status)},
          {"mmi_date", date_json(d.mmi_date)},
          {"coverage_cutoff", date_json(d.coverage_cutoff)},
          {"covered_days", d.covered_days}};
}

Decision decision_from(const ojson& j) {
  Decision d;
  d.status = status_named(j.at("status").get<std::string>());
  d.mmi_date = date_from(j.at("mmi_date"));
  d.coverage_cutoff = date_from(j.at("coverage_cutoff"));
  d.covered_days = j.at("covered_days").get<std::int64_t>();
  return d;
}

ojson basis_json(const std::string& basis) {
  return basis.empty() ? ojson(nullptr) : ojson(basis);
}

std::string basis_from(const ojson& j) {
  return j.is_null() ? std::string() : j.get<std::string>();
}

ojson impact_json(const Impact& im) {
  ojson j;
  j["value"] = im.value;
  j["cases"] = im.cases;
  j["errors"] = im.errors;
  j["cases_changed"] = im.changed;
  j["changed"] = {{"status", im.changed_status},
                  {"mmi_date", im.changed_mmi_date},
                  {"coverage_cutoff", im.changed_cutoff}};
  j["covered_days"] = {{"baseline", im.covered_before}, {"variant", im.covered_after}};
  ojson shifts = ojson::array();
  for (auto [days, n] : im.shifts) shifts.push_back({days, n});
  j["cutoff_shifts"] = std::move(shifts);  // [days, cases], every distinct shift
  ojson status_changes = ojson::array();
  for (auto [t, n] : im.transitions)
    status_changes.push_back({to_string(t.first), to_string(t.second), n});
  j["status_changes"] = std::move(status_changes);
  ojson transitions = ojson::array();
  for (const auto& [t, n] : im.decision_transitions)
    transitions.push_back({to_string(t.from_status), basis_json(t.from_basis),
                           to_string(t.to_status), basis_json(t.to_basis), n});
  j["transitions"] = std::move(transitions);
  j["measures"] = measures_json(im.measures);
  ojson segments = ojson::array();
  for (const auto& [key, seg] : im.segments)
    segments.push_back(
        {{"key", key},  // each --by value as JSON text
         {"cases", seg.cases},
         {"cases_changed", seg.changed},
         {"changed",
          {{"status", seg.changed_status},
           {"mmi_date", seg.changed_mmi_date},
           {"coverage_cutoff", seg.changed_cutoff}}},
         {"covered_days", {{"baseline", seg.covered_before}, {"variant", seg.covered_after}}},
         {"measures", measures_json(seg.measures)}});
  j["segments"] = std::move(segments);
  ojson changed = ojson::array();
  for (const ChangedCase& c : im.most_affected) {
    ojson e;
    e["case"] = c.id;
    if (!c.file.empty()) e["file"] = c.file;
    e["line"] = c.line;
    e["baseline"] = decision_json(c.baseline);
    e["variant"] = decision_json(c.variant);
    e["cutoff_shift_days"] = c.shift ? ojson(*c.shift) : ojson(nullptr);
    changed.push_back(std::move(e));
  }
  j["most_affected"] = std::move(changed);
  return j;
}

Impact impact_from(const ojson& j) {
  Impact im;
  im.value = j.at("value").get<std::string>();
  im.cases = j.at("cases").get<std::uint64_t>();
  im.errors = j.at("errors").get<std::uint64_t>();
  im.changed = j.at("cases_changed").get<std::uint64_t>();
  const ojson& ch = j.at("changed");
  im.changed_status = ch.at("status").get<std::uint64_t>();
  im.changed_mmi_date = ch.at("mmi_date").get<std::uint64_t>();
  im.changed_cutoff = ch.at("coverage_cutoff").get<std::uint64_t>();
  im.covered_before = j.at("covered_days").at("baseline").get<std::int64_t>();
  im.covered_after = j.at("covered_days").at("variant").get<std::int64_t>();
  for (const ojson& s : j.at("cutoff_shifts"))
    im.shifts[s.at(0).get<std::int64_t>()] += s.at(1).get<std::uint64_t>();
  for (const ojson& t : j.at("status_changes"))
    im.transitions[{status_named(t.at(0).get<std::string>()),
                    status_named(t.at(1).get<std::string>())}] += t.at(2).get<std::uint64_t>();
  for (const ojson& t : j.at("transitions"))
    im.decision_transitions[{status_named(t.at(0).get<std::string>()), basis_from(t.at(1)),
                             status_named(t.at(2).get<std::string>()), basis_from(t.at(3))}] +=
        t.at(4).get<std::uint64_t>();
  im.measures = measures_from(j.at("measures"));
  for (const ojson& s : j.at("segments")) {
    SegmentTotals seg;
    seg.cases = s.at("cases").get<std::uint64_t>();
    seg.changed = s.at("cases_changed").get<std::uint64_t>();
    seg.changed_status = s.at("changed").at("status").get<std::uint64_t>();
    seg.changed_mmi_date = s.at("changed").at("mmi_date").get<std::uint64_t>();
    seg.changed_cutoff = s.at("changed").at("coverage_cutoff").get<std::uint64_t>();
    seg.covered_before = s.at("covered_days").at("baseline").get<std::int64_t>();
    seg.covered_after = s.at("covered_days").at("variant").get<std::int64_t>();
    seg.measures = measures_from(s.at("measures"));
    im.segments[s.at("key").get<SegmentKey>()].add(seg);
  }
  for (const ojson& e : j.at("most_affected")) {
    ChangedCase c;
    c.id = e.at("case").get<std::string>();
    if (e.contains("file")) c.file = e.at("file").get<std::string>();
    c.line = e.at("line").get<std::uint64_t>();
    c.baseline = decision_from(e.at("baseline"));
    c.variant = decision_from(e.at("variant"));
    if (!e.at("cutoff_shift_days").is_null())
      c.shift = e.at("cutoff_shift_days").get<std::int64_t>();
    im.most_affected.push_back(std::move(c));
  }
  return im;
}

}  // namespace

std::string write_whatif_partial(const WhatifPartial& p) {
  const WhatifSummary& s = p.summary;
  ojson j;
  j["format"] = kWhatifPartialFormat;
  j["engine_version"] = p.engine_version;
  j["baseline"] = {{"policy", s.baseline_name}, {"digest", p.baseline_digest}};
  j["variant"] = {{"policy", s.variant_name}, {"digest", p.variant_digest}, {"against", p.against}};
  j["set"] = s.set;
  j["sweep"] = s.layout.sweep_names;
  ojson grid = ojson::array();
  for (const Assignments& point : s.layout.grid) {
    ojson values = ojson::array();
    for (const auto& [name, value] : point) values.push_back(value);
    grid.push_back(std::move(values));
  }
  j["grid"] = std::move(grid);
  ojson measures = ojson::array();
  for (std::size_t k = 0; k < s.layout.measures.size(); ++k)
    measures.push_back({{"name", s.layout.measures[k]}, {"expr", s.layout.measure_exprs[k]}});
  j["measures"] = std::move(measures);
  j["by"] = s.layout.by;
  j["top"] = p.top;
  j["as_of"] = p.as_of.empty() ? ojson(nullptr) : ojson(p.as_of);
  j["ignore_dates"] = p.ignore_dates;
  j["inputs"] = p.inputs;
  ojson impacts = ojson::array();
  for (const Impact& im : s.impacts) impacts.push_back(impact_json(im));
  j["impacts"] = std::move(impacts);
  return j.dump() + "\n";
}

std::optional<WhatifPartial> read_whatif_partial(std::string_view text, std::string& error) {
  ojson j = ojson::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format")) {
    error = "not a what-if partial (`mmi whatif --format json --partial` writes them)";
    return std::nullopt;
  }
  if (j["format"] != kWhatifPartialFormat) {
    error = "partial format " + j["format"].dump() + " is not " +
            std::string(kWhatifPartialFormat) + ", the one this mmi reads";
    return std::nullopt;
  }
  try {
    WhatifPartial p;
    WhatifSummary& s = p.summary;
    p.engine_version = j.at("engine_version").get<std::string>();
    s.baseline_name = j.at("baseline").at("policy").get<std::string>();
    p.baseline_digest = j.at("baseline").at("digest").get<std::string>();
    s.variant_name = j.at("variant").at("policy").get<std::string>();
    p.variant_digest = j.at("variant").at("digest").get<std::string>();
    p.against = j.at("variant").at("against").get<bool>();
    s.set = j.at("set").get<Assignments>();
    s.layout.sweep_names = j.at("sweep").get<std::vector<std::string>>();
    for (const ojson& values : j.at("grid")) {
      auto v = values.get<std::vector<std::string>>();
      if (v.size() != s.layout.sweep_names.size())
        throw std::invalid_argument("a grid point has the wrong number of values");
      Assignments point;
      for (std::size_t k = 0; k < v.size(); ++k) point.emplace_back(s.layout.sweep_names[k], v[k]);
      s.layout.grid.push_back(std::move(point));
    }
    for (const ojson& m : j.at("measures")) {
      s.layout.measures.push_back(m.at("name").get<std::string>());
      s.layout.measure_exprs.push_back(m.at("expr").get<std::string>());
    }
    s.layout.by = j.at("by").get<std::vector<std::string>>();
    p.top = j.at("top").get<std::size_t>();
    p.as_of = j.at("as_of").is_null() ? std::string() : j.at("as_of").get<std::string>();
    p.ignore_dates = j.at("ignore_dates").get<bool>();
    p.inputs = j.at("inputs").get<std::vector<std::string>>();
    for (const ojson& im : j.at("impacts")) s.impacts.push_back(impact_from(im));
    std::size_t variants = s.layout.sweep() ? s.layout.grid.size() : 1;
    if (s.impacts.size() != variants)
      throw std::invalid_argument("it has " + std::to_string(s.impacts.size()) + " impacts for " +
                                  std::to_string(variants) + " variants");
    for (const Impact& im : s.impacts) {
      if (im.measures.size() != s.layout.measures.size())
        throw std::invalid_argument("an impact has the wrong number of measures");
      for (const auto& [key, seg] : im.segments)
        if (key.size() != s.layout.by.size() || seg.measures.size() != s.layout.measures.size())
          throw std::invalid_argument("a segment does not match --by and the measures");
    }
    return p;
  } catch (const std::exception& e) {
    error = std::string("a damaged what-if partial: ") + e.what();
    return std::nullopt;
  }
}

std::optional<std::string> whatif_partial_mismatch(const WhatifPartial& a, const WhatifPartial& b) {
  const WhatifSummary &x = a.summary, &y = b.summary;
  if (a.engine_version != b.engine_version) return "the mmi version";
  if (x.baseline_name != y.baseline_name || a.baseline_digest != b.baseline_digest)
    return "the baseline policy";
  if (x.variant_name != y.variant_name || a.variant_digest != b.variant_digest ||
      a.against != b.against)
    return "the variant policy";
  if (x.set != y.set) return "the --set values";
  if (x.layout.sweep_names != y.layout.sweep_names || x.layout.grid != y.layout.grid)
    return "the variants (--sweep)";
  if (x.layout.measures != y.layout.measures || x.layout.measure_exprs != y.layout.measure_exprs)
    return "the measures (--measure)";
  if (x.layout.by != y.layout.by) return "the segments (--by)";
  if (a.top != b.top) return "--top";
  if (a.as_of != b.as_of) return "--as-of";
  if (a.ignore_dates != b.ignore_dates) return "--ignore-dates";
  return std::nullopt;
}

}  // namespace mmi::cli
