#pragma once
// Temporal stability: a detector that misses a person for one frame must not show them for that
// frame. TrackingDetector wraps any detector, follows its detections from frame to frame and keeps
// showing (as boxes) the people it has lost for up to `hold` frames.
#include <memory>
#include <vector>

#include "la3d/detect/detector.hpp"

namespace la3d {

struct TrackingOptions {
  int hold = 5;  // frames a lost track is still masked
  // Run the detector on every K-th frame and predict in between; 0 = auto_detect_every(fps) of
  // each sequence.
  int detect_every = 1;
  double match_iou = 0.3;  // IoU that ties a detection to a track
  double grow_per_frame =
      0.1;  // a predicted box grows by this fraction of its size per frame unseen
  double max_grow = 0.5;
};

Status validate(const TrackingOptions& options);

// The `--detect-every auto` rule: skip frames only while the gap between two detections stays
// within kAutoDetectGapS seconds, and at most kAutoDetectMax - 1 frames in a row (vtest at 10 fps:
// every 2nd frame; 25-30 fps: every 3rd; images and unknown rates: every frame). Measured in the
// README ("Fast by default").
inline constexpr double kAutoDetectGapS = 0.2;
inline constexpr int kAutoDetectMax = 3;
int auto_detect_every(double fps);

// Intersection over union of two boxes (0 when either is empty).
double iou(const cv::Rect& a, const cv::Rect& b);

class TrackingDetector final : public Detector {
 public:
  TrackingDetector(std::unique_ptr<Detector> inner, TrackingOptions options);
  std::string name() const override;
  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long frame_index) override;
  void reset(double fps) override;
  int detect_every() const override { return every_; }
  bool set_detect_every(int k) override;

 private:
  struct Track {
    Detection last;        // the last detection matched to it
    cv::Point2d velocity;  // box centre motion, pixels per frame
    bool has_velocity = false;
    long long last_seen = 0;  // frame index of `last`
  };
  std::vector<Detection> predict_all(long long index, cv::Size frame) const;
  long long kept_frames() const;
  void update(std::vector<Detection>& detections, long long index);

  std::unique_ptr<Detector> inner_;
  TrackingOptions options_;
  std::vector<Track> tracks_;
  long long last_detection_ = -1;
  int every_ = 1;  // detect_every of this sequence (resolved when auto)  // frame index of the last
                   // detector run; -1 after reset
};

}  // namespace la3d
