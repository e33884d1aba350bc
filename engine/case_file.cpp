#include "engine/case_file.hpp"

#include "rules/yaml_util.hpp"

namespace mmi {

std::optional<CaseFileError> load_case_file(Session& session, const std::string& path,
                                            const SourceLocation& referenced_from) {
  DiagnosticList diags;
  auto text = read_text_file(path, diags, referenced_from);
  if (!text) {
    const Diagnostic& d = diags.items().front();
    return CaseFileError{Code::E001, d.message, d.at.to_string()};
  }
  CaseData& c = session.case_data();
  bool json = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  if (json) {
    session.loader().load_json(*text, c);
    return std::nullopt;
  }
  YamlContext ctx(std::make_shared<const SourceFile>(path, std::move(*text)), diags);
  auto root = ctx.parse_case();
  if (!root) {
    const Diagnostic& d = diags.items().front();
    return CaseFileError{Code::E403, d.message, d.at.to_string()};
  }
  session.loader().load_yaml(*root, c);
  return std::nullopt;
}

}  // namespace mmi
