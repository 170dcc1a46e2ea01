// Each AN method against a plain whole-frame implementation of its definition, written here
// from an-methods.md: la3d's ROI shortcuts must give exactly the same pixels.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "la3d/anonymize/anonymizer.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using test::instance_from_full_mask;
using test::textured_frame;

cv::Mat1b full_of(const Instance& inst, cv::Size frame) {
  cv::Mat1b m(frame, uchar(0));
  inst.mask.copyTo(m(inst.box));
  return m;
}

// Baselines: one whole-frame image X, and pixels in the union U take X.
cv::Mat composite(const cv::Mat& F, const cv::Mat& X, const std::vector<Instance>& inst) {
  cv::Mat out = F.clone();
  for (const auto& i : inst) X.copyTo(out, full_of(i, F.size()));
  return out;
}

cv::Mat ref_baseline(const cv::Mat& F, const std::vector<Instance>& inst, const AnParams& p) {
  cv::Mat X;
  switch (p.method) {
    case Method::Mask:
      X = F.clone();
      X.forEach<cv::Vec3b>([&](cv::Vec3b& px, const int*) {
        for (int c = 0; c < 3; ++c)
          px[c] = uchar(std::lround((1 - p.mask_alpha) * px[c] + p.mask_alpha * p.mask_colour[c]));
      });
      break;
    case Method::Edge: {
      cv::Mat g, e;
      cv::cvtColor(F, g, cv::COLOR_BGR2GRAY);
      cv::Canny(g, e, p.canny_low, p.canny_high);
      cv::cvtColor(e, X, cv::COLOR_GRAY2BGR);
      break;
    }
    case Method::Blur:
      cv::GaussianBlur(F, X, {13, 13}, 10, 10);
      break;
    case Method::Pixelization: {
      const int dx = F.cols <= 4 ? F.cols : 4, dy = F.rows <= 4 ? F.rows : 4;
      cv::Mat S;
      cv::resize(F, S, {F.cols / dx, F.rows / dy}, 0, 0, cv::INTER_LINEAR);
      cv::resize(S, X, F.size(), 0, 0, cv::INTER_NEAREST);
      break;
    }
    default:
      ADD_FAILURE() << "not a baseline";
  }
  return composite(F, X, inst);
}

int odd(int k) {
  return std::max(1, k % 2 == 0 ? k - 1 : k);
}

// Adaptive: per instance, in order, its crop of the ORIGINAL frame as an isolated image.
cv::Mat ref_adaptive(const cv::Mat& F, const std::vector<Instance>& inst, const AnParams& p) {
  cv::Mat out = F.clone();
  for (const auto& i : inst) {
    cv::Mat C = F(i.box).clone(), R;
    const int w = C.cols, h = C.rows;
    const int s = std::max(1, int(std::floor(100.0 * i.area / (F.cols * F.rows))));
    const double r = p.an_scale * std::max(1.0, std::log(double(s)));
    const double am = p.an_scale, ad = p.an_bound;
    if (p.method == Method::AdaptiveBlur || p.method == Method::AdaptiveFullBlur) {
      const int cap = int(std::max(r * 13, am * 13));
      const int kx = odd(std::min(std::max(int(ad * w), 1), cap)),
                ky = odd(std::min(std::max(int(ad * h), 1), cap));
      double sx = std::min(10, kx);
      if (p.method == Method::AdaptiveFullBlur) sx = std::min(int(std::max(r * 10, am * 10)), kx);
      // The reference's Python call leaves sigmaY at 0, so OpenCV uses sigma_x for y as well.
      cv::GaussianBlur(C, R, {kx, ky}, sx, sx);
    } else if (p.method == Method::AdaptiveMaxBlur) {
      cv::GaussianBlur(C, R, {odd(w), odd(h)}, 0, 0);
    } else {
      cv::Size small(1, 1);
      if (p.method == Method::AdaptivePixelization) {
        const int t = int(std::max(r * 4, am * 4));
        small = {w / std::min(std::max(int(ad * w), 1), t),
                 h / std::min(std::max(int(ad * h), 1), t)};
      }
      cv::Mat S;
      cv::resize(C, S, small, 0, 0, cv::INTER_LINEAR);
      cv::resize(S, R, C.size(), 0, 0, cv::INTER_NEAREST);
    }
    R.copyTo(out(i.box), i.mask);
  }
  return out;
}

