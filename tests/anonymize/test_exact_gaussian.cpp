// la3d's recomputation of OpenCV's 8-bit GaussianBlur against cv::GaussianBlur itself: the same
// bytes for every kernel the AN methods use (short and flat, long and derived from the size,
// non-square), on images smaller than the kernel, and on any sub-rectangle.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>

#include "anonymize/exact_gaussian.hpp"
#include "la3d/anonymize/anonymizer.hpp"
#include "test_util.hpp"

namespace la3d::detail {
namespace {

struct Case {
  std::string name;
  cv::Size ksize;
  double sigma_x, sigma_y;
  cv::Size image;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

cv::Mat random_image(cv::Size size, unsigned seed) {
  cv::Mat m(size, CV_8UC3);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < m.total() * 3; ++i) m.data[i] = uchar(rng() & 255);
  return m;
}

class ExactGaussian : public ::testing::TestWithParam<Case> {};

TEST_P(ExactGaussian, SameBytesAsOpenCvOnEveryRectangle) {
  const Case& c = GetParam();
  const auto kx = fixed_gaussian(c.ksize.width, c.sigma_x);
  const auto ky = fixed_gaussian(c.ksize.height, effective_sigma_y(c.sigma_x, c.sigma_y));
  ASSERT_TRUE(kx && ky) << "OpenCV's kernel was not reproduced";
  if (c.name.starts_with("rows_by_parts")) ASSERT_TRUE(kx->steps_in_rows) << "not the path meant";
  for (unsigned seed = 1; seed <= 3; ++seed) {
    // Random noise (every tap shows) and a textured frame (edges, flat areas).
    const cv::Mat src =
        seed == 3 ? test::textured_frame(c.image, seed) : random_image(c.image, seed);
    cv::Mat want;
    cv::GaussianBlur(src, want, c.ksize, c.sigma_x, c.sigma_y,
                     cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
    std::mt19937 rng(seed);
    std::vector<cv::Rect> rects{cv::Rect({0, 0}, c.image)};
    for (int i = 0; i < 6; ++i) {
      const int x = int(rng() % unsigned(c.image.width)), y = int(rng() % unsigned(c.image.height));
      const int w = 1 + int(rng() % unsigned(c.image.width - x));
      const int h = 1 + int(rng() % unsigned(c.image.height - y));
      rects.emplace_back(x, y, w, h);
    }
    for (const cv::Rect& roi : rects) {
      cv::Mat got;
      ASSERT_TRUE(exact_gaussian_blur(src, roi, *kx, *ky, got));
      ASSERT_EQ(got.size(), roi.size());
      EXPECT_EQ(cv::norm(got, want(roi), cv::NORM_INF), 0) << "roi " << roi << " seed " << seed;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, ExactGaussian,
    ::testing::Values(
        // blur's default and its strength-reference sizes
        Case{"k13_sigma10_vga", {13, 13}, 10, 10, {64, 48}},
        Case{"k31_sigma24_frame", {31, 31}, 24, 24, {120, 90}},
        // adaptive_blur: non-square kernel, sigma_y from sigma_x
        Case{"k29x37_sigma10", {29, 37}, 10, 0, {60, 200}},
        Case{"k5x3_sigma5", {5, 3}, 5, 0, {11, 7}},
        // adaptive_max_blur: kernel as large as the image, sigma from the size
        Case{"max_k59x179_derived", {59, 179}, 0, 0, {60, 180}},
        Case{"max_k23x59_derived", {23, 59}, 0, 0, {24, 60}},
        // kernels whose row pass also goes by summation by parts (few distinct tap values)
        Case{"rows_by_parts_k37_sigma24", {37, 37}, 24, 24, {90, 70}},
        Case{"rows_by_parts_max_k79x93_derived", {79, 93}, 0, 0, {80, 94}},
        Case{"binomial_k3_k5_derived", {3, 5}, 0, 0, {9, 9}},
        // images smaller than the kernel (reflected more than once), 1-pixel images
        Case{"kernel_wider_than_image", {13, 13}, 10, 10, {4, 3}},
        Case{"one_pixel_image", {13, 13}, 10, 10, {1, 1}},
        Case{"one_row_image", {7, 7}, 2, 2, {40, 1}},
        Case{"identity_kernel", {1, 1}, 10, 10, {8, 8}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(ExactGaussianKernel, EvenSizesAreRefusedAndKernelsSumToOne) {
  EXPECT_EQ(fixed_gaussian(4, 1.0), nullptr);
  EXPECT_EQ(fixed_gaussian(0, 1.0), nullptr);
  for (int k : {1, 3, 13, 31, 179, 255}) {
    const auto g = fixed_gaussian(k, 0);
    ASSERT_TRUE(g) << k;
    int sum = 0;
    for (int c : g->taps) sum += c;
    EXPECT_EQ(sum, 256) << k;  // 1.0 in 8.8 fixed point
    EXPECT_EQ(int(g->taps.size()), k);
  }
  // Cached: the same kernel object on a second ask.
  EXPECT_EQ(fixed_gaussian(13, 10.0).get(), fixed_gaussian(13, 10.0).get());
}

}  // namespace
}  // namespace la3d::detail

namespace la3d {
namespace {

// A box too large for the exact path's buffers (a near-full-frame person at 3000x2500) is blurred
// by cv::GaussianBlur instead: the same bytes, without hundreds of MB of scratch.
TEST(ExactGaussianBudget, TooLargeABoxFallsBackToOpenCvWithTheSameBytes) {
  const cv::Size size(3000, 2500);
  const cv::Mat frame = test::textured_frame(size, 5);
  const auto k = detail::fixed_gaussian(13, 10);
  ASSERT_TRUE(k);
  cv::Mat unused;
  EXPECT_FALSE(detail::exact_gaussian_blur(frame, cv::Rect({0, 0}, size), *k, *k, unused));
  EXPECT_TRUE(unused.empty());

  cv::Mat1b full(size, uchar(0));
  full(cv::Rect(10, 10, 2980, 2480)).setTo(255);
  AnParams p;
  p.method = Method::Blur;
  p.strength_reference = {};
  cv::Mat got = frame.clone();
  const std::vector<Instance> inst{test::instance_from_full_mask(full)};
  ASSERT_TRUE(Anonymizer(p).apply(got, inst).ok());
  cv::Mat blurred, want = frame.clone();
  cv::GaussianBlur(frame, blurred, {13, 13}, 10, 10);
  blurred.copyTo(want, full);
  EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0);
}

}  // namespace
}  // namespace la3d
