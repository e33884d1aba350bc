// Values as text: the result JSON's scalars (dates YYYY-MM-DD, durations P14D, …) and the
// plain text explanations show.
#pragma once

#include <string>
#include <string_view>

#include "engine/graph.hpp"

namespace mmi {

// Renders a value as result text/JSON scalars use it: dates YYYY-MM-DD, durations P14D, …
std::string value_to_string(const Value& v, const Graph& g);
// Appends s as a JSON string literal.
void append_json_string(std::string& out, std::string_view s);
// Appends "YYYY-MM-DD" (quoted) for a day number in years 0001-9999.
void append_json_date(std::string& out, DayNumber day);
// Appends the JSON form of a value (null for missing).
void append_json_value(std::string& out, const Value& v, const Graph& g);

}  // namespace mmi