cv::Mat reference(const cv::Mat& F, const std::vector<Instance>& inst, const AnParams& p) {
  if (p.method == Method::NoAn) return F.clone();
  return is_adaptive(p.method) ? ref_adaptive(F, inst, p) : ref_baseline(F, inst, p);
}

// Instances of several shapes: overlapping, touching every border, a thin one, an ellipse.
std::vector<Instance> scene(cv::Size sz) {
  std::vector<Instance> out;
  auto add = [&](auto draw) {
    cv::Mat1b m(sz, uchar(0));
    draw(m);
    if (cv::countNonZero(m)) out.push_back(instance_from_full_mask(m));
  };
  add([&](cv::Mat1b& m) {
    cv::rectangle(m, cv::Rect(sz.width / 5, sz.height / 6, sz.width / 5, sz.height * 2 / 3), 255,
                  cv::FILLED);
  });
  add([&](cv::Mat1b& m) {
    cv::ellipse(m, {sz.width / 3, sz.height / 2}, {sz.width / 8 + 1, sz.height / 4 + 1}, 0, 0, 360,
                255, cv::FILLED);
  });
  add([&](cv::Mat1b& m) {
    cv::rectangle(m, cv::Rect(0, 0, sz.width / 6 + 1, sz.height / 3 + 1), 255, cv::FILLED);
  });
  add([&](cv::Mat1b& m) {
    cv::rectangle(m, cv::Rect(sz.width * 3 / 4, sz.height / 2, sz.width, sz.height), 255,
                  cv::FILLED);
  });
  add([&](cv::Mat1b& m) { cv::line(m, {sz.width / 2, 0}, {sz.width / 2, sz.height - 1}, 255, 1); });
  add([&](cv::Mat1b& m) {
    cv::circle(m, {sz.width * 3 / 5, sz.height / 3}, std::max(1, sz.height / 3), 255, cv::FILLED);
  });
  return out;
}

struct Case {
  Method method;
  cv::Size size;
};

class MethodMatchesDefinition : public ::testing::TestWithParam<Case> {};

TEST_P(MethodMatchesDefinition, PixelExact) {
  const auto [method, size] = GetParam();
  const cv::Mat F = textured_frame(size, unsigned(size.width * 31 + int(method)));
  const auto inst = scene(size);
  AnParams p;
  p.method = method;
  p.strength_reference = {};  // LA3D's pixel semantics: the definition's exact outputs
  cv::Mat got = F.clone();
  ASSERT_TRUE(Anonymizer(p).apply(got, inst).ok());
  const cv::Mat want = reference(F, inst, p);
  EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0) << method_name(method) << " at " << size;
  // Outside the union nothing moves; inside, everything but no-an changes something.
  cv::Mat1b U(size, uchar(0));
  for (const auto& i : inst) U(i.box).setTo(255, i.mask);
  cv::Mat diff;
  cv::absdiff(got, F, diff);
  cv::Mat outside;
  diff.copyTo(outside, ~U);
  EXPECT_EQ(cv::norm(outside, cv::NORM_INF), 0);
  if (method != Method::NoAn && size.area() > 100) {
    EXPECT_GT(cv::norm(diff, cv::NORM_L1), 0);
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (const auto& m : all_methods())
    for (cv::Size s : {cv::Size(320, 240), cv::Size(321, 243), cv::Size(642, 482), cv::Size(37, 23),
                       cv::Size(3, 3)})
      out.push_back({m.method, s});
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllMethods, MethodMatchesDefinition, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           std::string n(method_name(info.param.method));
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n + "_" + std::to_string(info.param.size.width) + "x" +
                                  std::to_string(info.param.size.height);
                         });

