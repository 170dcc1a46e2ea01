// The privacy floor: the leak measure, every method at the edges of every accepted range on the
// reference people of vtest, and the floor's tightness (one step weaker leaks).
#include <gtest/gtest.h>

#include <functional>
#include <opencv2/imgproc.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/engine/privacy_floor.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

TEST(RecoverablePsnr, UndoesBlendsButNotOpaqueMasks) {
  const cv::Mat frame = test::textured_frame({64, 48});
  const cv::Mat1b all(frame.size(), uchar(255));
  EXPECT_EQ(recoverable_psnr(frame, frame, all), 99.0);
  // A half-black blend looks hidden but is the original halved: the affine fit undoes it up to
  // rounding (error <= 1 level -> PSNR >= 48 dB).
  cv::Mat half = frame * 0.5;
  EXPECT_GT(recoverable_psnr(frame, half, all), 48.0);
  // An opaque colour explains nothing: the residual is the region's own variance per channel.
  const cv::Mat black(frame.size(), CV_8UC3, cv::Scalar::all(0));
  cv::Scalar mean, sd;
  cv::meanStdDev(frame, mean, sd);
  const double mse = (sd[0] * sd[0] + sd[1] * sd[1] + sd[2] * sd[2]) / 3;
  EXPECT_NEAR(recoverable_psnr(frame, black, all), 10 * std::log10(255.0 * 255.0 / mse), 1e-6);
}

cv::Mat reference_frame() {
  auto f = floor_reference_frame(kVtest);
  return f ? f.value() : cv::Mat();
}

class EveryMethod : public testing::TestWithParam<Method> {};

// The floor corner (every setting at its floor at once), the same with a_m at its floor-keeping
// minimum, and each setting at the top of its accepted range: no reference person leaks.
TEST_P(EveryMethod, StaysBelowTheLeakLineAtTheEdgesOfEveryRange) {
  if (GetParam() == Method::NoAn) GTEST_SKIP() << "no-an anonymizes nothing by definition";
  const cv::Mat frame = reference_frame();
  if (frame.empty()) GTEST_SKIP() << "vtest.avi (opencv-doc) is not installed at " << kVtest;
  struct Edge {
    std::string name;
    AnParams an;
    MaskOptions masks;
  };
  std::vector<Edge> edges;
  const AnParams floor = at_privacy_floor(GetParam());
  edges.push_back({"floor corner", floor, {}});
  AnParams small_am = floor;  // a_m = 1/3 with bases tripled: the same small-person kernel
  small_am.an_scale = 1.0 / 3;
  small_am.blur_kernel = 9;
  small_am.pixel_block = 6;
  small_am.blur_sigma = 3;
  edges.push_back({"a_m 1/3", small_am, {}});
  auto top = [&](const std::string& name, auto set) {
    Edge e{name, floor, {}};
    set(e.an, e.masks);
    edges.push_back(e);
  };
  top("alpha 1", [](AnParams& p, MaskOptions&) { p.mask_alpha = 1; });
  top("kernel 255", [](AnParams& p, MaskOptions&) { p.blur_kernel = 255; });
  top("sigma 100", [](AnParams& p, MaskOptions&) { p.blur_sigma = 100; });
  top("block 256", [](AnParams& p, MaskOptions&) { p.pixel_block = 256; });
  top("a_m 10", [](AnParams& p, MaskOptions&) { p.an_scale = 10; });
  top("a_d 1", [](AnParams& p, MaskOptions&) { p.an_bound = 1; });
  top("mask scale 10", [](AnParams&, MaskOptions& m) { m.scale = 10; });
  top("dilate 20", [](AnParams&, MaskOptions& m) { m.dilate_px = 20; });
  for (const Edge& e : edges) {
    ASSERT_TRUE(validate(e.an).ok()) << e.name;
    ASSERT_TRUE(weak_settings(e.an, e.masks).empty())
        << e.name << ": " << weak_settings(e.an, e.masks)[0];
    EXPECT_LT(worst_reference_psnr(frame, e.an, e.masks), kLeakPsnrDb) << e.name;
  }
}
INSTANTIATE_TEST_SUITE_P(Floor, EveryMethod, testing::ValuesIn([] {
                           std::vector<Method> m;
                           for (const MethodInfo& i : all_methods()) m.push_back(i.method);
                           return m;
                         }()),
                         [](const auto& info) {
                           std::string n(method_name(info.param));
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// The floor is where the measurement puts it: one step below each floor value, the setting is
// refused by name, and it does leak a reference person.
TEST(PrivacyFloor, OneStepWeakerIsRefusedAndLeaks) {
  const cv::Mat frame = reference_frame();
  if (frame.empty()) GTEST_SKIP() << "vtest.avi (opencv-doc) is not installed at " << kVtest;
  struct Step {
    Method method;
    std::function<void(AnParams&, MaskOptions&)> weaken;
    std::string option;
  };
  const Step steps[] = {
      {Method::Mask, [](AnParams& p, MaskOptions&) { p.mask_alpha = 0.98; }, "--alpha"},
      {Method::Blur, [](AnParams& p, MaskOptions&) { p.blur_kernel = 1; }, "--blur-kernel"},
      {Method::Blur, [](AnParams& p, MaskOptions&) { p.blur_sigma = 0.8; }, "--blur-sigma"},
      {Method::Pixelization, [](AnParams& p, MaskOptions&) { p.pixel_block = 1; }, "--block"},
      {Method::AdaptiveBlur, [](AnParams& p, MaskOptions&) { p.an_bound = 0.25; }, "--an-bound"},
      {Method::AdaptiveFullBlur, [](AnParams& p, MaskOptions&) { p.an_bound = 0.25; },
       "--an-bound"},
      {Method::AdaptiveBlur,
       [](AnParams& p, MaskOptions&) { p.blur_kernel = 2 * 1 + 1, p.an_scale = 0.5; },
       "--an-scale x --blur-kernel"},
      {Method::AdaptivePixelization, [](AnParams& p, MaskOptions&) { p.an_scale = 0.5; },
       "--an-scale"},
      {Method::Blur, [](AnParams&, MaskOptions& m) { m.scale = 0.8; }, "--mask-scale"},
  };
  for (const Step& s : steps) {
    AnParams p = at_privacy_floor(s.method);
    MaskOptions m;
    s.weaken(p, m);
    const auto weak = weak_settings(p, m);
    ASSERT_EQ(weak.size(), 1u) << s.option;
    EXPECT_EQ(weak[0].rfind(s.option, 0), 0u) << weak[0];
    EXPECT_GT(worst_reference_psnr(frame, p, m), kLeakPsnrDb) << weak[0];
  }
}

TEST(PrivacyFloor, DetectorSettingsThatMissPeople) {
  DetectOptions d;
  EXPECT_TRUE(weak_settings(d).empty());
  d.threshold = 0.9f;
  EXPECT_EQ(weak_settings(d).size(), 1u);
  d = {};
  d.classes = {3};  // car
  EXPECT_EQ(weak_settings(d).size(), 1u);
  d.classes = {kFaceClassId};
  EXPECT_TRUE(weak_settings(d).empty());
}

}  // namespace
}  // namespace la3d
