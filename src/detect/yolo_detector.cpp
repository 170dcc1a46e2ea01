#include <map>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/models/models.hpp"
#include "net_util.hpp"
#include "yolo_decode.hpp"

namespace la3d {
namespace {

// Instance mask of a seg model over `box`: sigmoid(coefficients x prototypes), brought from the
// prototype grid to the input, then to the frame, and cut to the box (as Ultralytics crops it).
cv::Mat1b yolo_mask(const cv::Mat& protos, const float* coeffs, int coeff_stride,
                    const cv::Rect& box, const YoloGeometry& g) {
  const int np = protos.size[1], ph = protos.size[2], pw = protos.size[3];
  const cv::Mat P(np, ph * pw, CV_32F, const_cast<float*>(protos.ptr<float>()));
  cv::Mat c(1, np, CV_32F);
  for (int k = 0; k < np; ++k) c.at<float>(k) = coeffs[k * coeff_stride];
  const cv::Mat product = c * P;
  cv::Mat logits = product.reshape(1, ph), up;
  cv::resize(logits, up, g.input, 0, 0, cv::INTER_LINEAR);
  const cv::Rect content(0, 0, std::min(g.input.width, int(std::lround(g.frame.width * g.scale))),
                         std::min(g.input.height, int(std::lround(g.frame.height * g.scale))));
  cv::Mat in_frame;
  cv::resize(up(content), in_frame, g.frame, 0, 0, cv::INTER_LINEAR);
  // sigmoid(x) > 0.5 <=> x > 0
  return cv::Mat1b(in_frame(box) > 0);
}

}  // namespace

std::vector<Detection> decode_yolo(const cv::Mat& out0, const cv::Mat& protos,
                                   const YoloGeometry& g, const DetectOptions& options,
                                   float nms_iou) {
  const int rows = out0.size[1], n = out0.size[2];
  const bool seg = !protos.empty();
  const int classes =
      std::min<int>(seg ? rows - 4 - protos.size[1] : rows - 4, int(coco_classes().size()));
  const float* t = out0.ptr<float>();
  auto at = [&](int row, int anchor) { return t[size_t(row) * n + anchor]; };
  const auto coco = coco_classes();

  struct Candidate {
    int anchor, cls;
    float score;
    cv::Rect box;
  };
  std::map<int, std::vector<Candidate>> by_class;
  for (int a = 0; a < n; ++a)
    for (int c = 0; c < classes; ++c) {
      const float score = at(4 + c, a);
      if (score < options.threshold || !options.classes.contains(coco[c].id)) continue;
      const double cx = at(0, a), cy = at(1, a), w = at(2, a), h = at(3, a);
      const cv::Rect box =
          box_from_corners((cx - w / 2) / g.scale, (cy - h / 2) / g.scale, (cx + w / 2) / g.scale,
                           (cy + h / 2) / g.scale, g.frame);
      if (!box.empty()) by_class[c].push_back({a, c, score, box});
    }
  std::vector<Candidate> kept;
  for (const auto& [cls, cands] : by_class) {
    std::vector<cv::Rect> boxes;
    std::vector<float> scores;
    for (const auto& c : cands) boxes.push_back(c.box), scores.push_back(c.score);
    std::vector<int> keep;
    cv::dnn::NMSBoxes(boxes, scores, 0.f, nms_iou, keep);
    for (int k : keep) kept.push_back(cands[k]);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  std::vector<Detection> out;
  for (const Candidate& c : kept) {
    Detection d{std::string(coco[c.cls].name), coco[c.cls].id, c.score, c.box, {}};
    if (seg) {
      d.mask = yolo_mask(protos, t + size_t(4 + classes) * n + c.anchor, n, c.box, g);
      // A confident detection whose mask came out empty is still a person: hide its box.
      if (cv::countNonZero(d.mask) == 0) d.mask.release();
    }
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

class YoloDetector final : public Detector {
 public:
  YoloDetector(cv::dnn::Net net, cv::Size input, bool seg, std::vector<std::string> outputs,
               DetectOptions o)
      : net_(std::move(net)),
        input_(input),
        seg_(seg),
        outputs_(std::move(outputs)),
        options_(std::move(o)) {}
  std::string name() const override { return seg_ ? "yolo-seg" : "yolo"; }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    // Ultralytics' preprocessing: letterbox with grey 114, RGB, 0..1.
    const Letterbox lb = letterbox(frame, input_, cv::Scalar::all(114));
    std::vector<cv::Mat> outs;
    try {
      net_.setInput(cv::dnn::blobFromImage(lb.image, 1.0 / 255, {}, {}, true, false, CV_32F));
      net_.forward(outs, outputs_);
    } catch (const cv::Exception& e) {
      return make_error(std::string("YOLO inference failed: ") + e.what());
    }
    return decode_yolo(outs[0], seg_ ? outs[1] : cv::Mat(), {input_, lb.scale, frame.size()},
                       options_);
  }

 private:
  cv::dnn::Net net_;
  cv::Size input_;
  bool seg_;
  std::vector<std::string> outputs_;
  DetectOptions options_;
};

}  // namespace

Result<std::unique_ptr<Detector>> make_yolo_detector(const std::string& onnx_path, cv::Size size,
                                                     const DetectOptions& options) {
  auto model = import_onnx_for_opencv(onnx_path, size.width, size.height);
  if (!model) return model.error();
  const auto& in = model->input_shapes.at(0);
  const auto& out0 = model->output_shapes.at(0);
  if (in.size() != 4 || out0.size() != 3 || out0[1] < 5)
    return make_error(
        onnx_path +
        " does not look like an Ultralytics YOLO export (output0 should be [1, 84 or 116, N])");
  const bool seg = model->output_names.size() >= 2;
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(model->bytes.data(), model->bytes.size());
    std::vector<std::string> outputs(model->output_names.begin(),
                                     model->output_names.begin() + (seg ? 2 : 1));
    return std::unique_ptr<Detector>(std::make_unique<YoloDetector>(
        std::move(net), cv::Size(int(in[3]), int(in[2])), seg, std::move(outputs), options));
  } catch (const cv::Exception& e) {
    return make_error("cannot load " + onnx_path + ": " + e.what());
  }
}

}  // namespace la3d
