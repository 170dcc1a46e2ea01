// Detections -> the masks M_i of the AN definition. Growth (scale, dilation) is computed in 64-bit
// and wide arithmetic, and masks are only ever built over the part of a box that can reach the
// frame: a box of [0, 0, 60000, 60000] or one scaled 10x must neither overflow an int nor
// allocate gigabytes, and the part of it inside the frame must still be hidden.
#include "la3d/anonymize/instances.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace la3d {
namespace {

// A box as int64 corners [x0, x1) x [y0, y1): wide enough for any int box grown by (0, 10].
struct WideBox {
  int64_t x0, y0, x1, y1;
};

WideBox scaled_about_centre(const cv::Rect& box, double scale) {
  if (scale == 1.0) return {box.x, box.y, int64_t(box.x) + box.width, int64_t(box.y) + box.height};
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  const double w = box.width * scale, h = box.height * scale;
  WideBox b{int64_t(std::floor(cx - w / 2)), int64_t(std::floor(cy - h / 2)),
            int64_t(std::ceil(cx + w / 2)), int64_t(std::ceil(cy + h / 2))};
  b.x1 = std::max(b.x1, b.x0 + 1);
  b.y1 = std::max(b.y1, b.y0 + 1);
  return b;
}

// The part of `b` inside `area`, as an int rectangle (empty when they do not meet).
cv::Rect intersect(const WideBox& b, const cv::Rect& area) {
  const int64_t x0 = std::max<int64_t>(b.x0, area.x), y0 = std::max<int64_t>(b.y0, area.y);
  const int64_t x1 = std::min<int64_t>(b.x1, int64_t(area.x) + area.width);
  const int64_t y1 = std::min<int64_t>(b.y1, int64_t(area.y) + area.height);
  if (x1 <= x0 || y1 <= y0) return {};
  return {int(x0), int(y0), int(x1 - x0), int(y1 - y0)};
}

// OpenCV's INTER_NEAREST source index for destination index `i` of `dst` from `src` samples.
int nearest_index(int64_t i, int64_t dst, int src) {
  const double inv_scale = double(dst) / src;
  return int(std::min<int64_t>(int64_t(std::floor(double(i) * (1.0 / inv_scale))), src - 1));
}

// The mask of `det` (its own, or the shape the options ask for) over `region`, which lies inside
// the grown box `box`. Only `region` is ever allocated.
cv::Mat1b shape_mask(const Detection& det, const WideBox& box, const cv::Rect& region,
                     BoxShape shape) {
  const int64_t bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  if (!det.mask.empty()) {
    // Already the region's own size and place (no growth, inside the frame): as it is.
    if (det.mask.size() == region.size() && bw == region.width && bh == region.height)
      return det.mask;
    // The detector's mask stretched over the grown box (nearest neighbour, as cv::resize), read
    // only where the region is.
    std::vector<int> xs(size_t(region.width));
    for (int x = 0; x < region.width; ++x)
      xs[size_t(x)] = nearest_index(region.x + x - box.x0, bw, det.mask.cols);
    cv::Mat1b m(region.size());
    for (int y = 0; y < region.height; ++y) {
      const uchar* src =
          det.mask.ptr<uchar>(nearest_index(region.y + y - box.y0, bh, det.mask.rows));
      uchar* dst = m.ptr<uchar>(y);
      for (int x = 0; x < region.width; ++x) dst[x] = src[xs[size_t(x)]];
    }
    return m;
  }
  if (shape == BoxShape::Box) return cv::Mat1b(region.size(), 255);
  cv::Mat1b m(region.size(), 0);
  const cv::Point2f centre(float(box.x0 - region.x + (bw - 1) / 2.0),
                           float(box.y0 - region.y + (bh - 1) / 2.0));
  cv::ellipse(m, cv::RotatedRect(centre, cv::Size2f(float(bw), float(bh)), 0), 255, cv::FILLED);
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
  // Mask pixels further than the dilation radius outside the frame cannot reach it.
  const int d = o.dilate_px;
  const cv::Rect reach(-d, -d, frame.width + 2 * d, frame.height + 2 * d);
  for (const Detection& det : detections) {
    if (det.box.width <= 0 || det.box.height <= 0) continue;
    const WideBox box = scaled_about_centre(det.box, o.scale);
    cv::Rect region = intersect(box, reach);
    if (region.empty()) continue;
    cv::Mat1b mask = shape_mask(det, box, region, o.box_shape);
    if (d > 0) {
      cv::Mat1b grown(region.height + 2 * d, region.width + 2 * d, uchar(0));
      mask.copyTo(grown(cv::Rect(d, d, region.width, region.height)));
      const cv::Mat se = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * d + 1, 2 * d + 1});
      cv::dilate(grown, mask, se);
      region = cv::Rect(region.x - d, region.y - d, region.width + 2 * d, region.height + 2 * d);
    }
    const cv::Rect visible = region & frame_rect;
    if (visible.empty()) continue;
    const cv::Mat1b clipped = mask(visible - region.tl());
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
