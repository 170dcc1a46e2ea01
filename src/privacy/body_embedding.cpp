// Body re-identification attackers: a user-supplied ReID network, and a training-free
// colour-histogram baseline that needs no model (clothes colours by height).
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/net_util.hpp"
#include "la3d/privacy/privacy.hpp"

namespace la3d {
namespace {

const cv::Size kPersonSize(128, 256);  // W x H, as ReID models take people

class ColourHistogram final : public BodyEmbedder {
 public:
  std::string name() const override { return "colour histogram (baseline)"; }
  Result<std::vector<float>> embed(const cv::Mat& person) override {
    if (person.empty() || person.type() != CV_8UC3) return make_error("person crop is not BGR");
    cv::Mat resized, hsv;
    cv::resize(person, resized, kPersonSize, 0, 0, cv::INTER_AREA);
    cv::cvtColor(resized, hsv, cv::COLOR_BGR2HSV);
    constexpr int kStripes = 6;
    const int channels[] = {0, 1, 2}, bins[] = {8, 4, 4};
    const float h[] = {0, 180}, sv[] = {0, 256};
    const float* ranges[] = {h, sv, sv};
    std::vector<float> out;
    for (int s = 0; s < kStripes; ++s) {
      const int y0 = s * hsv.rows / kStripes, y1 = (s + 1) * hsv.rows / kStripes;
      cv::Mat stripe = hsv.rowRange(y0, y1), hist;
      cv::calcHist(&stripe, 1, channels, cv::Mat(), hist, 3, bins, ranges);
      hist /= std::max(1.0, cv::sum(hist)[0]);
      out.insert(out.end(), hist.ptr<float>(), hist.ptr<float>() + hist.total());
    }
    return out;
  }
};

class OnnxReid final : public BodyEmbedder {
 public:
  explicit OnnxReid(cv::dnn::Net net) : net_(std::move(net)) {}
  std::string name() const override { return "re-identification network"; }
  Result<std::vector<float>> embed(const cv::Mat& person) override {
    if (person.empty() || person.type() != CV_8UC3) return make_error("person crop is not BGR");
    cv::Mat resized;
    cv::resize(person, resized, kPersonSize, 0, 0, cv::INTER_LINEAR);
    // deep-person-reid's transform: RGB, /255, ImageNet mean and std per channel.
    cv::Mat blob = cv::dnn::blobFromImage(resized, 1.0 / 255, {}, {}, true, false, CV_32F);
    const double mean[] = {0.485, 0.456, 0.406}, std[] = {0.229, 0.224, 0.225};
    for (int c = 0; c < 3; ++c) {
      cv::Mat plane(kPersonSize, CV_32F, blob.ptr<float>(0, c));
      plane = (plane - mean[c]) / std[c];
    }
    cv::Mat out;
    try {
      net_.setInput(blob);
      out = net_.forward();
    } catch (const cv::Exception& e) {
      return make_error(std::string("re-identification model failed: ") + e.what());
    }
    out = out.reshape(1, 1);
    if (out.type() != CV_32F || out.total() == 0)
      return make_error("re-identification model gave no float embedding");
    return std::vector<float>(out.ptr<float>(), out.ptr<float>() + out.total());
  }

 private:
  cv::dnn::Net net_;
};

}  // namespace

std::unique_ptr<BodyEmbedder> make_colour_histogram_embedder() {
  return std::make_unique<ColourHistogram>();
}

Result<std::unique_ptr<BodyEmbedder>> make_onnx_reid_embedder(const std::string& onnx_path) {
  auto net = load_onnx_net(onnx_path);
  if (!net) return net.error();
  return std::unique_ptr<BodyEmbedder>(std::make_unique<OnnxReid>(std::move(net.value())));
}

}  // namespace la3d
