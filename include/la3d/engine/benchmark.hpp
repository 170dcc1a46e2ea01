#pragma once
// Per-stage cost of the whole chain (decode, detect, anonymize, encode, and VAD) on one input,
// measured in one run with the stages overlapping as they do in `anonymize`.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "la3d/engine/engine.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d {

struct BenchmarkOptions {
  std::string input;     // image (repeated) or video
  long long frames = 0;  // 0: the whole video; an image is measured this many times (0: 50)
};

struct BenchmarkResult {
  long long frames = 0;
  cv::Size size;
  long long detections = 0;  // hidden, summed over the frames
  double wall_ms = 0;        // the whole stream, start to last frame written
  // Per frame: decode, detect, anonymize, encode; then, with VAD, per snippet and per head call.
  std::vector<std::pair<std::string, std::vector<double>>> stages;
  // The frame stages' summed time over the wall-clock time: how much the threads overlap.
  double overlap = 0;
  std::string vad;  // the scorer's name; empty without VAD
  long long snippets = 0;
};

// `vad`: also feed a VAD scorer and time it (null: no VAD stage).
Result<BenchmarkResult> benchmark_engine(
    const BenchmarkOptions& options, const EngineOptions& engine,
    const std::optional<ScorerOptions>& vad,
    const std::function<void(const std::vector<std::string>&)>& weak_settings = {});

}  // namespace la3d
