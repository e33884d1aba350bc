#include <cstdio>

#include "cli/common.hpp"
#include "engine/graph_export.hpp"

namespace mmi::cli {

int run_graph(const GraphArgs& args) {
  Format format = args.format == "json"  ? Format::json
                  : args.format == "dot" ? Format::dot
                  : stdout_is_terminal() ? Format::dot
                                         : Format::json;
  if (!readable_file(args.policy, "policy")) return 2;
  int code = 1;
  auto graph = compile_or_report(args.policy, {}, code);
  if (!graph) return code;
  std::fputs(
      graph_export(*graph, format == Format::dot ? GraphFormat::dot : GraphFormat::json).c_str(),
      stdout);
  return 0;
}

}  // namespace mmi::cli
