// A fast reader for the plain block YAML most policies are written in (generated ones above all):
// yaml-cpp's scanner spends about 1,600 instructions a byte, which made it most of `mmi check`
// of a large policy. It builds the very tree YAML::Load builds — the same node kinds, scalars,
// tags, marks and key order — so every diagnostic downstream stays where it was.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>

namespace mmi {

// The document of `text` if it is written only in the subset this reader knows: printable ASCII
// lines indented with spaces; block mappings whose keys are plain one-line scalars; block
// sequences (`- ` items, compact mappings in them); one-line plain, single- and double-quoted
// scalars without escapes; comments and blank lines. Anything else — flow collections, block
// scalars, multi-line scalars, anchors, tags, documents markers, and every syntax error — gives
// nullopt, and the caller reads the text with YAML::Load, which owns every error message.
std::optional<YAML::Node> load_plain_block_yaml(std::string_view text);

}  // namespace mmi
