// `mmi graph`: the compiled rule graph as DOT (the default) or JSON; the rendering is the engine's
// (engine/graph_export.hpp), shared with `mmi serve`.
#include "cli/common.hpp"
#include "engine/graph_export.hpp"

namespace mmi::cli {

int run_graph(const GraphArgs& args) {
  if (!readable_file(args.policy, "policy")) return 2;
  int code = 1;
  auto graph = compile_or_report(args.policy, {}, code);
  if (!graph) return code;
  GraphFormat format = args.format == "json" ? GraphFormat::json : GraphFormat::dot;
  return print(graph_export(*graph, format)) ? 0 : 2;
}

}  // namespace mmi::cli
