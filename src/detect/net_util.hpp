#pragma once
// Small pieces every CNN detector needs, kept in one place.
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <string>

#include "la3d/detect/detector.hpp"
#include "la3d/core/result.hpp"

namespace la3d {

// OpenCV's ONNX reader throws; detectors return its failure as an error naming the file.
Result<cv::dnn::Net> load_onnx_net(const std::string& path);

// Loads the network and builds the detector class `D` on it (constructed from (Net, options)).
template <class D, class Options>
Result<std::unique_ptr<Detector>> load_net_detector(const std::string& onnx_path,
                                                    const Options& options) {
  auto net = load_onnx_net(onnx_path);
  if (!net) return net.error();
  return std::unique_ptr<Detector>(std::make_unique<D>(std::move(net.value()), options));
}

// Models converted from TF.js keep TF's NHWC input: `bgr` as RGB floats (value * scale + shift),
// shaped [1, H, W, 3]. The returned Mat points into `storage`, which must outlive it.
cv::Mat nhwc_rgb_input(const cv::Mat& bgr, double scale, double shift, cv::Mat& storage);

// The integer box that contains the float corners (x1, y1)-(x2, y2), clipped to `frame`: rounding
// outwards, since a box that is a pixel too small shows a pixel of the person.
cv::Rect box_from_corners(double x1, double y1, double x2, double y2, cv::Size frame);

}  // namespace la3d
