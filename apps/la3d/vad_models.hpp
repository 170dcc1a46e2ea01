#pragma once
// Heads and encoders as the CLI finds them: a file given by the user, the official file name in
// the cache's vad/ folder, or (for benchmarks and tests only) the reference vectors' formula.
#include <memory>
#include <string>

#include "la3d/vad.hpp"
#include "la3d/vad_encoder.hpp"

namespace la3d::cli {

Result<std::unique_ptr<VadHead>> open_head(const HeadConfig& config, const std::string& weights,
                                           bool formula);
Result<EncoderKind> parse_encoder(const std::string& name, const HeadConfig* head);
Result<std::unique_ptr<VideoEncoder>> open_encoder(EncoderKind kind, const std::string& weights,
                                                   bool formula);

}  // namespace la3d::cli
