// See net_util.hpp; also the letterbox and per-class NMS that detector.hpp declares.
#include "net_util.hpp"

#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>

namespace la3d {

Result<cv::dnn::Net> load_onnx_net(const std::string& path) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
    if (net.empty()) return make_error("cannot load " + path);
    return net;
  } catch (const cv::Exception& e) {
    return make_error("cannot load " + path + ": " + e.what());
  }
}

cv::Mat nhwc_rgb_input(const cv::Mat& bgr, double scale, double shift, cv::Mat& storage) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(storage, CV_32FC3, scale, shift);
  const int dims[] = {1, storage.rows, storage.cols, 3};
  return cv::Mat(4, dims, CV_32F, storage.data);
}

cv::Rect box_from_corners(double x1, double y1, double x2, double y2, cv::Size frame) {
  const int ix = int(std::floor(x1)), iy = int(std::floor(y1));
  const cv::Rect box(ix, iy, int(std::ceil(x2)) - ix, int(std::ceil(y2)) - iy);
  return box & cv::Rect({0, 0}, frame);
}

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

}  // namespace la3d
