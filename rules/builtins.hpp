// The language's built-in functions, declared once. Each entry names the function, gives its
// signature and one line of documentation, says how its arguments are read, and points at its
// typing rule. The checker types calls through this table, the graph compiler and the evaluator
// find the implementation by the same id (engine/builtins.cpp), and docs/language.md's table of
// built-ins is checked against it by a test.
//
// Adding a built-in: one enumerator here, one entry in kBuiltins (rules/builtins.cpp) with its
// typing rule, one implementation function in engine/builtins.cpp, and its tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rules/checked_policy.hpp"

namespace mmi {

enum class Builtin : std::uint8_t {
  count,
  any,
  none,
  sum,
  avg,
  median,
  min,
  max,
  first,
  last,
  first_by,
  last_by,
  earliest,
  latest,
  days_between,
  weeks_between,
  year,
  month,
  round,
  floor,
  ceil,
  abs,
  change,
  trend,
  covered_days,
  exhausted_on,
  covers,
  combined_rating,
};
constexpr std::size_t kBuiltinCount = static_cast<std::size_t>(Builtin::combined_rating) + 1;

// How a call's arguments are read beyond "each is an expression".
enum class ArgumentShape : std::uint8_t {
  values,          // every argument is an expression
  list_and_field,  // f(L, name): the second argument names a field of L's items
  intervals,       // the first argument is a list of records with date fields `from` and `to`
};

// What a typing rule sees of a call: its arguments' types (already checked) and a way to report.
// Implemented by the checker (rules/check_expressions.cpp).
class CallTyping {
 public:
  virtual ~CallTyping() = default;
  virtual std::string_view function() const = 0;
  virtual std::size_t arg_count() const = 0;
  // The name written as argument i (list_and_field calls: the field's name).
  virtual std::string arg_name(std::size_t i) const = 0;
  // The type of argument i. For list_and_field calls, argument 1 is the named field's type.
  virtual std::uint32_t arg(std::size_t i) const = 0;
  virtual const TypeDesc& desc(std::uint32_t type) const = 0;
  virtual std::string type_name(std::uint32_t type) const = 0;
  virtual std::uint32_t list_of(std::uint32_t type) = 0;
  virtual std::uint32_t element_of(std::uint32_t list_type) = 0;
  // The common type of a and b, or type_id::error.
  virtual std::uint32_t unify(std::uint32_t a, std::uint32_t b) = 0;
  // The type of field `name` of the items of list argument i, if they are records that have it.
  virtual std::optional<std::uint32_t> item_field(std::size_t i, std::string_view name) const = 0;
  // Reports E204 at argument i (or at the call when i is npos); returns type_id::error.
  virtual std::uint32_t fail(std::size_t i, std::string message) = 0;

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // Conveniences for typing rules.
  bool any(std::uint32_t t) const { return desc(t).tag == TypeTag::any; }
  bool is(std::uint32_t t, TypeTag tag) const { return desc(t).tag == tag || any(t); }
  bool scalar_of(std::uint32_t t, TypeTag tag) const { return !desc(t).list && is(t, tag); }
  bool list_of_tag(std::uint32_t t, TypeTag tag) const {
    return any(t) || (desc(t).list && desc(t).tag == tag);
  }
  bool list(std::uint32_t t) const { return desc(t).list || any(t); }
  // False (after reporting) unless the call has exactly n arguments.
  bool arity(std::size_t n);
  // False (after reporting "`f` needs WHAT, not TYPE") unless ok.
  bool want(std::size_t i, bool ok, std::string_view what);
};

struct BuiltinSpec {
  Builtin id;
  std::string_view name;
  std::string_view signature;  // e.g. "median(L)"
  std::string_view summary;    // one line for docs, hover and completion
  ArgumentShape shape;
  bool reads_item_date;  // list_and_field built-ins that also read the items' `date` (trend)
  // Returns the call's result type, or type_id::error after reporting through `call`.
  std::uint32_t (*type)(CallTyping& call);
};

std::span<const BuiltinSpec> builtin_table();
const BuiltinSpec& builtin_spec(Builtin id);
const BuiltinSpec* find_builtin(std::string_view name);

}  // namespace mmi
