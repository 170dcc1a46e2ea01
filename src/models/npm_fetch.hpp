#pragma once
// Fetching npm packages into the cache and checking files: what the model cache and the sample
// data share. npm itself downloads (and checks the registry's integrity hash); la3d only drives it.
#include <filesystem>
#include <string>

#include "la3d/core/result.hpp"

namespace la3d {

std::string shell_quote(const std::string& s);
// Runs a command, capturing its output; an error carries its last line.
Status run_command(const std::string& cmd);
Result<std::string> sha256_of(const std::filesystem::path& p);
// `npm pack SPEC` into CACHE/npm once; the tarball (named `tgz_name` by npm) is kept there.
Result<std::filesystem::path> npm_pack(const std::string& spec, const std::string& tgz_name,
                                       const std::filesystem::path& cache);

}  // namespace la3d
