// OpenCV 4.6's 8-bit GaussianBlur, recomputed bit for bit on only the pixels a caller needs.
//
// Why by hand: the AN methods are defined by cv::GaussianBlur's pixels (an-methods.md), but a
// call of it blurs its whole input and builds its kernel anew each time (soft-float exp per tap),
// which dominated the blur methods' cost on person-sized boxes; and for person-sized kernels
// (adaptive_max_blur) its cost grows with the kernel. OpenCV's 8-bit path is exact integer
// arithmetic: taps are 8.8 fixed point summing to exactly 1.0 (256), the row pass keeps
// sum(c * pixel) without rounding, the column pass sums c * row value with 16 fraction bits and
// rounds once ((v + 2^15) >> 16). Any order of the same integer sums gives the same bytes, so
// this file computes them over a sub-rectangle only, and for long kernels by summation by parts
// over prefix sums (a long Gaussian's fixed-point taps are a few small integers, so it has few
// steps). The taps are read back from OpenCV itself (an impulse blurred by cv::GaussianBlur) and
// checked against it on random rows before use; a kernel that does not check out is refused and
// the caller uses cv::GaussianBlur.
#pragma once

#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

namespace la3d::detail {

// One axis of OpenCV's fixed-point Gaussian: taps[i] for offsets -r..r (8.8 fixed point).
struct FixedGaussian {
  std::vector<int> taps;
  std::vector<uint16_t> taps16;  // the same, as the row pass multiplies them
  // Summation by parts: sum_i taps[i] * x[i] = sum_s weight[s] * prefix[offset[s]] where
  // prefix[j] = x[0] + ... + x[j-1]; used in a pass when it is the cheaper form there.
  std::vector<int> step_offset, step_weight;
  bool steps_in_rows = false, steps_in_columns = false;
  int radius() const { return int(taps.size()) / 2; }
};

// OpenCV's kernel for `ksize` taps and `sigma` (<= 0: derived from ksize, as OpenCV does), read
// back from cv::GaussianBlur and checked; nullptr when it could not be reproduced exactly. Cached
// (thread-safe): each distinct (ksize, sigma) asks OpenCV once.
std::shared_ptr<const FixedGaussian> fixed_gaussian(int ksize, double sigma);

// The pixels of cv::GaussianBlur(src, ..., BORDER_REFLECT_101 | BORDER_ISOLATED) inside `roi`
// (a rectangle of src), written to `dst` (roi.size(), CV_8UC3). src is CV_8UC3. Returns false,
// writing nothing, when its buffers would exceed kExactGaussianBudget (a person-sized kernel over
// a whole 4K frame needs hundreds of MB here, where cv::GaussianBlur streams rows): the caller
// then uses cv::GaussianBlur.
inline constexpr size_t kExactGaussianBudget = size_t(64) << 20;
// Whether exact_gaussian_blur's buffers for a `roi` and a column kernel of `ksize_y` taps fit the
// budget (asked before probing a kernel that would not be used).
inline bool exact_gaussian_fits(cv::Size roi, int ksize_y) {
  const size_t n = size_t(roi.width) * 3, rows = size_t(roi.height) + size_t(ksize_y / 2) * 2 + 1;
  // Row results (per source row and in column order), column prefix sums, column sums.
  return n * rows * (2 + 2 + 4) + n * size_t(roi.height) * 4 <= kExactGaussianBudget;
}
bool exact_gaussian_blur(const cv::Mat& src, cv::Rect roi, const FixedGaussian& kx,
                         const FixedGaussian& ky, cv::Mat& dst);

// cv::GaussianBlur's effective sigma for the y axis: its sigmaY, or sigmaX when that is 0.
inline double effective_sigma_y(double sigma_x, double sigma_y) {
  return sigma_y > 0 ? sigma_y : sigma_x;
}

}  // namespace la3d::detail
