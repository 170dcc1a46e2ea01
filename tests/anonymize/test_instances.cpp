#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "la3d/anonymize/instances.hpp"

namespace la3d {
namespace {

Detection box_det(cv::Rect r) {
  return Detection{"person", 1, 0.9f, r, {}};
}

TEST(Instances, BoxBecomesFilledMaskWithTightBox) {
  const auto inst = make_instances(std::vector{box_det({10, 20, 30, 40})}, {100, 100}, {});
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst[0].box, cv::Rect(10, 20, 30, 40));
  EXPECT_EQ(inst[0].area, 30 * 40);
  EXPECT_EQ(cv::countNonZero(inst[0].mask), 30 * 40);
}

TEST(Instances, ClippedToTheFrameAndEmptyOnesDropped) {
  const std::vector dets{box_det({-10, -5, 30, 20}), box_det({200, 200, 10, 10}),
                         box_det({5, 5, 0, 7})};
  const auto inst = make_instances(dets, {100, 50}, {});
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst[0].box, cv::Rect(0, 0, 20, 15));
  EXPECT_EQ(inst[0].area, 20 * 15);
}

TEST(Instances, EllipseIsInscribedInTheBox) {
  MaskOptions o;
  o.box_shape = BoxShape::Ellipse;
  const auto inst = make_instances(std::vector{box_det({10, 10, 41, 21})}, {100, 100}, o);
  ASSERT_EQ(inst.size(), 1u);
  const cv::Mat1b& m = inst[0].mask;
  // Its area is close to pi*a*b (rasterised edges add a little), well below the box's; corners out.
  EXPECT_NEAR(inst[0].area, CV_PI * 20.5 * 10.5, 0.1 * CV_PI * 20.5 * 10.5);
  EXPECT_LT(inst[0].area, 0.85 * 41 * 21);
  const cv::Point off = inst[0].box.tl() - cv::Point(10, 10);
  EXPECT_EQ(m(cv::Point(0, 0) - off), 0);
  EXPECT_EQ(m(cv::Point(20, 10) - off), 255);
  EXPECT_TRUE(cv::Rect(10, 10, 41, 21).contains(inst[0].box.tl()));
}

TEST(Instances, ScaleGrowsAboutTheCentre) {
  MaskOptions o;
  o.scale = 1.5;
  const auto inst = make_instances(std::vector{box_det({40, 40, 20, 20})}, {200, 200}, o);
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst[0].box, cv::Rect(35, 35, 30, 30));
}

TEST(Instances, DilationGrowsTheMaskByPixels) {
  MaskOptions o;
  o.dilate_px = 3;
  cv::Mat1b m(10, 10, uchar(0));
  m(5, 5) = 255;  // one pixel inside a 10x10 box at (20, 20)
  Detection d{"person", 1, 1.f, {20, 20, 10, 10}, m};
  const auto inst = make_instances(std::vector{d}, {100, 100}, o);
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst[0].box, cv::Rect(22, 22, 7, 7));  // the pixel at (25, 25) grown by 3 on each side
  // An elliptical (disc) element: the corners of the 7x7 square are not reached.
  EXPECT_EQ(inst[0].mask(0, 0), 0);
  EXPECT_EQ(inst[0].mask(3, 0), 255);
}

TEST(Instances, InstanceMaskGivesItsOwnTightBox) {
  cv::Mat1b m(20, 20, uchar(0));
  cv::rectangle(m, cv::Rect(5, 6, 4, 3), 255, cv::FILLED);
  Detection d{"person", 1, 1.f, {50, 50, 20, 20}, m};
  const auto inst = make_instances(std::vector{d}, {100, 100}, {});
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst[0].box, cv::Rect(55, 56, 4, 3));
  EXPECT_EQ(inst[0].area, 12);
}

TEST(Instances, HugeBoxesAreClippedBeforeAnyMaskIsBuilt) {
  // A mask at box size would be 4e18 bytes: only the part inside the frame may be allocated.
  for (BoxShape shape : {BoxShape::Box, BoxShape::Ellipse}) {
    MaskOptions o;
    o.box_shape = shape;
    o.scale = 10;
    o.dilate_px = 2;
    const auto inst = make_instances(
        std::vector{box_det({-1000000000, -1000000000, 2000000000, 2000000000})}, {100, 80}, o);
    ASSERT_EQ(inst.size(), 1u);
    EXPECT_EQ(inst[0].box, cv::Rect(0, 0, 100, 80));
    EXPECT_EQ(inst[0].area, 100 * 80);
  }
}

TEST(Instances, ScaledMaskMatchesTheWholeResizeInsideTheFrame) {
  // The detector's mask stretched only where the frame is equals cv::resize of the whole, cropped.
  cv::Mat1b m(17, 13);
  cv::RNG(3).fill(m, cv::RNG::UNIFORM, 0, 2);
  m *= 255;
  Detection d{"person", 1, 1.f, {-4, 30, 13, 17}, m};
  MaskOptions o;
  o.scale = 3.3;
  const auto inst = make_instances(std::vector{d}, {40, 50}, o);
  ASSERT_EQ(inst.size(), 1u);
  // Independently: the grown box, a full cv::resize, pasted onto a large canvas, cropped.
  const double cx = -4 + 6.5, cy = 30 + 8.5, w = 13 * 3.3, h = 17 * 3.3;
  const int x0 = int(std::floor(cx - w / 2)), y0 = int(std::floor(cy - h / 2));
  const int x1 = int(std::ceil(cx + w / 2)), y1 = int(std::ceil(cy + h / 2));
  cv::Mat1b big;
  cv::resize(m, big, {x1 - x0, y1 - y0}, 0, 0, cv::INTER_NEAREST);
  cv::Mat1b canvas(300, 300, uchar(0));
  big.copyTo(canvas(cv::Rect(x0 + 100, y0 + 100, big.cols, big.rows)));
  const cv::Mat1b expected = canvas(cv::Rect(100, 100, 40, 50));
  cv::Mat1b got(50, 40, uchar(0));
  inst[0].mask.copyTo(got(inst[0].box));
  EXPECT_EQ(cv::norm(got, expected, cv::NORM_INF), 0);
}

TEST(Instances, OptionValidation) {
  MaskOptions o;
  EXPECT_TRUE(validate(o).ok());
  o.scale = 0;
  EXPECT_FALSE(validate(o).ok());
  o = {};
  o.dilate_px = -1;
  EXPECT_FALSE(validate(o).ok());
}

}  // namespace
}  // namespace la3d
