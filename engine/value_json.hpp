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
// Appends "YYYY-MM-DD" (quoted) for a day number (years 0001-9999; others as format_date).
void append_json_date(std::string& out, DayNumber day);
// Writes the 12 bytes of "YYYY-MM-DD" (quoted) for a day number with day_in_range(day).
void write_json_date(char* buf, DayNumber day);
// Numbers whose coefficient fits 64 bits and whose exponent is within ±20 — every number a case
// or a policy holds in practice — are written by write_json_number, in at most
// kMaxJsonNumberBytes bytes, as append_json_value writes them.
constexpr std::size_t kMaxJsonNumberBytes = 48;
bool simple_json_number(const Value& v);
std::size_t write_json_number(char* buf, const Value& v);  // 0 when not simple
// Appends the JSON form of a value (null for missing).
void append_json_value(std::string& out, const Value& v, const Graph& g);

}  // namespace mmi
