#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detector.hpp"

namespace la3d {

double resize_for_detection(const cv::Mat& frame, cv::Size detect_size, cv::Mat& resized) {
  if (detect_size.width <= 0 || frame.cols == detect_size.width) {
    resized = frame;
    return 1.0;
  }
  const double f = double(detect_size.width) / frame.cols;
  const int h = std::max(1, int(std::lround(frame.rows * f)));
  cv::resize(frame, resized, {detect_size.width, h}, 0, 0, cv::INTER_LINEAR);
  return double(frame.cols) / detect_size.width;
}

namespace {

// The HOG window is 64x128: people shorter than about 128 px in the detection image are never
// found, which is why issue "pretrained detectors" replaces this default.
class HogDetector final : public Detector {
 public:
  explicit HogDetector(const DetectOptions& o) : options_(o) {
    hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  }
  std::string name() const override { return "hog"; }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    std::vector<Detection> out;
    if (!options_.classes.contains(1)) return out;  // HOG only knows people
    cv::Mat small;
    const double back = resize_for_detection(frame, options_.detect_size, small);
    if (small.cols < hog_.winSize.width || small.rows < hog_.winSize.height) return out;
    std::vector<cv::Rect> boxes;
    std::vector<double> weights;
    try {
      hog_.detectMultiScale(small, boxes, weights, 0, {8, 8}, {16, 16}, 1.05, 2.0);
    } catch (const cv::Exception& e) {
      return make_error(std::string("HOG detection failed: ") + e.what());
    }
    const cv::Rect frame_rect({0, 0}, frame.size());
    for (size_t i = 0; i < boxes.size(); ++i) {
      // The SVM margin is not a probability; a logistic squash keeps scores in (0, 1) so that one
      // -odt threshold reads the same for every detector.
      const float score = float(1.0 / (1.0 + std::exp(-weights[i])));
      if (score < options_.threshold) continue;
      const cv::Rect& b = boxes[i];
      const int x0 = int(std::floor(b.x * back)), y0 = int(std::floor(b.y * back));
      const int x1 = int(std::ceil((b.x + b.width) * back)),
                y1 = int(std::ceil((b.y + b.height) * back));
      const cv::Rect box = cv::Rect(x0, y0, x1 - x0, y1 - y0) & frame_rect;
      if (box.empty()) continue;
      out.push_back(Detection{"person", 1, score, box, {}});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });
    return out;
  }

 private:
  DetectOptions options_;
  cv::HOGDescriptor hog_;
};

}  // namespace

std::unique_ptr<Detector> make_hog_detector(const DetectOptions& options) {
  return std::make_unique<HogDetector>(options);
}

}  // namespace la3d
