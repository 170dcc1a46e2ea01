// Person silhouettes: each person box from the wrapped detector is cropped, run through the
// MediaPipe selfie segmentation model and given the resulting mask (box ∩ segmentation).
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/detect/detector.hpp"
#include "net_util.hpp"

namespace la3d {
namespace {

constexpr int kSide = 256;
// A silhouette must cover at least this share of each horizontal third of its box (head, torso,
// legs). Otherwise the model is taken to have failed on this crop (seen on vtest.avi: dark
// trousers left out, small people half found) and the whole box is hidden: a wrong mask must
// never show part of a person.
constexpr double kMinCoverage = 0.10;

bool covers_every_third(const cv::Mat1b& mask) {
  for (int k = 0; k < 3; ++k) {
    const cv::Mat1b band = mask.rowRange(mask.rows * k / 3, mask.rows * (k + 1) / 3);
    if (band.empty() || cv::countNonZero(band) < kMinCoverage * double(band.total())) return false;
  }
  return true;
}

class SelfieSegmenter final : public Detector {
 public:
  SelfieSegmenter(std::unique_ptr<Detector> inner, cv::dnn::Net net)
      : inner_(std::move(inner)), net_(std::move(net)) {}
  std::string name() const override { return inner_->name() + "+selfie"; }
  void reset(double fps) override { inner_->reset(fps); }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long index) override {
    auto found = inner_->detect(frame, index);
    if (!found) return found;
    for (Detection& d : found.value()) {
      if (d.coco_id != 1 || !d.mask.empty() || d.box.width < 4 || d.box.height < 4) continue;
      auto mask = silhouette(frame(d.box & cv::Rect({0, 0}, frame.size())));
      if (!mask) return mask.error();
      if (covers_every_third(mask.value())) d.mask = mask.value();
    }
    return found;
  }

 private:
  Result<cv::Mat1b> silhouette(const cv::Mat& crop) {
    cv::Mat resized, storage;
    cv::resize(crop, resized, {kSide, kSide}, 0, 0, cv::INTER_LINEAR);
    const cv::Mat blob = nhwc_rgb_input(resized, 1.0 / 255, 0.0, storage);
    cv::Mat out;
    try {
      net_.setInput(blob);
      out = net_.forward();
    } catch (const cv::Exception& e) {
      return make_error(std::string("selfie segmentation failed: ") + e.what());
    }
    cv::Mat prob(kSide, kSide, CV_32F, out.ptr<float>()), back;
    cv::resize(prob, back, crop.size(), 0, 0, cv::INTER_LINEAR);
    return cv::Mat1b(back > 0.5);
  }

  std::unique_ptr<Detector> inner_;
  cv::dnn::Net net_;
};

}  // namespace

Result<std::unique_ptr<Detector>> make_selfie_segmenter(std::unique_ptr<Detector> inner,
                                                        const std::string& onnx_path) {
  auto net = load_onnx_net(onnx_path);
  if (!net) return net.error();
  return std::unique_ptr<Detector>(
      std::make_unique<SelfieSegmenter>(std::move(inner), std::move(net.value())));
}

}  // namespace la3d
