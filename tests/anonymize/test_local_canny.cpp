// la3d's box-local Canny against cv::Canny over the whole frame: the same edge bytes inside every
// box, wherever the box lies (frame edges and corners included), for several thresholds, on
// images whose weak edges run far out of the boxes.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>

#include "anonymize/local_canny.hpp"
#include "test_util.hpp"

namespace la3d::detail {
namespace {

struct Case {
  std::string name;
  cv::Size size;
  double low, high;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// Smooth ramps and thin curves: long edges whose magnitude drifts between the thresholds, so
// that hysteresis has to follow them out of any box; plus noise for short, broken edges.
cv::Mat curvy_frame(cv::Size size, unsigned seed) {
  cv::Mat f = test::textured_frame(size, seed);
  std::mt19937 rng(seed);
  for (int i = 0; i < 12; ++i) {
    const cv::Point c(int(rng() % unsigned(size.width)), int(rng() % unsigned(size.height)));
    const int r = 3 + int(rng() % unsigned(std::max(4, size.width / 2)));
    const cv::Scalar colour(rng() % 256, rng() % 256, rng() % 256);
    cv::circle(f, c, r, colour, 1 + int(rng() % 3), cv::LINE_AA);
  }
  cv::Mat noise(size, CV_8UC3);
  cv::randu(noise, 0, 24);
  f += noise;
  return f;
}

class LocalCannyMatches : public ::testing::TestWithParam<Case> {};

TEST_P(LocalCannyMatches, SameEdgesAsTheWholeFrameInsideEveryBox) {
  const Case& c = GetParam();
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const cv::Mat frame = curvy_frame(c.size, seed);
    cv::Mat gray, want;
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
    cv::Canny(gray, want, c.low, c.high);
    // A frame without edges would prove little (the tiny frame is there for its borders).
    if (c.size.area() >= 100) ASSERT_GT(cv::countNonZero(want), 0);
    std::mt19937 rng(seed * 31);
    std::vector<cv::Rect> boxes{cv::Rect({0, 0}, c.size),  // the whole frame
                                cv::Rect(0, 0, 1, 1),
                                cv::Rect(c.size.width - 1, c.size.height - 1, 1, 1)};
    for (int i = 0; i < 12; ++i) {
      const int x = int(rng() % unsigned(c.size.width)), y = int(rng() % unsigned(c.size.height));
      boxes.emplace_back(x, y, 1 + int(rng() % unsigned(std::min(40, c.size.width - x))),
                         1 + int(rng() % unsigned(std::min(80, c.size.height - y))));
    }
    // One LocalCanny per frame, as the AN step uses it: boxes after the first reuse what the
    // earlier ones classified and resolved.
    LocalCanny canny(frame, c.low, c.high);
    for (const cv::Rect& box : boxes) {
      cv::Mat1b got;
      canny.edges(box, got);
      EXPECT_EQ(cv::norm(got, want(box), cv::NORM_INF), 0) << "box " << box << " seed " << seed;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Thresholds, LocalCannyMatches,
    ::testing::Values(Case{"defaults_100_200", {160, 120}, 100, 200},
                      Case{"low_thresholds_10_30", {160, 120}, 10, 30},  // long weak chains
                      Case{"fractional_thresholds", {96, 64}, 50.7, 120.2},
                      Case{"low_zero", {64, 48}, 0, 80},
                      Case{"adjacent_thresholds", {64, 48}, 99, 100},
                      Case{"tiny_frame", {3, 2}, 10, 30}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace la3d::detail
