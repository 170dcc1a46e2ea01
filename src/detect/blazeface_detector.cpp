// BlazeFace (MediaPipe; back-camera model at 256x256, front-camera model at 128x128) for
// --classes face and la3d privacy: 896 anchors on two grids (16x16 x 2 and 8x8 x 6 in both
// models), box offsets relative to the anchor in input pixels, sigmoid scores, NMS.
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detector.hpp"
#include "net_util.hpp"

namespace la3d {
namespace {

struct Grid {
  int size, anchors;
};
constexpr Grid kGrids[] = {{16, 2}, {8, 6}};  // strides 16 and 32: 512 + 384 anchors
// The model's box is the face proper; hair, ears and chin edge lie outside it.
constexpr double kGrow = 1.25;

class BlazeFaceDetector final : public Detector {
 public:
  BlazeFaceDetector(cv::dnn::Net net, DetectOptions o, int input)
      : net_(std::move(net)), options_(std::move(o)), input_(input) {}
  std::string name() const override { return "blazeface"; }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    const Letterbox lb = letterbox(frame, {input_, input_}, cv::Scalar::all(0));
    cv::Mat storage;
    const cv::Mat input = nhwc_rgb_input(lb.image, 1.0 / 127.5, -1.0, storage);
    std::vector<cv::Mat> outs;
    try {
      net_.setInput(input);
      net_.forward(outs,
                   std::vector<cv::String>{"Identity", "Identity_1", "Identity_2", "Identity_3"});
    } catch (const cv::Exception& e) {
      return make_error(std::string("blazeface inference failed: ") + e.what());
    }
    std::vector<Detection> candidates;
    for (int level = 0; level < 2; ++level) {
      const float* scores = outs[level].ptr<float>();
      const float* boxes = outs[level + 2].ptr<float>();
      const Grid g = kGrids[level];
      for (int y = 0, k = 0; y < g.size; ++y)
        for (int x = 0; x < g.size; ++x)
          for (int a = 0; a < g.anchors; ++a, ++k) {
            const double logit = std::clamp(double(scores[k]), -100.0, 100.0);
            const float score = float(1.0 / (1.0 + std::exp(-logit)));
            if (score < options_.threshold) continue;
            const float* r = boxes + size_t(k) * 16;
            const double cx = (x + 0.5) / g.size * input_ + r[0],
                         cy = (y + 0.5) / g.size * input_ + r[1];
            const double w = r[2] * kGrow, h = r[3] * kGrow;
            const double x1 = (cx - w / 2) / lb.scale, y1 = (cy - h / 2) / lb.scale;
            const double x2 = (cx + w / 2) / lb.scale, y2 = (cy + h / 2) / lb.scale;
            const cv::Rect box = box_from_corners(x1, y1, x2, y2, frame.size());
            if (!box.empty()) candidates.push_back({"face", kFaceClassId, score, box, {}});
          }
    }
    return nms_per_class(std::move(candidates), 0.3f);
  }

 private:
  cv::dnn::Net net_;
  DetectOptions options_;
  int input_;  // square input side: 256 (back model) or 128 (front model)
};

}  // namespace

Result<std::unique_ptr<Detector>> make_blazeface_detector(const std::string& onnx_path,
                                                          const DetectOptions& options, int input) {
  if (input != 128 && input != 256)
    return make_error("blazeface input must be 128 (front model) or 256 (back model)");
  auto net = load_onnx_net(onnx_path);
  if (!net) return net.error();
  return std::unique_ptr<Detector>(
      std::make_unique<BlazeFaceDetector>(std::move(net.value()), options, input));
}

}  // namespace la3d
