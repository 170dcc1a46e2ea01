#include <cmath>
#include <map>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/coco.hpp"
#include "la3d/detector.hpp"
#include "net_util.hpp"

namespace la3d {

Letterbox letterbox(const cv::Mat& frame, cv::Size size, const cv::Scalar& pad) {
  Letterbox lb;
  lb.scale = std::min(double(size.width) / frame.cols, double(size.height) / frame.rows);
  const cv::Size scaled(std::max(1, int(std::lround(frame.cols * lb.scale))),
                        std::max(1, int(std::lround(frame.rows * lb.scale))));
  lb.image = cv::Mat(size, frame.type(), pad);
  cv::resize(frame, lb.image(cv::Rect({0, 0}, scaled)), scaled, 0, 0, cv::INTER_LINEAR);
  return lb;
}

std::vector<Detection> nms_per_class(std::vector<Detection> candidates, float iou_threshold) {
  std::map<int, std::vector<size_t>> by_class;
  for (size_t k = 0; k < candidates.size(); ++k) by_class[candidates[k].coco_id].push_back(k);
  std::vector<Detection> out;
  for (const auto& [id, members] : by_class) {
    std::vector<cv::Rect> boxes;
    std::vector<float> scores;
    for (size_t k : members) {
      boxes.push_back(candidates[k].box);
      scores.push_back(candidates[k].score);
    }
    std::vector<int> keep;
    cv::dnn::NMSBoxes(boxes, scores, 0.f, iou_threshold, keep);
    for (int k : keep) out.push_back(std::move(candidates[members[k]]));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return out;
}

namespace {

constexpr int kBins = 11;  // reg_max 10: distances 0..10 strides
constexpr int kStrides[] = {8, 16, 32};
// NanoDet's own normalisation (BGR); the weights carry none. Human's RGB/255 finds fewer people.
const cv::Scalar kMean(103.53, 116.28, 123.675);
const cv::Scalar kStd(57.375, 57.12, 58.395);

class NanoDetDetector final : public Detector {
 public:
  NanoDetDetector(cv::dnn::Net net, DetectOptions o, cv::Size input)
      : net_(std::move(net)), options_(std::move(o)), input_(input) {}
  std::string name() const override { return "nanodet"; }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    const Letterbox lb = letterbox(frame, input_, kMean);
    cv::Mat blob = cv::dnn::blobFromImage(lb.image, 1.0, {}, kMean, false, false, CV_32F);
    for (int c = 0; c < 3; ++c) {
      cv::Mat plane(input_, CV_32F, blob.ptr<float>(0, c));
      plane *= 1.0 / kStd[c];
    }
    std::vector<cv::Mat> outs;
    try {
      net_.setInput(blob);
      // Class scores of strides 8, 16, 32, then their distance bins; each [1, channels, cells]
      // (the model is cut before the graph's own transposes to [1, cells, channels]).
      net_.forward(outs, std::vector<cv::String>{"PartitionedCall_onnx_tf_prefix_Reshape_156",
                                                 "PartitionedCall_onnx_tf_prefix_Reshape_167",
                                                 "PartitionedCall_onnx_tf_prefix_Reshape_178",
                                                 "PartitionedCall_onnx_tf_prefix_Reshape_159",
                                                 "PartitionedCall_onnx_tf_prefix_Reshape_170",
                                                 "PartitionedCall_onnx_tf_prefix_Reshape_181"});
    } catch (const cv::Exception& e) {
      return make_error(std::string("nanodet inference failed: ") + e.what());
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

  cv::dnn::Net net_;
  DetectOptions options_;
  cv::Size input_;  // the network's input, W x H (multiples of 32)
};

}  // namespace

Result<std::unique_ptr<Detector>> make_nanodet_detector(const std::string& onnx_path,
                                                        const DetectOptions& options,
                                                        cv::Size input) {
  if (input.width <= 0 || input.height <= 0 || input.width % 32 || input.height % 32)
    return make_error("nanodet input size must be multiples of 32");
  auto net = load_onnx_net(onnx_path);
  if (!net) return net.error();
  return std::unique_ptr<Detector>(
      std::make_unique<NanoDetDetector>(std::move(net.value()), options, input));
}

}  // namespace la3d
