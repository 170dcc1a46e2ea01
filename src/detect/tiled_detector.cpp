// Small people reach a fixed-input network as a few pixels. Running the detector also on
// overlapping tiles enlarges them by about the tile count per side; detections are merged by NMS.
#include <cmath>

#include "la3d/detect/detector.hpp"

namespace la3d {
namespace {

class TiledDetector final : public Detector {
 public:
  TiledDetector(std::unique_ptr<Detector> inner, int per_side)
      : inner_(std::move(inner)), n_(per_side) {}
  std::string name() const override { return inner_->name() + "+tiles" + std::to_string(n_); }
  void reset(double fps) override { inner_->reset(fps); }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long index) override {
    auto all = inner_->detect(frame, index);
    if (!all) return all;
    for (const cv::Rect& tile : tiles(frame.size(), n_)) {
      auto found = inner_->detect(frame(tile), index);
      if (!found) return found;
      for (Detection& d : found.value()) {
        d.box += tile.tl();
        all->push_back(std::move(d));
      }
    }
    return nms_per_class(std::move(all.value()), 0.5f);
  }

 private:
  std::unique_ptr<Detector> inner_;
  int n_;
};

}  // namespace

std::vector<cv::Rect> tiles(cv::Size frame, int per_side) {
  std::vector<cv::Rect> out;
  if (per_side < 2) return out;
  // Tiles overlap by a fifth of their size, so a person cut by one tile's edge is whole in the
  // next.
  const int w = int(std::ceil(frame.width / (per_side - 0.2 * (per_side - 1))));
  const int h = int(std::ceil(frame.height / (per_side - 0.2 * (per_side - 1))));
  const cv::Rect frame_rect({0, 0}, frame);
  for (int r = 0; r < per_side; ++r)
    for (int c = 0; c < per_side; ++c) {
      const int x = (per_side == 1) ? 0 : (frame.width - w) * c / (per_side - 1);
      const int y = (per_side == 1) ? 0 : (frame.height - h) * r / (per_side - 1);
      out.push_back(cv::Rect(x, y, w, h) & frame_rect);
    }
  return out;
}

std::unique_ptr<Detector> make_tiled_detector(std::unique_ptr<Detector> inner, int per_side) {
  return std::make_unique<TiledDetector>(std::move(inner), per_side);
}

}  // namespace la3d
