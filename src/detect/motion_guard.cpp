// Detectors miss small, distant or occluded people (vtest.avi frame 75: a figure behind the
// staircase, ~12x30 px). On a fixed camera such a person still moves, and a background model sees
// that cheaply. Whatever moves outside every detection is hidden as well.
#include <deque>
#include <future>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detector.hpp"

namespace la3d {
namespace {

// Overlapping boxes replaced by their common bounding box, until none overlap: one region per
// moving thing rather than one per frame of the hold.
std::vector<cv::Rect> merge_overlapping(std::vector<cv::Rect> boxes) {
  for (bool merged = true; merged;) {
    merged = false;
    for (size_t i = 0; i < boxes.size() && !merged; ++i)
      for (size_t j = i + 1; j < boxes.size(); ++j)
        if ((boxes[i] & boxes[j]).area() > 0) {
          boxes[i] |= boxes[j];
          boxes.erase(boxes.begin() + long(j));
          merged = true;
          break;
        }
  }
  return boxes;
}

class MotionGuard final : public Detector {
 public:
  MotionGuard(std::unique_ptr<Detector> inner, MotionGuardOptions o)
      : inner_(std::move(inner)), o_(o) {}
  std::string name() const override { return inner_->name() + "+motion-guard"; }
  int detect_every() const override { return inner_->detect_every(); }
  bool set_detect_every(int k) override { return inner_->set_detect_every(k); }
  void reset(double fps) override {
    inner_->reset(fps);
    model_.release();
    recent_.clear();
  }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long index) override {
    // The background model does not depend on the detections: it is updated on its own thread
    // while the detector runs (its cost hides behind the detector's on frames it runs on).
    const double scale = std::min(1.0, double(o_.work_width) / frame.cols);
    auto moving_future = std::async(std::launch::async, [&] { return foreground(frame, scale); });
    auto found = inner_->detect(frame, index);
    cv::Mat1b moving = moving_future.get();
    if (!found) return found;
    const cv::Size small_size = moving.size();
    const cv::Rect small_rect({0, 0}, small_size);
    for (const Detection& d : found.value()) {
      const cv::Rect b(
          cv::Point(int(d.box.x * scale), int(d.box.y * scale)),
          cv::Point(int(std::ceil(d.box.br().x * scale)), int(std::ceil(d.box.br().y * scale))));
      moving(b & small_rect).setTo(0);
    }
    return regions(std::move(found.value()), moving, scale, frame.size());
  }

 private:
  // What moves in `frame` (at `scale`), as the background model sees it, cleaned up.
  cv::Mat1b foreground(const cv::Mat& frame, double scale) {
    cv::Mat small;
    if (scale < 1)
      cv::resize(frame, small, {}, scale, scale, cv::INTER_AREA);
    else
      small = frame;
    if (!model_ || small.size() != model_size_) {
      recent_.clear();
      frames_seen_ = 0;
      model_ = cv::createBackgroundSubtractorMOG2(o_.history, o_.var_threshold, true);
      model_size_ = small.size();
    }
    cv::Mat fg;
    // MOG2's own schedule learns fast at first (rate 1/(2n)), and a new colour then joins the
    // background at once: a target moving from frame 1 on went unseen for 5 frames in the tests.
    // The first frame sets the model; after it the steady rate applies, so anything that differs
    // from what was seen is foreground from frame 1 (a person standing in frame 0 leaves a ghost
    // region for a few seconds: hidden background, never a shown person).
    model_->apply(small, fg, frames_seen_ == 0 ? 1.0 : 1.0 / o_.history);
    ++frames_seen_;
    cv::Mat1b moving = fg == 255;  // 127 marks shadows
    // Closing joins the fragments of one body (legs, torso); single noisy pixels stay small and
    // fall under the area limit. (An opening was tried: it cut a distant person down to their
    // legs.)
    cv::morphologyEx(moving, moving, cv::MORPH_CLOSE, close_kernel_);
    return moving;
  }

  // The moving regions no detection covers, held for `hold` frames, added to `found`.
  std::vector<Detection> regions(std::vector<Detection> found, const cv::Mat1b& moving,
                                 double scale, cv::Size frame_size) {
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(moving, labels, stats, centroids, 8, CV_32S);
    const double min_px = std::max(4.0, o_.min_area * moving.total());
    const cv::Rect frame_rect({0, 0}, frame_size);
    std::vector<cv::Rect> regions;
    for (int i = 1; i < n; ++i) {
      if (stats.at<int>(i, cv::CC_STAT_AREA) < min_px) continue;
      const cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
      const double m = o_.margin * r.height;
      const cv::Rect big(cv::Point(int((r.x - m) / scale), int((r.y - m) / scale)),
                         cv::Point(int(std::ceil((r.br().x + m) / scale)),
                                   int(std::ceil((r.br().y + m) / scale))));
      const cv::Rect box = big & frame_rect;
      if (!box.empty()) regions.push_back(box);
    }
    // A region seen in one frame and lost in the next (a body part crossing the noise threshold)
    // stays hidden for `hold` frames, as tracked detections do.
    recent_.push_back(regions);
    while (int(recent_.size()) > o_.hold + 1) recent_.pop_front();
    std::vector<cv::Rect> held;
    for (const auto& frame_regions : recent_)
      held.insert(held.end(), frame_regions.begin(), frame_regions.end());
    for (const cv::Rect& box : merge_overlapping(std::move(held)))
      found.push_back({"motion", kMotionClassId, 1.f, box, {}});
    return found;
  }

  std::unique_ptr<Detector> inner_;
  MotionGuardOptions o_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> model_;
  const cv::Mat close_kernel_ = cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 9});
  cv::Size model_size_;
  long long frames_seen_ = 0;
  std::deque<std::vector<cv::Rect>> recent_;
};

}  // namespace

Status validate(const MotionGuardOptions& o) {
  if (o.work_width < 16) return make_error("motion guard width must be at least 16");
  if (!(o.min_area >= 0 && o.min_area < 1)) return make_error("motion min area must be in [0, 1)");
  if (!(o.var_threshold > 0)) return make_error("motion threshold must be positive");
  if (o.history < 1) return make_error("motion history must be at least 1 frame");
  if (o.hold < 0) return make_error("motion hold must not be negative");
  if (!(o.margin >= 0 && o.margin <= 2)) return make_error("motion margin must be in [0, 2]");
  return Ok{};
}

std::unique_ptr<Detector> make_motion_guard(std::unique_ptr<Detector> inner,
                                            MotionGuardOptions options) {
  return std::make_unique<MotionGuard>(std::move(inner), options);
}

}  // namespace la3d
