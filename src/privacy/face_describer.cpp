// FaceRes as la3d privacy's face attacker: a 1024-d identity descriptor, gender and age from one
// face crop, read as Human (the models' package) reads them.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "detect/net_util.hpp"
#include "la3d/privacy/privacy.hpp"

namespace la3d {
namespace {

constexpr int kInput = 224;

class FaceResDescriber final : public FaceDescriber {
 public:
  explicit FaceResDescriber(cv::dnn::Net net) : net_(std::move(net)) {}

  Result<FaceDescription> describe(const cv::Mat& face) override {
    if (face.empty() || face.type() != CV_8UC3) return make_error("face crop is not a BGR image");
    cv::Mat resized, storage;
    cv::resize(face, resized, {kInput, kInput}, 0, 0, cv::INTER_LINEAR);
    std::vector<cv::Mat> outs;
    try {
      net_.setInput(nhwc_rgb_input(resized, 1.0, 0.0, storage));  // RGB 0..255
      net_.forward(outs, std::vector<cv::String>{"age_pred_Softmax", "gender_pred_Sigmoid",
                                                 "global_pooling_Mean"});
    } catch (const cv::Exception& e) {
      return make_error(std::string("faceres inference failed: ") + e.what());
    }
    if (outs.size() != 3 || outs[0].total() != 100 || outs[1].total() != 1 ||
        outs[2].total() != 1024)
      return make_error("faceres outputs have unexpected shapes");
    FaceDescription d;
    const float* a = outs[0].ptr<float>();
    d.descriptor.assign(outs[2].ptr<float>(), outs[2].ptr<float>() + 1024);
    d.male = outs[1].ptr<float>()[0];
    // Human's reading of the age bins: the best bin, pulled toward its stronger neighbour.
    const int k = int(std::max_element(a, a + 100) - a);
    const float before = k > 0 ? a[k - 1] : 0.f, after = k < 99 ? a[k + 1] : 0.f;
    d.age = before > after ? float(k) - 10.f * before : float(k) + 10.f * after;
    return d;
  }

 private:
  cv::dnn::Net net_;
};

}  // namespace

Result<std::unique_ptr<FaceDescriber>> make_faceres_describer(const std::string& onnx_path) {
  auto net = load_onnx_net(onnx_path);
  if (!net) return net.error();
  return std::unique_ptr<FaceDescriber>(std::make_unique<FaceResDescriber>(std::move(net.value())));
}

double face_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t k = 0; k < std::min(a.size(), b.size()); ++k)
    sum += double(a[k] - b[k]) * (a[k] - b[k]);
  const double root = std::sqrt(25.0 * sum);
  return std::clamp((1.0 - root / 100.0 - 0.2) / (0.8 - 0.2), 0.0, 1.0);
}

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
    ab += double(a[k]) * b[k];
    aa += double(a[k]) * a[k];
    bb += double(b[k]) * b[k];
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

cv::Rect face_crop_box(const cv::Rect& face, cv::Size image) {
  const double side = std::max(face.width, face.height) * 1.4;
  const double cx = face.x + face.width / 2.0, cy = face.y + face.height / 2.0;
  return box_from_corners(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, image);
}

}  // namespace la3d
