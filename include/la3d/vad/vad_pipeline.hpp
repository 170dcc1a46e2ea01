#pragma once
// The VAD stage of the streaming graph: anonymized frames in, 16-frame snippets, one score per
// snippet out. Two kinds: the learned heads on I3D features (LA3D's AN->VAD path) and the
// training-free motion head.
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "la3d/vad/motion_head.hpp"
#include "la3d/vad/npy.hpp"
#include "la3d/vad/vad.hpp"
#include "la3d/vad/vad_encoder.hpp"

namespace la3d {

struct VadTimes {
  std::vector<double> prepare_ms;  // per snippet: RGB, Lanczos resize, crops
  std::vector<double> encode_ms;   // per snippet: the encoder on all its crops
  std::vector<double> head_ms;     // per scoring call
};

class SnippetScorer {
 public:
  // Encoder features -> PEL4VAD or MGFN (the encoder must give the head's feature size).
  static Result<std::unique_ptr<SnippetScorer>> learned(std::unique_ptr<VideoEncoder> encoder,
                                                        std::unique_ptr<VadHead> head);
  static std::unique_ptr<SnippetScorer> motion(MotionHeadOptions options = {});
  ~SnippetScorer();

  std::string name() const;
  // Adds one anonymized BGR frame; every 16th completes a snippet (encoded at once).
  Status add_frame(const cv::Mat& bgr);
  long long snippets() const;
  // All snippet scores so far, the whole sequence at once (LA3D's offline scoring).
  Result<std::vector<float>> score_all();
  // The latest snippet's score from the last `window` snippets only (streaming). PEL4VAD-UCF
  // normalises over the sequence and both heads attend over all of it, so this differs from
  // score_all; the motion head gives the same either way.
  Result<float> score_latest(int window);
  // The (N, crops, D+1) features with their L2 magnitude (learned heads only).
  const NpyArray& features() const;
  const VadTimes& times() const;

 private:
  SnippetScorer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Only the features: for `la3d features` (no head needed).
class FeatureExtractor {
 public:
  FeatureExtractor(std::unique_ptr<VideoEncoder> encoder, int crops);
  Status add_frame(const cv::Mat& bgr);
  const NpyArray& features() const { return features_; }
  const VadTimes& times() const { return times_; }

 private:
  std::unique_ptr<VideoEncoder> encoder_;
  int crops_;
  std::vector<cv::Mat> pending_;
  double pending_ms_ = 0;
  NpyArray features_;
  VadTimes times_;
};

}  // namespace la3d
