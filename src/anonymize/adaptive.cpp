// The adaptive strength arithmetic of an-methods.md, kept apart from the pixel work so that it can
// be tested as a table.
#include <algorithm>
#include <cmath>

#include "la3d/anonymize/anonymizer.hpp"

namespace la3d {
namespace {

// int() of the reference: truncation toward zero.
int trunc_int(double v) {
  return static_cast<int>(v);
}

// Kernels must be odd; the reference subtracts one from an even size. A size that degenerates to
// zero (a_m so small that int(a_m * k0) == 0) is held at 1, the identity kernel.
int make_odd(int k) {
  if (k % 2 == 0) --k;
  return std::max(k, 1);
}

int bounded_size(int crop_side, int cap, double an_bound) {
  return std::min(std::max(trunc_int(an_bound * crop_side), 1), cap);
}

}  // namespace

int strength_percent(long long mask_area, cv::Size frame) {
  const long long pixels = static_cast<long long>(frame.width) * frame.height;
  if (pixels <= 0) return 1;
  return static_cast<int>(std::max(1LL, (100 * mask_area) / pixels));
}

double scale_factor(int s, Scaler scaler) {
  const double ln100 = std::log(100.0);
  double f = 0;
  switch (scaler) {
    case Scaler::Ln:
      f = std::log(double(s));
      break;
    case Scaler::Linear:
      f = s;
      break;
    case Scaler::LinearNorm:
      f = ln100 / 100.0 * s;
      break;
    case Scaler::QuadraticNorm:
      f = ln100 / (100.0 * 100.0) * double(s) * s;
      break;
    // ln(100)/e^100 * e^s, written as one exponent so that e^100 never overflows the sum.
    case Scaler::ExpNorm:
      f = ln100 * std::exp(double(s) - 100.0);
      break;
  }
  return std::max(1.0, f);
}

BlurSpec adaptive_blur_spec(cv::Size crop, double r, const AnParams& p) {
  const int cap = trunc_int(std::max(r * p.blur_kernel, p.an_scale * p.blur_kernel));
  BlurSpec spec;
  spec.ksize.width = make_odd(bounded_size(crop.width, cap, p.an_bound));
  spec.ksize.height = make_odd(bounded_size(crop.height, cap, p.an_bound));
  spec.sigma_x = std::min(p.blur_sigma, double(spec.ksize.width));
  // LA3D's Python call passes its sigma_y where OpenCV's binding takes `dst`, so sigmaY stays 0
  // and OpenCV uses sigma_x for y too (an-methods.md). 0 here means exactly that.
  spec.sigma_y = 0;
  return spec;
}

BlurSpec adaptive_full_blur_spec(cv::Size crop, double r, const AnParams& p) {
  BlurSpec spec = adaptive_blur_spec(crop, r, p);
  const int sigma = trunc_int(std::max(r * p.blur_sigma, p.an_scale * p.blur_sigma));
  spec.sigma_x = std::min(sigma, spec.ksize.width);
  spec.sigma_y = 0;  // as in adaptive_blur_spec
  return spec;
}

BlurSpec max_blur_spec(cv::Size crop) {
  return BlurSpec{{make_odd(crop.width), make_odd(crop.height)}, 0.0, 0.0};
}

cv::Size adaptive_pixel_block(cv::Size crop, double r, const AnParams& p) {
  const int t = trunc_int(std::max(r * p.pixel_block, p.an_scale * p.pixel_block));
  // A block of 0 (t == 0 for a tiny a_m) would divide by zero; 1 leaves the crop as it is.
  return {std::max(1, bounded_size(crop.width, t, p.an_bound)),
          std::max(1, bounded_size(crop.height, t, p.an_bound))};
}

}  // namespace la3d
