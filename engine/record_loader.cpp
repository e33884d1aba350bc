#include "engine/record_loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "rules/yaml_util.hpp"

namespace mmi {

bool load_record(CaseLoader& loader, CaseFormat format, const CaseChunk& chunk,
                 const CaseRecord& record, const std::optional<DayNumber>& as_of, CaseData& out,
                 std::uint64_t& error_line) {
  error_line = record.line;
  if (record.problem) {
    out.id.clear();
    out.error = CaseError{Code::E403, record.problem, ""};
    return false;
  }
  std::string_view text = chunk.record_text(record);
  bool ok;
  if (format == CaseFormat::json_lines) {
    // The stream leaves at least kJsonPadding bytes after every line (the next lines, or spaces).
    ok = loader.load_json(text, out, true);
  } else {
    YamlProblem problem;
    auto node = parse_case_yaml(std::string(text), problem);
    if (!node) {
      out.id.clear();
      out.error = CaseError{Code::E403,
                            problem.budget ? problem.message
                                           : fmt::format("invalid YAML: {} (column {})",
                                                         problem.message, problem.mark.column + 1),
                            ""};
      if (problem.mark.line >= 0)
        error_line = record.line + static_cast<std::uint64_t>(problem.mark.line);
      return false;
    }
    ok = loader.load_yaml(*node, out, record.line);
  }
  if (!ok) return false;
  if (as_of) {
    out.as_of = *as_of;
    out.has_as_of = true;
  }
  return loader.finish(out);
}

}  // namespace mmi
