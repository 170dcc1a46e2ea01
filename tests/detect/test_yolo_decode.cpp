#include <gtest/gtest.h>

#include "detect/yolo_decode.hpp"

namespace la3d {
namespace {

// out0 [1, rows, n] with rows = 4 + 80 (+ 32): set one anchor's box and one class score.
void set_anchor(cv::Mat& out0, int a, float cx, float cy, float w, float h, int cls, float score) {
  const int n = out0.size[2];
  float* t = out0.ptr<float>();
  t[0 * n + a] = cx, t[1 * n + a] = cy, t[2 * n + a] = w, t[3 * n + a] = h;
  t[(4 + cls) * n + a] = score;
}

TEST(YoloDecode, BoxesScaleBackAndNmsAndClassFilter) {
  int dims[] = {1, 84, 3};
  cv::Mat out0(3, dims, CV_32F, cv::Scalar(0));
  set_anchor(out0, 0, 100, 50, 40, 20, 0, 0.9f);    // person
  set_anchor(out0, 1, 102, 50, 40, 20, 0, 0.8f);    // the same person again: suppressed
  set_anchor(out0, 2, 200, 200, 20, 20, 2, 0.95f);  // car (index 2), not asked for
  const YoloGeometry g{{320, 320}, 0.5, {640, 480}};
  DetectOptions o;  // person only, threshold 0.25
  const auto d = decode_yolo(out0, {}, g, o);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].label, "person");
  EXPECT_FLOAT_EQ(d[0].score, 0.9f);
  EXPECT_EQ(d[0].box, cv::Rect(160, 80, 80, 40));  // (100 -+ 20) / 0.5, (50 -+ 10) / 0.5
  o.classes = {1, 3};                              // person and car
  EXPECT_EQ(decode_yolo(out0, {}, g, o).size(), 2u);
}

TEST(YoloDecode, SegMaskIsSigmoidOfCoefficientsTimesPrototypes) {
  int dims[] = {1, 116, 1};
  cv::Mat out0(3, dims, CV_32F, cv::Scalar(0));
  set_anchor(out0, 0, 160, 100, 40, 40, 0, 0.9f);  // frame box x 280..360, y 160..240
  out0.ptr<float>()[4 + 80] = 1.f;                 // coefficient 0 = 1, the others 0
  int pdims[] = {1, 32, 80, 80};
  cv::Mat protos(4, pdims, CV_32F, cv::Scalar(0));
  cv::Mat p0(80, 80, CV_32F, protos.ptr<float>());
  p0.colRange(0, 40).setTo(5.f);  // prototype 0: positive on the left half of the input
  p0.colRange(40, 80).setTo(-5.f);
  const YoloGeometry g{{320, 320}, 0.5, {640, 480}};
  const auto d = decode_yolo(out0, protos, g, DetectOptions{});
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(d[0].mask.size(), d[0].box.size());
  // Left of frame x = 320 (input x = 160, prototype column 40) is inside, right of it outside.
  const int x_edge = 320 - d[0].box.x;
  EXPECT_EQ(d[0].mask(20, x_edge - 3), 255);
  EXPECT_EQ(d[0].mask(20, x_edge + 3), 0);
  EXPECT_NEAR(cv::countNonZero(d[0].mask), x_edge * d[0].box.height, 2 * d[0].box.height);

  p0.setTo(-5.f);  // an empty mask falls back to the whole box
  const auto empty = decode_yolo(out0, protos, g, DetectOptions{});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(empty[0].mask.empty());
}

}  // namespace
}  // namespace la3d
