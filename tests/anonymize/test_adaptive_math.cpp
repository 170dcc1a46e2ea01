// The adaptive arithmetic against the worked example of the spec and a plain transcription of
// its formulas, written here again on purpose rather than calling la3d's.
#include <gtest/gtest.h>

#include <cmath>

#include "la3d/anonymize/anonymizer.hpp"

namespace la3d {
namespace {

struct Expect {
  int kx, ky;
  double sx, sy;
};

// Straight from the table of an-methods.md (a_m, a_d as given; k0 = 13, sigma0 = 10, b0 = 4).
int odd(int k) {
  return k % 2 == 0 ? k - 1 : k;
}
Expect ref_blur(int w, int h, double r, double am, double ad, bool full) {
  const int cap = int(std::max(r * 13, am * 13));
  const int kx = odd(std::min(std::max(int(ad * w), 1), cap));
  const int ky = odd(std::min(std::max(int(ad * h), 1), cap));
  // sigma_y is passed as 0 (the reference's positional-argument slip): OpenCV then uses sigma_x.
  if (!full) return {kx, ky, std::min(10.0, double(kx)), 0};
  const int sig = int(std::max(r * 10, am * 10));
  return {kx, ky, double(std::min(sig, kx)), 0};
}
std::pair<int, int> ref_block(int w, int h, double r, double am, double ad) {
  const int t = int(std::max(r * 4, am * 4));
  return {std::min(std::max(int(ad * w), 1), t), std::min(std::max(int(ad * h), 1), t)};
}

TEST(AdaptiveMath, WorkedExampleOfTheSpec) {
  // 20 % of 320x240, crop 60x200, a_m = 1, a_d = 0.5.
  const cv::Size frame(320, 240);
  const long long area = 320 * 240 / 5;
  const int s = strength_percent(area, frame);
  EXPECT_EQ(s, 20);
  const double g = scale_factor(s, Scaler::Ln);
  EXPECT_NEAR(g, 2.996, 1e-3);
  AnParams p;
  const double r = p.an_scale * g;
  const BlurSpec b = adaptive_blur_spec({60, 200}, r, p);
  EXPECT_EQ(b.ksize, cv::Size(29, 37));
  EXPECT_EQ(b.sigma_x, 10);
  EXPECT_EQ(b.sigma_y, 0);  // OpenCV: sigma_y = sigma_x
  const cv::Size blk = adaptive_pixel_block({60, 200}, r, p);
  EXPECT_EQ(blk, cv::Size(11, 11));
  EXPECT_EQ(60 / blk.width, 5);
  EXPECT_EQ(200 / blk.height, 18);
}

TEST(AdaptiveMath, StrengthIsIntegerPercentAtLeastOne) {
  EXPECT_EQ(strength_percent(0, {100, 100}), 1);
  EXPECT_EQ(strength_percent(199, {100, 100}), 1);  // 1.99 % -> 1
  EXPECT_EQ(strength_percent(299, {100, 100}), 2);  // floor
  EXPECT_EQ(strength_percent(10000, {100, 100}), 100);
  EXPECT_EQ(strength_percent(1920LL * 1080, {1920, 1080}), 100);  // no overflow at full HD
}

TEST(AdaptiveMath, ScalersFollowTheirFormulas) {
  const double ln100 = std::log(100.0);
  for (int s : {1, 2, 3, 7, 20, 50, 99, 100}) {
    EXPECT_DOUBLE_EQ(scale_factor(s, Scaler::Ln), std::max(1.0, std::log(double(s)))) << s;
    EXPECT_DOUBLE_EQ(scale_factor(s, Scaler::Linear), std::max(1.0, double(s))) << s;
    EXPECT_DOUBLE_EQ(scale_factor(s, Scaler::LinearNorm), std::max(1.0, ln100 / 100 * s)) << s;
    EXPECT_NEAR(scale_factor(s, Scaler::QuadraticNorm), std::max(1.0, ln100 / 10000 * s * s), 1e-12)
        << s;
    EXPECT_NEAR(scale_factor(s, Scaler::ExpNorm),
                std::max(1.0, ln100 / std::exp(100.0) * std::exp(double(s))), 1e-9)
        << s;
  }
  // 2 % or less: ln 2 < 1, base strength.
  EXPECT_EQ(scale_factor(2, Scaler::Ln), 1.0);
  EXPECT_GT(scale_factor(3, Scaler::Ln), 1.0);
  // quadratic, not XOR: 20^2 = 400 -> 0.184 -> 1; 100^2 -> ln(100) = 4.6
  EXPECT_NEAR(scale_factor(100, Scaler::QuadraticNorm), ln100, 1e-12);
}

TEST(AdaptiveMath, KernelsAndBlocksMatchTheDefinitionOverATable) {
  const cv::Size frame(640, 480);
  for (double am : {0.5, 1.0, 2.0})
    for (double ad : {0.25, 0.5, 1.0})
      for (int w : {1, 2, 3, 10, 29, 60, 200, 640})
        for (int h : {1, 4, 37, 200, 480})
          for (long long area : {100LL, 6144LL, 30000LL, 150000LL, 307200LL}) {
            AnParams p;
            p.an_scale = am;
            p.an_bound = ad;
            const double r =
                am * std::max(1.0, std::log(double(std::max(1LL, 100 * area / (640 * 480)))));
            EXPECT_NEAR(r, am * scale_factor(strength_percent(area, frame), Scaler::Ln), 1e-12);
            const Expect e = ref_blur(w, h, r, am, ad, false);
            const BlurSpec b = adaptive_blur_spec({w, h}, r, p);
            ASSERT_EQ(b.ksize, cv::Size(e.kx, e.ky))
                << w << "x" << h << " am=" << am << " ad=" << ad;
            EXPECT_EQ(b.sigma_x, e.sx);
            EXPECT_EQ(b.sigma_y, e.sy);
            const Expect ef = ref_blur(w, h, r, am, ad, true);
            const BlurSpec bf = adaptive_full_blur_spec({w, h}, r, p);
            ASSERT_EQ(bf.ksize, cv::Size(ef.kx, ef.ky));
            EXPECT_EQ(bf.sigma_x, ef.sx) << w << "x" << h << " r=" << r;
            EXPECT_EQ(bf.sigma_y, ef.sy);
            const auto [bx, by] = ref_block(w, h, r, am, ad);
            EXPECT_EQ(adaptive_pixel_block({w, h}, r, p), cv::Size(bx, by));
            EXPECT_GE(w / bx, 1);
          }
}

TEST(AdaptiveMath, FullBlurSigmaGrowsWithShare) {
  AnParams p;
  // 50 % of the frame: g = ln 50 = 3.91, sigma = int(39.1) = 39, capped by the kernel.
  const double r = scale_factor(50, Scaler::Ln);
  const BlurSpec b = adaptive_full_blur_spec({400, 400}, r, p);
  EXPECT_EQ(b.ksize, cv::Size(49, 49));  // int(50.8) = 50 -> 49
  EXPECT_EQ(b.sigma_x, 39);
  const BlurSpec small = adaptive_full_blur_spec({20, 20}, r, p);
  EXPECT_EQ(small.ksize, cv::Size(9, 9));  // int(0.5 * 20) = 10 -> 9
  EXPECT_EQ(small.sigma_x, 9);
}

TEST(AdaptiveMath, MaxBlurKernelIsTheCropMadeOdd) {
  EXPECT_EQ(max_blur_spec({60, 200}).ksize, cv::Size(59, 199));
  EXPECT_EQ(max_blur_spec({61, 1}).ksize, cv::Size(61, 1));
  EXPECT_EQ(max_blur_spec({2, 2}).ksize, cv::Size(1, 1));
  EXPECT_EQ(max_blur_spec({60, 200}).sigma_x, 0);
}

TEST(AdaptiveMath, DegenerateScaleNeverGivesAnEmptyKernelOrBlock) {
  AnParams p;
  p.an_scale = 0.01;  // int(0.13) == 0
  const BlurSpec b = adaptive_blur_spec({50, 50}, 0.01, p);
  EXPECT_EQ(b.ksize, cv::Size(1, 1));
  EXPECT_EQ(adaptive_pixel_block({50, 50}, 0.01, p), cv::Size(1, 1));
}

TEST(AdaptiveMath, ParameterValidation) {
  AnParams p;
  EXPECT_TRUE(validate(p).ok());
  p.an_bound = 1.5;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.blur_kernel = 12;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.canny_low = 300;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.mask_alpha = 1.1;
  EXPECT_FALSE(validate(p).ok());
  p = {};
  p.an_scale = 0;
  EXPECT_FALSE(validate(p).ok());
}

TEST(Methods, NamesRoundTripAndUnknownIsRejected) {
  EXPECT_EQ(all_methods().size(), 10u);
  for (const auto& m : all_methods()) {
    auto parsed = parse_method(m.name);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.value(), m.method);
    EXPECT_EQ(method_name(m.method), m.name);
  }
  auto bad = parse_method("gaussian");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("gaussian"), std::string::npos);
}

}  // namespace
}  // namespace la3d
