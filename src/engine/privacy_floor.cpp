#include "la3d/engine/privacy_floor.hpp"

#include <fmt/format.h>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "la3d/core/coco.hpp"

namespace la3d {

double recoverable_psnr(const cv::Mat& original, const cv::Mat& anonymized, const cv::Mat1b& mask) {
  CV_Assert(original.type() == CV_8UC3 && anonymized.type() == CV_8UC3);
  CV_Assert(original.size() == anonymized.size() && mask.size() == original.size());
  double mse = 0;
  long long n = 0;
  for (int c = 0; c < 3; ++c) {
    // Sums for the least-squares line y = a x + b, y original, x anonymized.
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    n = 0;
    for (int r = 0; r < mask.rows; ++r) {
      const uchar* m = mask.ptr<uchar>(r);
      const cv::Vec3b* o = original.ptr<cv::Vec3b>(r);
      const cv::Vec3b* a = anonymized.ptr<cv::Vec3b>(r);
      for (int k = 0; k < mask.cols; ++k) {
        if (!m[k]) continue;
        const double x = a[k][c], y = o[k][c];
        sx += x, sy += y, sxx += x * x, sxy += x * y, syy += y * y;
        ++n;
      }
    }
    if (n == 0) return 0;
    const double vx = sxx / n - (sx / n) * (sx / n), vy = syy / n - (sy / n) * (sy / n);
    const double cov = sxy / n - (sx / n) * (sy / n);
    // Residual variance of the best line; a constant x explains nothing.
    mse += std::max(0.0, vx > 1e-12 ? vy - cov * cov / vx : vy);
  }
  mse /= 3;
  if (mse < 1e-10) return 99.0;  // identical up to an affine map: nothing hidden
  return 10 * std::log10(255.0 * 255.0 / mse);
}

AnParams at_privacy_floor(Method method) {
  const PrivacyFloor& f = kPrivacyFloor;
  AnParams p;
  p.method = method;
  p.mask_alpha = f.mask_alpha;
  p.blur_kernel = f.kernel;
  p.blur_sigma = f.sigma;
  p.pixel_block = f.block;
  p.an_scale = 1;
  p.an_bound = f.an_bound;
  return p;
}

Result<cv::Mat> floor_reference_frame(const std::string& vtest) {
  const FloorReference ref;
  cv::Mat raw, frame;
  try {
    cv::VideoCapture cap(vtest, cv::CAP_FFMPEG);
    for (int i = 0; i <= ref.frame; ++i)
      if (!cap.read(raw))
        return make_error("cannot read frame " + std::to_string(ref.frame) + " of " + vtest);
    cv::resize(raw, frame, ref.size, 0, 0, cv::INTER_LINEAR);
  } catch (const cv::Exception& e) {
    return make_error("cannot read " + vtest + ": " + e.what());
  }
  return frame;
}

double worst_reference_psnr(const cv::Mat& frame, const AnParams& an, const MaskOptions& masks) {
  const FloorReference ref;
  std::vector<Detection> dets;
  for (const cv::Rect& r : ref.people) dets.push_back({"person", 1, 1.f, r, {}});
  cv::Mat out = frame.clone();
  // The floor's own reference frame and boxes: an error here is a bug, and counts as a leak.
  if (!Anonymizer(an).apply(out, make_instances(dets, frame.size(), masks)).ok())
    return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (const cv::Rect& r : ref.people) {
    cv::Mat1b m(frame.size(), uchar(0));
    m(r).setTo(255);
    worst = std::max(worst, recoverable_psnr(frame, out, m));
  }
  return worst;
}

std::vector<std::string> weak_settings(const AnParams& an, const MaskOptions& masks) {
  const PrivacyFloor& f = kPrivacyFloor;
  std::vector<std::string> out;
  auto below = [&out](bool weak, const std::string& what, double value, double floor) {
    if (weak)
      out.push_back(fmt::format("{} {:g} is below the privacy floor {:g}", what, value, floor));
  };
  // What the adaptive formulas give a small person (g = 1, r = a_m), before the a_d bound.
  const int small_kernel = int(an.an_scale * an.blur_kernel);
  const int small_block = int(an.an_scale * an.pixel_block);
  const int small_sigma = int(an.an_scale * an.blur_sigma);
  switch (an.method) {
    case Method::NoAn:
      return out;
    case Method::Mask:
      below(an.mask_alpha < f.mask_alpha, "--alpha", an.mask_alpha, f.mask_alpha);
      break;
    case Method::Blur:
      below(an.blur_kernel < f.kernel, "--blur-kernel", an.blur_kernel, f.kernel);
      below(an.blur_sigma < f.sigma, "--blur-sigma", an.blur_sigma, f.sigma);
      break;
    case Method::Pixelization:
      below(an.pixel_block < f.block, "--block", an.pixel_block, f.block);
      break;
    case Method::AdaptiveBlur:
    case Method::AdaptiveFullBlur:
      below(small_kernel < f.kernel, "--an-scale x --blur-kernel (a small person's kernel)",
            small_kernel, f.kernel);
      if (an.method == Method::AdaptiveBlur)
        below(an.blur_sigma < f.sigma, "--blur-sigma", an.blur_sigma, f.sigma);
      else
        below(small_sigma < f.sigma, "--an-scale x --blur-sigma (a small person's sigma)",
              small_sigma, f.sigma);
      below(an.an_bound < f.an_bound, "--an-bound (a_d)", an.an_bound, f.an_bound);
      break;
    case Method::AdaptivePixelization:
      below(small_block < f.block, "--an-scale x --block (a small person's block)", small_block,
            f.block);
      below(an.an_bound < f.an_bound, "--an-bound (a_d)", an.an_bound, f.an_bound);
      break;
    case Method::Edge:
    case Method::AdaptiveMaxBlur:
    case Method::AdaptiveMaxPixelization:
      break;  // nothing makes these weaker: an edge map, or the whole crop as one kernel/block
  }
  below(masks.scale < f.mask_scale, "--mask-scale", masks.scale, f.mask_scale);
  return out;
}

std::vector<std::string> weak_settings(const DetectOptions& d) {
  std::vector<std::string> out;
  if (d.threshold > kPrivacyFloor.max_threshold)
    out.push_back(
        fmt::format("a detection threshold of {:g} is above the privacy floor {:g} "
                    "(people the detector finds are missed)",
                    d.threshold, kPrivacyFloor.max_threshold));
  if (!d.classes.contains(1) && !d.classes.contains(kFaceClassId))
    out.push_back("the classes hide neither person nor face");
  return out;
}

}  // namespace la3d
