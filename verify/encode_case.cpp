// The symbolic case: every fact present or missing, lists as bounded arrays with a length, the
// loader's domain rules, benefit periods. Part of the encoder (encoder.hpp); each case names the
// evaluator code it mirrors: keep them in step.
#include <fmt/format.h>

#include "rules/builtins.hpp"
#include "verify/encoder.hpp"
#include "verify/encoder_util.hpp"

namespace mmi::verify {

Sym Encoder::scalar_var(const std::string& name, std::uint32_t type_id, bool required,
                        z3::expr_vector& domain) {
  const TypeDesc& t = p_.types[type_id];
  Sym s(c_);
  s.tag = t.tag;
  s.present = required ? c_.bool_val(true) : c_.bool_const((name + "?").c_str());
  switch (t.tag) {
    case TypeTag::boolean:
      s.v = c_.bool_const(name.c_str());
      break;
    case TypeTag::number:
      s.v = c_.real_const(name.c_str());
      break;
    case TypeTag::text:
      s.v = c_.string_const(name.c_str());
      break;
    case TypeTag::enumeration: {
      s.v = c_.string_const(name.c_str());
      std::vector<z3::expr> one_of;
      for (const auto& value : p_.enums[static_cast<std::size_t>(t.enumeration)])
        one_of.push_back(s.v == c_.string_val(value));
      domain.push_back(any_of(c_, one_of));
      break;
    }
    case TypeTag::date:
      s.v = c_.int_const(name.c_str());
      domain.push_back(s.v >= c_.int_val(b_.first_day) && s.v <= c_.int_val(b_.last_day));
      break;
    case TypeTag::duration:
    case TypeTag::period:
      s.v = c_.int_const(name.c_str());
      // The case loader reads whole days/months; keep them to the span of the date range.
      domain.push_back(s.v >= c_.int_val(-(b_.last_day - b_.first_day)) &&
                       s.v <= c_.int_val(b_.last_day - b_.first_day));
      break;
    default:
      throw Unsupported("a fact of type " + p_.type_name(type_id));
  }
  return s;
}

Sym Encoder::record_var(const std::string& prefix, std::uint32_t record, z3::expr_vector& domain) {
  const RecordLayout& r = p_.records[record];
  Sym s(c_);
  s.tag = TypeTag::record;
  s.record = static_cast<std::int32_t>(record);
  s.present = c_.bool_val(true);
  for (std::size_t f = 0; f < r.names.size(); ++f) {
    const TypeDesc& t = p_.types[r.type_ids[f]];
    if (t.tag == TypeTag::record && !t.list)
      s.fields.push_back(
          record_var(prefix + r.names[f] + ".", static_cast<std::uint32_t>(t.record), domain));
    else if (t.list)
      throw Unsupported("a list inside a record");
    else
      s.fields.push_back(scalar_var(prefix + r.names[f], r.type_ids[f], r.required[f], domain));
  }
  // case_loader.cpp check_range(): a record's `to` date is never before its `from` date.
  int from = -1, to = -1;
  for (std::size_t f = 0; f < r.names.size(); ++f) {
    if (s.fields[f].tag != TypeTag::date || s.fields[f].list) continue;
    if (r.names[f] == "from") from = static_cast<int>(f);
    if (r.names[f] == "to") to = static_cast<int>(f);
  }
  if (from >= 0 && to >= 0) {
    const Sym& a = s.fields[static_cast<std::size_t>(from)];
    const Sym& b = s.fields[static_cast<std::size_t>(to)];
    domain.push_back(z3::implies(a.present && b.present, b.v >= a.v));
  }
  return s;
}

SymCase Encoder::make_case() {
  SymCase sc(c_);
  sc.as_of = c_.int_const("as_of");
  sc.domain.push_back(sc.as_of >= c_.int_val(b_.first_day) && sc.as_of <= c_.int_val(b_.last_day));
  for (const FactInfo& f : p_.facts) {
    const TypeDesc& t = p_.types[f.type_id];
    if (f.shape == FactDecl::Shape::scalar) {
      sc.facts.push_back(scalar_var(f.path, f.type_id, f.required, sc.domain));
    } else if (f.shape == FactDecl::Shape::record) {
      sc.facts.push_back(record_var(f.path + ".", static_cast<std::uint32_t>(t.record), sc.domain));
    } else {
      const ListInfo& li = p_.lists[f.list_index];
      Sym l(c_);
      l.tag = TypeTag::record;
      l.list = true;
      l.record = static_cast<std::int32_t>(li.item_record);
      l.present = c_.bool_val(true);  // an absent list fact is an empty list
      l.len = c_.int_const((f.path + "#").c_str());
      sc.domain.push_back(l.len >= 0 && l.len <= b_.max_items);
      for (int k = 0; k < b_.max_items; ++k)
        l.items.push_back(record_var(fmt::format("{}[{}].", f.path, k), li.item_record, sc.domain));
      // Items are sorted by `date` on load (stable; undated items last).
      const RecordLayout& r = p_.records[li.item_record];
      if (r.date_field >= 0) {
        auto df = static_cast<std::size_t>(r.date_field);
        for (int k = 0; k + 1 < b_.max_items; ++k) {
          const Sym& a = l.items[k].fields[df];
          const Sym& b = l.items[k + 1].fields[df];
          sc.domain.push_back(
              z3::implies(l.len > k + 1, (!a.present && !b.present) || (a.present && !b.present) ||
                                             (a.present && b.present && a.v <= b.v)));
        }
      }
      sc.facts.push_back(l);
    }
  }
  return sc;
}

Sym Encoder::date_checked(const z3::expr& day) {
  // evaluator.cpp checked_date: years 0001-9999.
  Sym s = of(TypeTag::date, day);
  s.err =
      day < c_.int_val(days_from_civil(1, 1, 1)) || day > c_.int_val(days_from_civil(9999, 12, 31));
  return s;
}

// case_model.cpp: a case's periods, or the one ttd period its v1 facts describe.
Sym Encoder::benefit_periods(const FactInfo& f, const Sym& given) {
  const ListInfo& li = p_.lists[f.list_index];
  const RecordLayout& r = p_.records[li.item_record];
  auto index = [&](std::string_view name) -> int {
    for (std::size_t k = 0; k < r.names.size(); ++k)
      if (r.names[k] == name) return static_cast<int>(k);
    return -1;
  };
  int kind = index("kind"), from = index("from"), to = index("to");
  if (kind < 0 || from < 0 || to < 0) return given;
  const auto& kinds = p_.enums[static_cast<std::size_t>(p_.types[r.type_ids[kind]].enumeration)];
  if (std::find(kinds.begin(), kinds.end(), "ttd") == kinds.end()) return given;
  const Sym* start = nullptr;
  const Sym* paid = nullptr;
  for (std::size_t k = 0; k < p_.facts.size(); ++k) {
    const FactInfo& fi = p_.facts[k];
    if (fi.shape != FactDecl::Shape::scalar) continue;
    if (fi.path == "benefits.disability_start" && p_.types[fi.type_id].tag == TypeTag::date)
      start = &sc_->facts[k];
    if (fi.path == "benefits.temporary_days_paid" && p_.types[fi.type_id].tag == TypeTag::number)
      paid = &sc_->facts[k];
  }
  z3::expr has_start = start ? start->present : c_.bool_val(false);
  z3::expr has_paid = paid ? paid->present : c_.bool_val(false);
  z3::expr days = paid ? floor_int(paid->v) : c_.int_val(0);
  z3::expr start_day = start ? start->v : c_.int_val(0);
  Sym item(c_);
  item.tag = TypeTag::record;
  item.record = static_cast<std::int32_t>(li.item_record);
  item.present = c_.bool_val(true);
  for (std::size_t k = 0; k < r.names.size(); ++k) {
    Sym field = missing();
    field.tag = p_.types[r.type_ids[k]].tag;
    item.fields.push_back(field);
  }
  item.fields[kind] = of(TypeTag::enumeration, c_.string_val("ttd"));
  z3::expr first = z3::ite(has_paid, z3::ite(has_start, start_day, sc_->as_of - days), start_day);
  item.fields[from] = of(TypeTag::date, first);
  item.fields[to] = of(TypeTag::date, first + days - 1);
  item.fields[to].present = has_paid;
  z3::expr bad_paid = has_paid && (days < 0 || days > 4000000);
  Sym derived(c_);
  derived.tag = TypeTag::record;
  derived.list = true;
  derived.record = item.record;
  derived.present = (has_start || has_paid) && !bad_paid;
  derived.len = z3::ite(has_paid && days == 0, c_.int_val(0), c_.int_val(1));
  for (int k = 0; k < b_.max_items; ++k) derived.items.push_back(item);
  return merge(given.len > 0, given, derived);
}

}  // namespace mmi::verify
