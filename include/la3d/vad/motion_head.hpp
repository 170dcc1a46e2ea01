#pragma once
// The training-free VAD head (`--head motion`): no checkpoint, so the main job runs on a fresh
// machine. It is NOT PEL4VAD or MGFN and never claims to be. Per 16-frame snippet it measures
// crowd motion with dense optical flow (Farneback on a 160-px grey copy): mean and 95th-percentile
// speed, the share of moving pixels, and how scattered the directions are. A model of normal motion
// is learned online from the stream itself (running mean and deviation of each statistic over the
// snippets judged normal); a snippet's score is sigmoid(z - 3), z being its largest upward
// deviation in standard deviations, so 0.5 means "3 sigma above normal".
#include <array>
#include <opencv2/core.hpp>
#include <vector>

namespace la3d {

struct MotionHeadOptions {
  int warmup_snippets = 4;        // snippets that only teach the model (score 0)
  double threshold = 0.5;         // snippets scoring at or above it do not update the model
  double adapt = 0.05;            // weight of a new normal snippet once warm (exponential memory)
  double min_std_fraction = 0.1;  // deviation floor, as a fraction of the mean (steady scenes)
};

class MotionAnomalyHead {
 public:
  static constexpr int kStats = 4;
  using Stats = std::array<double, kStats>;

  explicit MotionAnomalyHead(MotionHeadOptions options = {});
  // Adds the next BGR frame of the current snippet: the flow from the previous one is measured
  // now, so a stream keeps only one small grey frame, never the snippet.
  void add_frame(const cv::Mat& frame);
  // Ends the snippet (at least 2 frames give a motion measure): its score; the normal model learns
  // from it when it looks normal.
  float end_snippet();
  // add_frame for each of `frames`, then end_snippet.
  float score_snippet(const std::vector<cv::Mat>& frames);
  bool warm() const { return seen_ >= options_.warmup_snippets; }

 private:
  MotionHeadOptions options_;
  int seen_ = 0;
  Stats mean_{}, var_{};
  cv::Mat prev_;  // the previous frame of this snippet, grey, 160 px wide
  Stats sum_{};   // this snippet's statistics, summed over its frame pairs
  int pairs_ = 0;
};

}  // namespace la3d
