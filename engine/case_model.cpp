// The standard case model's benefit periods (docs/cases.md): a case's `periods` when it has any,
// otherwise the one `ttd` period its v1 facts describe. Read at evaluation time, so --as-of and
// --fact overrides are already applied:
//   disability_start D and temporary_days_paid N: D … D + N − 1 (no period when N = 0);
//   D only: from D, open-ended;  N only: as_of − N … as_of − 1;  neither: missing.
#include "engine/eval_state.hpp"

namespace mmi {

Value EvalState::benefit_periods(const Node& n) {
  const CaseList& given = c->lists[n.index];
  if (!given.items.empty())
    return Value::list(given.items.data(), static_cast<std::uint32_t>(given.items.size()));
  const Graph::PeriodModel& m = g.periods;
  Value start = m.disability_start == kNone ? Value() : c->slots[m.disability_start];
  Value paid = m.days_paid == kNone ? Value() : c->slots[m.days_paid];
  bool has_start = start.kind == Kind::date, has_paid = paid.kind == Kind::number;
  if (!has_start && !has_paid) return Value::missing();

  std::int64_t from = 0, to = 0;
  bool open = false;
  if (has_paid) {
    // A fractional or negative count of days paid cannot be laid out as days.
    auto days = paid.as_number().to_int64_floor();
    if (!days || *days < 0 || *days > 4'000'000) return Value::missing();
    if (*days == 0) return Value::list(nullptr, 0);
    from = has_start ? start.i : as_of - *days;
    to = from + *days - 1;
  } else {
    from = start.i;
    open = true;
  }
  const RecordLayout& layout = g.policy.records[m.layout];
  Value* fields = arena.alloc(layout.width + 1);
  for (std::uint32_t k = 0; k < layout.width; ++k) fields[k] = Value::missing();
  fields[m.kind] = m.ttd;
  fields[m.from] = Value::date(from);
  if (!open) fields[m.to] = Value::date(to);
  Value* item = fields + layout.width;
  *item = Value::record(fields, m.layout, -1);
  return Value::list(item, 1);
}

}  // namespace mmi
