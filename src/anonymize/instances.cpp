#include "la3d/instances.hpp"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace la3d {
namespace {

cv::Rect scaled_about_centre(const cv::Rect& box, double scale) {
  if (scale == 1.0) return box;
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  const double w = box.width * scale, h = box.height * scale;
  const int x0 = int(std::floor(cx - w / 2)), y0 = int(std::floor(cy - h / 2));
  const int x1 = int(std::ceil(cx + w / 2)), y1 = int(std::ceil(cy + h / 2));
  return {x0, y0, std::max(1, x1 - x0), std::max(1, y1 - y0)};
}

// The detector's mask over `box`, or the shape the options ask for when it gave none.
cv::Mat1b shape_mask(const Detection& det, cv::Size box_size, BoxShape shape) {
  if (!det.mask.empty()) {
    if (det.mask.size() == box_size) return det.mask;
    cv::Mat1b resized;
    cv::resize(det.mask, resized, box_size, 0, 0, cv::INTER_NEAREST);
    return resized;
  }
  if (shape == BoxShape::Box) return cv::Mat1b(box_size, 255);
  cv::Mat1b m(box_size, 0);
  const cv::Point2f centre((box_size.width - 1) / 2.f, (box_size.height - 1) / 2.f);
  cv::ellipse(m, cv::RotatedRect(centre, cv::Size2f(box_size), 0), 255, cv::FILLED);
  return m;
}

}  // namespace

Status validate(const MaskOptions& o) {
  if (!(std::isfinite(o.scale) && o.scale > 0 && o.scale <= 10))
    return make_error("mask scale must be in (0, 10]");
  if (o.dilate_px < 0 || o.dilate_px > 1000)
    return make_error("mask dilation must be in [0, 1000] px");
  return Ok{};
}

std::vector<Instance> make_instances(std::span<const Detection> detections, cv::Size frame,
                                     const MaskOptions& o) {
  std::vector<Instance> out;
  out.reserve(detections.size());
  const cv::Rect frame_rect({0, 0}, frame);
  for (const Detection& det : detections) {
    if (det.box.width <= 0 || det.box.height <= 0) continue;
    cv::Rect box = scaled_about_centre(det.box, o.scale);
    cv::Mat1b mask = shape_mask(det, box.size(), o.box_shape);
    if (o.dilate_px > 0) {
      const int d = o.dilate_px;
      cv::Mat1b grown(box.height + 2 * d, box.width + 2 * d, uchar(0));
      mask.copyTo(grown(cv::Rect(d, d, box.width, box.height)));
      const cv::Mat se = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * d + 1, 2 * d + 1});
      cv::dilate(grown, mask, se);
      box = cv::Rect(box.x - d, box.y - d, box.width + 2 * d, box.height + 2 * d);
    }
    const cv::Rect visible = box & frame_rect;
    if (visible.empty()) continue;
    const cv::Mat1b clipped = mask(visible - box.tl());
    const cv::Rect tight = cv::boundingRect(clipped);
    if (tight.empty()) continue;
    Instance inst;
    inst.box = tight + visible.tl();
    inst.mask = clipped(tight).clone();
    inst.area = cv::countNonZero(inst.mask);
    out.push_back(std::move(inst));
  }
  return out;
}

}  // namespace la3d
