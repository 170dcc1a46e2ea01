// `la3d serve --camera-config`: per-camera settings read, checked with the camera and field named,
// and applied over the command line's options.
#include <gtest/gtest.h>

#include "la3d/server/camera_config.hpp"

namespace la3d {
namespace {

TEST(CameraConfig, ReadsAndAppliesEachCamerasSettings) {
  auto r = parse_camera_config(R"({"cameras": {
      "gate": {"method": "mask", "head": "off", "detect_every": "2"},
      "hall": {"alert_threshold": 0.7, "an_scale": 1.5, "an_bound": 0.4,
               "detector": "centernet", "detect_threshold": 0.3}}})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EngineOptions e;
  ScorerOptions s;
  ASSERT_TRUE(apply_camera_settings(r->at("gate"), e, s));
  EXPECT_EQ(e.pipeline.an.method, Method::Mask);
  EXPECT_EQ(e.detect_every, 2);
  EXPECT_EQ(s.head, "off");
  EXPECT_EQ(s.alert_threshold, ScorerOptions{}.alert_threshold);  // not set: the command line's
  EngineOptions e2;
  ScorerOptions s2;
  ASSERT_TRUE(apply_camera_settings(r->at("hall"), e2, s2));
  EXPECT_EQ(e2.pipeline.an.method, EngineOptions{}.pipeline.an.method);
  EXPECT_DOUBLE_EQ(e2.pipeline.an.an_scale, 1.5);
  EXPECT_DOUBLE_EQ(e2.pipeline.an.an_bound, 0.4);
  EXPECT_EQ(e2.detector, "centernet");
  EXPECT_FLOAT_EQ(e2.detect.threshold, 0.3f);
  EXPECT_DOUBLE_EQ(s2.alert_threshold, 0.7);
}

struct Bad {
  const char* name;
  const char* text;
  const char* says;
};
class CameraConfigRefuses : public ::testing::TestWithParam<Bad> {};

TEST_P(CameraConfigRefuses, NamingWhatIsWrong) {
  auto r = parse_camera_config(GetParam().text);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(GetParam().says), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Files, CameraConfigRefuses,
    ::testing::Values(Bad{"NotJson", "{", "not a JSON object"},
                      Bad{"NoCameras", R"({"camera": {}})", "unknown key 'camera'"},
                      Bad{"CamerasNotObject", R"({"cameras": []})", "object of camera names"},
                      Bad{"BadName", R"({"cameras": {"a/b": {}}})", "camera name"},
                      Bad{"UnknownField", R"({"cameras": {"a": {"colour": "red"}}})", "a.colour"},
                      Bad{"BadMethod", R"({"cameras": {"a": {"method": "smudge"}}})", "a.method"},
                      Bad{"WrongType", R"({"cameras": {"a": {"an_scale": "big"}}})",
                          "a.an_scale must be a number"},
                      Bad{"OutOfRange", R"({"cameras": {"a": {"alert_threshold": -1}}})",
                          "out of range"},
                      Bad{"BadHead", R"({"cameras": {"a": {"head": "vibes"}}})", "a.head"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CameraConfig, ABadDetectEveryIsRefusedWhenApplied) {
  auto r = parse_camera_config(R"({"cameras": {"a": {"detect_every": "often"}}})");
  ASSERT_TRUE(r);
  EngineOptions e;
  ScorerOptions s;
  EXPECT_FALSE(apply_camera_settings(r->at("a"), e, s));
}

}  // namespace
}  // namespace la3d
