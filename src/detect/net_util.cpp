#include "net_util.hpp"

#include <cmath>
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

}  // namespace la3d
