// Types, record layouts and the declared facts.
#include "rules/checker_impl.hpp"

namespace mmi::check {

std::uint32_t Checker::intern(TypeDesc t) {
  for (std::uint32_t i = 0; i < p_.types.size(); ++i) {
    const TypeDesc& u = p_.types[i];
    if (u.tag == t.tag && u.list == t.list && u.record == t.record &&
        u.enumeration == t.enumeration)
      return i;
  }
  p_.types.push_back(t);
  return static_cast<std::uint32_t>(p_.types.size() - 1);
}

std::uint32_t Checker::enum_type(const std::vector<std::string>& values) {
  std::int32_t idx = -1;
  for (std::size_t i = 0; i < p_.enums.size(); ++i)
    if (p_.enums[i] == values) idx = static_cast<std::int32_t>(i);
  if (idx < 0) {
    p_.enums.push_back(values);
    idx = static_cast<std::int32_t>(p_.enums.size() - 1);
  }
  return intern({TypeTag::enumeration, false, -1, idx});
}

std::uint32_t Checker::list_of(std::uint32_t id) {
  TypeDesc t = T(id);
  if (t.tag == TypeTag::any) return type_id::any;
  t.list = true;
  return intern(t);
}

std::uint32_t Checker::element_of(std::uint32_t id) {
  TypeDesc t = T(id);
  t.list = false;
  return intern(t);
}

bool Checker::is_textual(std::uint32_t id) const {
  return is(id, TypeTag::text) || is(id, TypeTag::enumeration);
}

// The common type of two operands, or error.
std::uint32_t Checker::unify(std::uint32_t a, std::uint32_t b) {
  if (is_any(a)) return b;
  if (is_any(b)) return a;
  if (a == b) return a;
  if (is_error(a) || is_error(b)) return type_id::error;
  if (is_textual(a) && is_textual(b)) return type_id::text;
  return type_id::error;
}

std::uint32_t Checker::scalar_type(const FactDecl& f) {
  switch (f.type) {
    case ScalarType::boolean:
      return type_id::boolean;
    case ScalarType::number:
      return type_id::number;
    case ScalarType::text:
      return type_id::text;
    case ScalarType::date:
      return type_id::date;
    case ScalarType::duration:
      return type_id::duration;
    case ScalarType::period:
      return type_id::period;
    case ScalarType::enumeration:
      return 0;
  }
  return 0;
}

std::uint32_t Checker::fact_scalar_type(const FactDecl& f) {
  return f.type == ScalarType::enumeration ? enum_type(f.enum_values) : scalar_type(f);
}

std::uint32_t Checker::build_record(const std::vector<FactDecl>& fields, const std::string& path,
                                    std::uint32_t& next_slot, bool top_level,
                                    const std::string& prefix) {
  std::uint32_t index = static_cast<std::uint32_t>(p_.records.size());
  p_.records.emplace_back();
  p_.records[index].path = path;
  std::uint32_t base = next_slot;
  for (const auto& f : fields) {
    std::uint32_t type = 0;
    std::uint32_t offset = next_slot - base;
    std::int32_t fact_index = -1;
    std::string fpath = prefix + f.name;
    if (top_level) {
      fact_index = static_cast<std::int32_t>(p_.facts.size());
      FactInfo info;
      info.path = fpath;
      info.shape = f.shape;
      info.required = f.required;
      info.at = f.at;
      info.from_top = f.at.path == m_.path;
      p_.facts.push_back(info);
      fact_by_path_[fpath] = static_cast<std::uint32_t>(fact_index);
    }
    if (f.shape == FactDecl::Shape::scalar) {
      type = fact_scalar_type(f);
      ++next_slot;
    } else if (f.shape == FactDecl::Shape::record) {
      std::uint32_t sub = build_record(f.fields, fpath, next_slot, top_level, fpath + ".");
      type = intern({TypeTag::record, false, static_cast<std::int32_t>(sub), -1});
    } else {
      std::uint32_t item_slots = 0;
      std::uint32_t sub = build_record(f.fields, fpath + "[]", item_slots, false, "");
      type = intern({TypeTag::record, true, static_cast<std::int32_t>(sub), -1});
      offset = 0;
      if (top_level) {
        p_.facts[static_cast<std::size_t>(fact_index)].list_index =
            static_cast<std::uint32_t>(p_.lists.size());
        p_.lists.push_back({fpath, sub, static_cast<std::uint32_t>(fact_index)});
      }
    }
    if (top_level) {
      FactInfo& info = p_.facts[static_cast<std::size_t>(fact_index)];
      info.type_id = type;
      info.slot = base + offset;
    }
    RecordLayout& r = p_.records[index];
    r.names.push_back(f.name);
    r.type_ids.push_back(type);
    r.offsets.push_back(offset);
    r.facts.push_back(fact_index);
    r.required.push_back(f.required);
    if (f.name == "date" && type == type_id::date)
      r.date_field = static_cast<std::int32_t>(r.names.size() - 1);
  }
  p_.records[index].width = next_slot - base;
  return index;
}

void Checker::build_facts() {
  std::uint32_t slots = 0;
  p_.root_record = build_record(m_.facts, "", slots, true, "");
  p_.slot_count = slots;
  for (std::uint32_t i = 0; i < p_.facts.size(); ++i)
    if (p_.facts[i].path.find('.') == std::string::npos) top_fact_[p_.facts[i].path] = i;
  fact_used_.assign(p_.facts.size(), false);
}

}  // namespace mmi::check
