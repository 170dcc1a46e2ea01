// CenterNet (MobileNetV3) on the converted graph cut before its in-graph post-processing: peaks of
// the class heatmaps (a 3x3 local maximum), top 100, boxes from the size head, as the graph would.
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detector.hpp"
#include "net_util.hpp"

namespace la3d {
namespace {

constexpr int kInput = 512, kGrid = 128, kClasses = 80, kTop = 100;

class CenterNetDetector final : public Detector {
 public:
  CenterNetDetector(cv::dnn::Net net, DetectOptions o)
      : net_(std::move(net)), options_(std::move(o)) {}
  std::string name() const override { return "centernet"; }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    const Letterbox lb = letterbox(frame, {kInput, kInput}, cv::Scalar::all(0));
    cv::Mat storage;
    const cv::Mat input = nhwc_rgb_input(lb.image, 1.0, 0.0, storage);
    std::vector<cv::Mat> outs;
    try {
      net_.setInput(input);
      net_.forward(outs, std::vector<cv::String>{"tower_0_keypoints", "tower_0_wh"});
    } catch (const cv::Exception& e) {
      return make_error(std::string("centernet inference failed: ") + e.what());
    }
    const float* hm = outs[0].ptr<float>();  // [1, 128, 128, 80]
    const float* wh = outs[1].ptr<float>();  // [1, 128, 128, 4]
    auto heat = [&](int y, int x, int c) { return hm[(size_t(y) * kGrid + x) * kClasses + c]; };
    struct Peak {
      float score;
      int y, x, c;
    };
    std::vector<Peak> peaks;
    const auto classes = coco_classes();
    for (int y = 0; y < kGrid; ++y)
      for (int x = 0; x < kGrid; ++x)
        for (int c = 0; c < kClasses; ++c) {
          const float v = heat(y, x, c);
          if (v < options_.threshold || !options_.classes.contains(classes[c].id)) continue;
          bool is_max = true;
          for (int dy = -1; dy <= 1 && is_max; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              const int yy = y + dy, xx = x + dx;
              if (yy >= 0 && yy < kGrid && xx >= 0 && xx < kGrid && heat(yy, xx, c) > v) {
                is_max = false;
                break;
              }
            }
          if (is_max) peaks.push_back({v, y, x, c});
        }
    std::sort(peaks.begin(), peaks.end(),
              [](const Peak& a, const Peak& b) { return a.score > b.score; });
    if (peaks.size() > size_t(kTop)) peaks.resize(kTop);
    std::vector<Detection> out;
    for (const Peak& p : peaks) {
      const float* s = wh + (size_t(p.y) * kGrid + p.x) * 4;
      const double stride = double(kInput) / kGrid;
      const double x1 = (stride * p.x - s[0]) / lb.scale, y1 = (stride * p.y - s[1]) / lb.scale;
      const double x2 = (stride * p.x + s[2]) / lb.scale, y2 = (stride * p.y + s[3]) / lb.scale;
      const cv::Rect box = box_from_corners(x1, y1, x2, y2, frame.size());
      if (!box.empty())
        out.push_back({std::string(classes[p.c].name), classes[p.c].id, p.score, box, {}});
    }
    return out;
  }

 private:
  cv::dnn::Net net_;
  DetectOptions options_;
};

}  // namespace

Result<std::unique_ptr<Detector>> make_centernet_detector(const std::string& onnx_path,
                                                          const DetectOptions& options) {
  return load_net_detector<CenterNetDetector>(onnx_path, options);
}

}  // namespace la3d
