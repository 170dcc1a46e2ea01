#pragma once
// The values every module passes around: a detection and an instance mask.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace la3d {

// What a detector reports. `box` is in frame pixels (x, y, width, height). `mask`, when not empty,
// is the instance mask over `box` (same size, 0 or 255); an empty mask means the detector gave only
// a box.
struct Detection {
  std::string label;  // COCO class name, e.g. "person"
  int coco_id = -1;   // official COCO category id (person = 1), -1 when not a COCO class
  float score = 0.f;
  cv::Rect box;
  cv::Mat1b mask;
};

// A resolved mask M_i of the AN definition: `box` is its tight bounding box inside the frame,
// `mask` covers exactly `box` (0 or 255), `area` = |M_i|. Detections become instances through
// make_instances().
struct Instance {
  cv::Rect box;
  cv::Mat1b mask;
  int area = 0;
};

// Milliseconds each stage took for one frame.
struct StageTimes {
  double decode_ms = 0, detect_ms = 0, anonymize_ms = 0, encode_ms = 0;
};

}  // namespace la3d
