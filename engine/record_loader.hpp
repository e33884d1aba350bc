// Batch stage 3: one record of a case stream (a JSON line or a YAML document) into a CaseData,
// with errors naming the input line. Shared by batch and whatif.
#pragma once

#include <optional>

#include "engine/case.hpp"
#include "engine/case_stream.hpp"

namespace mmi {

// Loads `record` with `loader` (JSON through its simdjson parser, YAML document by document),
// applies an `as_of` override and checks required facts. False when out.error is set; then
// `error_line` is the input line the error is on (the record's first line, or the line of a YAML
// syntax error).
bool load_record(CaseLoader& loader, CaseFormat format, const CaseChunk& chunk,
                 const CaseRecord& record, const std::optional<DayNumber>& as_of, CaseData& out,
                 std::uint64_t& error_line);

}  // namespace mmi
