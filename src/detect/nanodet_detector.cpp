// NanoDet (GFL head) on the installed 416x320 model: letterbox, one forward pass, distance-bin
// decoding, per-class NMS.
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detector.hpp"
#include "net_util.hpp"
#include "onednn_net.hpp"

namespace la3d {

namespace {

constexpr int kBins = 11;  // reg_max 10: distances 0..10 strides
constexpr int kStrides[] = {8, 16, 32};
// NanoDet's own normalisation (BGR); the weights carry none. Human's RGB/255 finds fewer people.
const cv::Scalar kMean(103.53, 116.28, 123.675);
const cv::Scalar kStd(57.375, 57.12, 58.395);

class NanoDetDetector final : public Detector {
 public:
  NanoDetDetector(cv::dnn::Net net, std::unique_ptr<OneDnnNet> fast, DetectOptions o,
                  cv::Size input)
      : net_(std::move(net)), fast_(std::move(fast)), options_(std::move(o)), input_(input) {}
  std::string name() const override { return "nanodet"; }

  // Class scores of strides 8, 16, 32, then their distance bins; each [1, channels, cells] (the
  // model is cut before the graph's own transposes to [1, cells, channels]).
  static std::vector<std::string> output_names() {
    return {
        "PartitionedCall_onnx_tf_prefix_Reshape_156", "PartitionedCall_onnx_tf_prefix_Reshape_167",
        "PartitionedCall_onnx_tf_prefix_Reshape_178", "PartitionedCall_onnx_tf_prefix_Reshape_159",
        "PartitionedCall_onnx_tf_prefix_Reshape_170", "PartitionedCall_onnx_tf_prefix_Reshape_181"};
  }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    const Letterbox lb = letterbox(frame, input_, kMean);
    cv::Mat blob = cv::dnn::blobFromImage(lb.image, 1.0, {}, kMean, false, false, CV_32F);
    for (int c = 0; c < 3; ++c) {
      cv::Mat plane(input_, CV_32F, blob.ptr<float>(0, c));
      plane *= 1.0 / kStd[c];
    }
    std::vector<cv::Mat> outs;
    if (fast_) {
      auto r = fast_->forward(blob);
      if (!r) return make_error("nanodet inference failed: " + r.error().message);
      outs = std::move(r.value());
    } else {
      try {
        net_.setInput(blob);
        net_.forward(outs, output_names());
      } catch (const cv::Exception& e) {
        return make_error(std::string("nanodet inference failed: ") + e.what());
      }
    }
    std::vector<Detection> candidates;
    const auto classes = coco_classes();
    for (int level = 0; level < 3; ++level) {
      const int stride = kStrides[level], cols = input_.width / stride,
                rows = input_.height / stride;
      const float* scores = outs[level].ptr<float>();
      const float* dists = outs[level + 3].ptr<float>();
      if (outs[level].total() != size_t(rows) * cols * 80 ||
          outs[level + 3].total() != size_t(rows) * cols * 4 * kBins)
        return make_error("nanodet output shapes do not fit its input size");
      const int cells = rows * cols;
      for (int c = 0; c < 80; ++c) {
        if (!options_.classes.contains(classes[c].id)) continue;
        const float* s = scores + size_t(c) * cells;
        for (int cell = 0; cell < cells; ++cell) {
          if (s[cell] < options_.threshold) continue;
          const cv::Rect box = decode_box(dists + cell, cells, cell % cols, cell / cols, stride,
                                          lb.scale, frame.size());
          if (!box.empty())
            candidates.push_back({std::string(classes[c].name), classes[c].id, s[cell], box, {}});
        }
      }
    }
    return nms_per_class(std::move(candidates), 0.5f);
  }

 private:
  // Generalized focal loss head: each side's distance is the expectation of a softmax over bins.
  // Bin j of side k is d[(k * kBins + j) * step].
  static cv::Rect decode_box(const float* d, size_t step, int col, int row, int stride,
                             double scale, cv::Size frame) {
    double side[4];
    for (int k = 0; k < 4; ++k) {
      float bins[kBins];
      for (int b = 0; b < kBins; ++b) bins[b] = d[(size_t(k) * kBins + b) * step];
      const float top = *std::max_element(bins, bins + kBins);
      double sum = 0, expect = 0;
      for (int b = 0; b < kBins; ++b) {
        const double e = std::exp(double(bins[b]) - top);
        sum += e;
        expect += e * b;
      }
      side[k] = expect / sum * stride;
    }
    const double cx = (col + 0.5) * stride, cy = (row + 0.5) * stride;
    return box_from_corners((cx - side[0]) / scale, (cy - side[1]) / scale, (cx + side[2]) / scale,
                            (cy + side[3]) / scale, frame);
  }

  cv::dnn::Net net_;                 // used when fast_ is null
  std::unique_ptr<OneDnnNet> fast_;  // oneDNN, where the build and the graph allow
  DetectOptions options_;
  cv::Size input_;  // the network's input, W x H (multiples of 32)
};

}  // namespace

Result<std::unique_ptr<Detector>> make_nanodet_detector(const std::string& onnx_path,
                                                        const DetectOptions& options,
                                                        cv::Size input) {
  if (input.width <= 0 || input.height <= 0 || input.width % 32 || input.height % 32)
    return make_error("nanodet input size must be multiples of 32");
  if (options.inference == Inference::automatic) {
    auto fast = OneDnnNet::load_file(onnx_path, {1, 3, input.height, input.width},
                                     NanoDetDetector::output_names(), cv::getNumThreads());
    if (fast)
      return std::unique_ptr<Detector>(std::make_unique<NanoDetDetector>(
          cv::dnn::Net(), std::move(fast.value()), options, input));
  }
  auto net = load_onnx_net(onnx_path);
  if (!net) return net.error();
  return std::unique_ptr<Detector>(
      std::make_unique<NanoDetDetector>(std::move(net.value()), nullptr, options, input));
}

}  // namespace la3d
