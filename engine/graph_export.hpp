// The compiled rule graph for people and tools: Graphviz DOT, or JSON (nodes, edges, order).
#pragma once

#include <string>

#include "engine/graph.hpp"

namespace mmi {

enum class GraphFormat { dot, json };

// The text `mmi graph` prints (ending in a newline).
std::string graph_export(const Graph& graph, GraphFormat format);

}  // namespace mmi
