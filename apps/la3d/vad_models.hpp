#pragma once
// Heads and encoders as the CLI finds them: a file given by the user, the official file name in
// the cache's vad/ folder, or (for benchmarks and tests only) the reference vectors' formula.
#include <memory>
#include <string>

#include "la3d/vad.hpp"
#include "la3d/vad_encoder.hpp"
#include "la3d/vad_pipeline.hpp"

namespace la3d::cli {

Result<std::unique_ptr<VadHead>> open_head(const HeadConfig& config, const std::string& weights,
                                           bool formula);
Result<EncoderKind> parse_encoder(const std::string& name, const HeadConfig* head);
Result<std::unique_ptr<VideoEncoder>> open_encoder(EncoderKind kind, const std::string& weights,
                                                   bool formula);

// What a VAD run scores with: the motion head, or an encoder and a learned head.
struct ScorerChoice {
  std::string head = "motion", dataset = "xd", encoder = "auto";
  std::string weights, encoder_weights;
  bool formula_weights = false;
  double threshold = 0.5;
};
Result<std::unique_ptr<SnippetScorer>> make_scorer(const ScorerChoice& c);

}  // namespace la3d::cli
