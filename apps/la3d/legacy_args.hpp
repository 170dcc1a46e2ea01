#pragma once
// LA3D's reference CLI spells options with one dash and several letters (-anm, -odc, -is ...),
// which CLI11 reads as bundles of short flags. They are rewritten to la3d's long options before
// parsing.
#include <string>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d::cli {

// Returns argv (without the program name) with the reference's spellings replaced:
// "-a an" -> the "anonymize" subcommand, "-anm" -> "--method", "-id PATH" -> "--input PATH", ...
Result<std::vector<std::string>> translate_legacy_args(const std::vector<std::string>& args);

}  // namespace la3d::cli
