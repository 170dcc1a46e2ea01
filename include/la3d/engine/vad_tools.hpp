#pragma once
// The research tools on arrays, as library calls: score saved features with a head, extract I3D
// features from a (possibly anonymized) video, and evaluate scores against frame labels.
#include <functional>
#include <string>
#include <vector>

#include "la3d/engine/engine.hpp"
#include "la3d/vad/npy.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d {

// The N snippet scores of a head ("pel"/"mgfn", dataset "ucf"/"xd", weights from `scorer`) on an
// (N, crops, D) or (N, crops, D+1) feature array, smoothed as `smooth` says (none, fixed:K,
// slide:K).
Result<std::vector<float>> score_features(const NpyArray& features, const std::string& head,
                                          const std::string& dataset, const ScorerOptions& scorer,
                                          const std::string& smooth = "none");

// The video through the engine (no-an for raw features), then the encoder on every snippet:
// (N, crops, D+1) with each feature's L2 magnitude last, as the literature stores them.
Result<NpyArray> extract_features(
    const std::string& input, const EngineOptions& engine, EncoderKind encoder,
    const ScorerOptions& weights, int crops,
    const std::function<void(long long done, long long total)>& progress = {},
    const std::function<void(const std::vector<std::string>&)>& weak_settings = {});

struct ScoreEvaluation {
  size_t frames = 0;
  double roc_auc = 0, ap = 0;
};
// Frame-level ROC-AUC and AP. Snippet scores against frame labels (16 labels per score) are
// repeated over their 16 frames first, as the literature does.
Result<ScoreEvaluation> evaluate_scores(const std::vector<float>& scores,
                                        const std::vector<float>& labels);

}  // namespace la3d
