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
  std::string value;
  std::vector<Explanation> parts;
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

  const Graph& graph() const;

 private:
  std::unique_ptr<EvalState> s_;
};

}  // namespace mmi
