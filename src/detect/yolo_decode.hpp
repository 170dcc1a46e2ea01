#pragma once
// Decoding of Ultralytics YOLO (v5u/v8/v11) ONNX outputs, apart from the network so it can be
// tested.
#include <opencv2/core.hpp>
#include <vector>

#include "la3d/detect/detector.hpp"

namespace la3d {

struct YoloGeometry {
  cv::Size input;    // network input (W, H)
  double scale = 1;  // letterbox: input pixels per frame pixel (content at the top-left)
  cv::Size frame;
};

// `out0`: [1, 4 + 80 (+ 32), N] rows cx, cy, w, h (input pixels), class scores, mask coefficients.
// `protos` (seg models, else empty): [1, 32, H/4, W/4]. Returns detections in frame pixels, NMS'd,
// with instance masks over their boxes for seg models.
std::vector<Detection> decode_yolo(const cv::Mat& out0, const cv::Mat& protos,
                                   const YoloGeometry& geometry, const DetectOptions& options,
                                   float nms_iou = 0.7f);

}  // namespace la3d
