// Stage 7: evaluates a Graph against one CaseData. An Evaluator holds all per-evaluation state
// (let values, memo slots, list arena), reused across cases so the hot path does not allocate.
// One Evaluator per thread; the Graph is shared.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/case.hpp"
#include "engine/graph.hpp"
#include "engine/value_json.hpp"

namespace mmi {

enum class RuleState : std::uint8_t { not_fired, fired, unknown };
enum class Status : std::uint8_t { reached, not_reached, undetermined, error };

const char* to_string(RuleState s);
const char* to_string(Status s);

struct EvalError {
  Code code = Code::E900;
  std::string message;
  std::string at;
};

// The outcome of one evaluation. Values point into the case, the graph or the evaluator's
// arena: read them before the next evaluate() on the same Evaluator.
struct Outcome {
  Status status = Status::undetermined;
  DayNumber as_of = 0;
  Value mmi_date;
  std::int32_t basis = -1;  // rule index
  Value coverage_cutoff;
  std::vector<Value> outputs;
  std::vector<RuleState> rules;
  std::vector<Value> rule_dates;
  std::optional<EvalError> error;
};

struct EvalOptions {
  std::optional<DayNumber> as_of;  // overrides the case's
};

// One node of an explanation: an expression, its value, and the parts that decided it.
struct Explanation {
  std::string text;
  std::string value;       // as text (2024-09-02, P14D, missing, fired)
  std::string json_value;  // as a typed JSON value (a number, true, "2024-09-02", null)
  std::string at;          // where the expression is written: "file:line" ("" when nowhere)
  std::string cites;       // a rule's citation, on the rule's node
  std::vector<Explanation> parts;
};

// A parameter a decision used: its value on the date it was read (as_of, or `at DATE`), the
// dated entry in force then, and where it is written.
struct ParameterUse {
  std::string name;
  std::string value;          // as text
  std::string json_value;     // typed JSON
  std::string in_force_from;  // "YYYY-MM-DD" of the dated entry in force; "" for a plain value
  std::string read_on;        // the date it was read on: as_of or an `at` date ("" when per item)
  std::string description;
  std::string at;  // "file:line"
};

struct EvalState;  // engine/eval_state.hpp

class Evaluator {
 public:
  explicit Evaluator(std::shared_ptr<const Graph> graph);
  ~Evaluator();
  Evaluator(Evaluator&&) noexcept;

  const Outcome& evaluate(const CaseData& c, const EvalOptions& options = {});
  const Outcome& outcome() const;
  // After evaluate(): the decision's `covered_from` (the first covered day), missing without one.
  Value covered_from();

  // After evaluate(): sorted fact paths whose absence left a rule unknown.
  std::vector<std::string> missing_facts();
  // After evaluate(): why each rule fired, did not, or is unknown.
  Explanation explain_rule(std::uint32_t rule);
  Explanation explain_decision();
  // After evaluate(): the parameters the rules, the cutoff and the outputs read, in policy order
  // (once per date they were read on).
  std::vector<ParameterUse> explain_parameters();

  const Graph& graph() const;

 private:
  std::unique_ptr<EvalState> s_;
};

}  // namespace mmi