TEST(Methods, MaskAlphaAndColourBlendWithRounding) {
  const cv::Mat F(4, 4, CV_8UC3, cv::Scalar(100, 101, 3));
  cv::Mat1b m(4, 4, uchar(0));
  m(1, 1) = 255;
  AnParams p;
  p.method = Method::Mask;
  p.mask_alpha = 0.5;
  p.mask_colour = {0, 255, 4};  // BGR
  cv::Mat got = F.clone();
  ASSERT_TRUE(Anonymizer(p).apply(got, std::vector{instance_from_full_mask(m)}).ok());
  // 0.5*100 + 0 = 50; 0.5*101 + 127.5 = 178; 0.5*3 + 2 = 3.5 -> 4 (half away from zero). No +1
  // gamma.
  EXPECT_EQ(got.at<cv::Vec3b>(1, 1), cv::Vec3b(50, 178, 4));
  EXPECT_EQ(got.at<cv::Vec3b>(0, 0), cv::Vec3b(100, 101, 3));
}

// A narrow person (k_x = 5 < sigma0 = 10 < k_y): sigma_y follows sigma_x as in LA3D's call, which
// differs visibly from clipping sigma_y by k_y on its own.
TEST(Methods, AdaptiveBlurSigmaYFollowsSigmaX) {
  const cv::Mat F = test::textured_frame({320, 240}, 5);
  cv::Mat1b full(F.size(), uchar(0));
  full(cv::Rect(100, 50, 12, 40)).setTo(255);
  const std::vector<Instance> inst{test::instance_from_full_mask(full)};
  for (Method m : {Method::AdaptiveBlur, Method::AdaptiveFullBlur}) {
    AnParams p;
    p.method = m;
    cv::Mat out = F.clone();
    ASSERT_TRUE(Anonymizer(p).apply(out, inst).ok());
    cv::Mat same, clipped;
    cv::GaussianBlur(F(cv::Rect(100, 50, 12, 40)).clone(), same, {5, 13}, 5, 5);
    cv::GaussianBlur(F(cv::Rect(100, 50, 12, 40)).clone(), clipped, {5, 13}, 5, 10);
    EXPECT_EQ(cv::norm(out(cv::Rect(100, 50, 12, 40)), same, cv::NORM_INF), 0) << method_name(m);
    EXPECT_GT(cv::norm(same, clipped, cv::NORM_INF), 0);
  }
}

TEST(Methods, AdaptiveReadsOriginalPixelsWhereMasksOverlap) {
  // Two overlapping instances: the later one wins, and it is computed from the original frame.
  const cv::Mat F = textured_frame({120, 90});
  cv::Mat1b a(F.size(), uchar(0)), b(F.size(), uchar(0));
  cv::rectangle(a, cv::Rect(10, 10, 60, 60), 255, cv::FILLED);
  cv::rectangle(b, cv::Rect(40, 20, 60, 60), 255, cv::FILLED);
  const std::vector<Instance> inst{instance_from_full_mask(a), instance_from_full_mask(b)};
  AnParams p;
  p.method = Method::AdaptiveMaxPixelization;
  cv::Mat got = F.clone();
  ASSERT_TRUE(Anonymizer(p).apply(got, inst).ok());
  cv::Mat one;
  cv::resize(F(cv::Rect(40, 20, 60, 60)), one, {1, 1}, 0, 0, cv::INTER_LINEAR);
  EXPECT_EQ(got.at<cv::Vec3b>(50, 50), one.at<cv::Vec3b>(0, 0));  // overlap takes b's colour
  cv::Mat first;
  cv::resize(F(cv::Rect(10, 10, 60, 60)), first, {1, 1}, 0, 0, cv::INTER_LINEAR);
  EXPECT_EQ(got.at<cv::Vec3b>(15, 15), first.at<cv::Vec3b>(0, 0));
}

