#pragma once
#include "la3d/vad/vad.hpp"
#include "la3d/vad/vad_weights.hpp"

namespace la3d {

// The state-dict schema of a head configuration.
ModelSchema head_schema(const HeadConfig& config);

// (N, crops, D[+1]) features checked against the configuration: the first config.crops() crops
// (all when there are fewer), the D features and the L2 magnitude (computed when absent, in
// float64 as LA3D does). Rejects other feature sizes, naming the encoder they fit.
struct SnippetFeatures {
  int64_t snippets = 0, crops = 0, dim = 0;
  std::vector<float> values;     // (crops, N, D): the layout both heads take
  std::vector<float> magnitude;  // (crops, N)
};
Result<SnippetFeatures> prepare_features(const NpyArray& features, const HeadConfig& config);

}  // namespace la3d
