// Stage 8: an Outcome as the result object of language.md §8 (JSON), and as text for people.
#pragma once

#include <string>
#include <vector>

#include "engine/case.hpp"
#include "engine/evaluator.hpp"

namespace mmi {

// Appends one result object (no trailing newline). `missing` as from Evaluator::missing_facts().
// Most results (every value a date, number, plain text, boolean or missing; no error) are
// written into room made once; the others by append_result_json_general, to the same bytes.
void append_result_json(std::string& out, const Graph& g, const CaseData& c, const Outcome& o,
                        const std::vector<std::string>& missing);
void append_result_json_general(std::string& out, const Graph& g, const CaseData& c,
                                const Outcome& o, const std::vector<std::string>& missing);
// The same for a case that could not be read at all (a bad batch line): status error.
void append_input_error_json(std::string& out, const Graph& g, std::string_view case_id,
                             const CaseError& error, std::size_t line);

// A readable summary of a result for a terminal.
std::string result_text(const Graph& g, const CaseData& c, const Outcome& o,
                        const std::vector<std::string>& missing);
std::string explanation_text(const Explanation& e);
// Explanation as JSON.
void append_explanation_json(std::string& out, const Explanation& e);
// The parameters a decision used (Evaluator::explain_parameters), as text lines and as JSON.
std::string parameters_text(const std::vector<ParameterUse>& uses);
void append_parameters_json(std::string& out, const std::vector<ParameterUse>& uses);

}  // namespace mmi