TEST(Methods, NoInstancesLeaveTheFrameUntouched) {
  const cv::Mat F = textured_frame({64, 48});
  for (const auto& m : all_methods()) {
    AnParams p;
    p.method = m.method;
    cv::Mat got = F.clone();
    ASSERT_TRUE(Anonymizer(p).apply(got, {}).ok());
    EXPECT_EQ(cv::norm(got, F, cv::NORM_INF), 0) << m.name;
  }
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// The ROI shortcuts of blur and pixelization depend on OpenCV internals; check them over many
// random frame sizes and boxes, against the whole-frame definition.
TEST(Methods, RoiShortcutsMatchWholeFrameOnRandomScenes) {
  cv::RNG rng(2024);
  for (int trial = 0; trial < 60; ++trial) {
    const cv::Size size(rng.uniform(1, 700), rng.uniform(1, 500));
    const cv::Mat F = test::textured_frame(size, trial);
    std::vector<Instance> inst;
    for (int k = rng.uniform(1, 6); k > 0; --k) {
      cv::Mat1b m(size, uchar(0));
      const cv::Point a(rng.uniform(0, size.width), rng.uniform(0, size.height));
      const cv::Point b(rng.uniform(0, size.width), rng.uniform(0, size.height));
      cv::rectangle(m, a, b, 255, cv::FILLED);
      inst.push_back(test::instance_from_full_mask(m));
    }
    for (Method method : {Method::Blur, Method::Pixelization, Method::Mask, Method::Edge}) {
      AnParams p;
      p.method = method;
      p.strength_reference = {};
      p.blur_kernel = 2 * rng.uniform(0, 12) + 1;
      p.pixel_block = rng.uniform(1, 9);
      cv::Mat got = F.clone();
      ASSERT_TRUE(Anonymizer(p).apply(got, inst).ok());
      cv::Mat X;
      if (method == Method::Blur) {
        cv::GaussianBlur(F, X, {p.blur_kernel, p.blur_kernel}, p.blur_sigma, p.blur_sigma);
      } else if (method == Method::Pixelization) {
        const int dx = F.cols <= p.pixel_block ? F.cols : p.pixel_block;
        const int dy = F.rows <= p.pixel_block ? F.rows : p.pixel_block;
        cv::Mat S;
        cv::resize(F, S, {F.cols / dx, F.rows / dy}, 0, 0, cv::INTER_LINEAR);
        cv::resize(S, X, F.size(), 0, 0, cv::INTER_NEAREST);
      } else if (method == Method::Mask) {
        X = cv::Mat(F.size(), CV_8UC3, cv::Scalar::all(0));
      } else {
        cv::Mat g, e;
        cv::cvtColor(F, g, cv::COLOR_BGR2GRAY);
        cv::Canny(g, e, 100, 200);
        cv::cvtColor(e, X, cv::COLOR_GRAY2BGR);
      }
      const cv::Mat want = composite(F, X, inst);
      ASSERT_EQ(cv::norm(got, want, cv::NORM_INF), 0)
          << method_name(method) << " " << size << " k=" << p.blur_kernel << " d=" << p.pixel_block;
    }
  }
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

TEST(StrengthReference, FactorIsTheSmallerRatioAndNeverBelowOne) {
  const cv::Size ref(320, 240);
  EXPECT_DOUBLE_EQ(strength_factor({640, 480}, ref), 2.0);
  EXPECT_DOUBLE_EQ(strength_factor({1920, 1080}, ref), 4.5);  // min(6, 4.5)
  EXPECT_DOUBLE_EQ(strength_factor({160, 120}, ref), 1.0);
  EXPECT_DOUBLE_EQ(strength_factor({3840, 2160}, {}), 1.0);  // none
  AnParams p;
  const AnParams big = at_frame_size(p, {1280, 960});  // factor 4
  EXPECT_EQ(big.blur_kernel, 53);                      // 52 made odd
  EXPECT_DOUBLE_EQ(big.blur_sigma, 40.0);
  EXPECT_EQ(big.pixel_block, 16);
  EXPECT_EQ(at_frame_size(p, {320, 240}).blur_kernel, 13);
  // A tiny reference cannot ask for a kernel that stalls the frame: 13 x 480 capped at 255.
  p.strength_reference = {1, 1};
  EXPECT_EQ(at_frame_size(p, {640, 480}).blur_kernel, 255);
  EXPECT_DOUBLE_EQ(at_frame_size(p, {640, 480}).blur_sigma, 4800.0);
}

// A 640x480 frame with the default reference is anonymized as LA3D would with kernel 27, sigma
// 20 and block 8 (the definition's formulas with doubled base strengths), for every method that
// has a strength.
TEST(StrengthReference, LargerFramesGetTheDefinitionWithScaledBases) {
  const cv::Size size(640, 480);
  const cv::Mat F = test::textured_frame(size, 7);
  cv::Mat1b m(size, uchar(0));
  cv::ellipse(m, {320, 250}, {60, 150}, 0, 0, 360, 255, cv::FILLED);
  const std::vector<Instance> inst{test::instance_from_full_mask(m)};
  for (Method method : {Method::Blur, Method::Pixelization, Method::AdaptiveBlur,
                        Method::AdaptiveFullBlur, Method::AdaptivePixelization}) {
    AnParams scaled;
    scaled.method = method;
    AnParams exact = scaled;
    exact.strength_reference = {};
    exact.blur_kernel = 27;
    exact.blur_sigma = 20;
    exact.pixel_block = 8;
    cv::Mat got = F.clone(), want = F.clone(), plain = F.clone();
    ASSERT_TRUE(Anonymizer(scaled).apply(got, inst).ok());
    ASSERT_TRUE(Anonymizer(exact).apply(want, inst).ok());
    AnParams la3d_pixels = scaled;
    la3d_pixels.strength_reference = {};
    ASSERT_TRUE(Anonymizer(la3d_pixels).apply(plain, inst).ok());
    EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0) << method_name(method);
    EXPECT_GT(cv::norm(got, plain, cv::NORM_INF), 0) << method_name(method);
  }
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

TEST(MethodList, AllOrNamesInOrderWithoutRepeats) {
  EXPECT_EQ(parse_method_list("all").value().size(), 10u);
  EXPECT_EQ(parse_method_list("blur,mask,blur").value(),
            (std::vector<Method>{Method::Blur, Method::Mask}));
  EXPECT_FALSE(parse_method_list("mask,frob").ok());
  EXPECT_FALSE(parse_method_list("").ok());
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// The error contract: a frame or instance the methods cannot work on is an error, never an
// OpenCV exception or a read outside the frame.
TEST(Anonymizer, RefusesFramesAndInstancesItCannotHide) {
  AnParams p;
  p.method = Method::AdaptiveBlur;
  cv::Mat1b whole(40, 40, uchar(255));
  const std::vector<Instance> inst{test::instance_from_full_mask(whole)};
  cv::Mat gray(40, 40, CV_8UC1, cv::Scalar(0));
  EXPECT_FALSE(Anonymizer(p).apply(gray, inst).ok());
  cv::Mat small(20, 20, CV_8UC3, cv::Scalar::all(0));  // the instance is 40x40
  EXPECT_FALSE(Anonymizer(p).apply(small, inst).ok());
  cv::Mat fits = test::textured_frame({40, 40});
  EXPECT_TRUE(Anonymizer(p).apply(fits, inst).ok());
  p.method = Method::NoAn;
  EXPECT_TRUE(Anonymizer(p).apply(gray, inst).ok());  // no-an touches nothing
}

}  // namespace
}  // namespace la3d
