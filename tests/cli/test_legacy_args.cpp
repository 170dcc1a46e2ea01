#include <gtest/gtest.h>

#include "legacy_args.hpp"

namespace la3d::cli {
namespace {

TEST(LegacyArgs, ReferenceSpellingBecomesTheAnonymizeCommand) {
  const std::vector<std::string> in{
      "-a",  "an",  "-if",  "video",         "-id",    "x.mp4",  "-is",
      "320", "240", "-anm", "adaptive_blur", "-odc",   "person", "-ods",
      "320", "240", "-odt", "0.25",          "-anr",   "1.0",    "-anl",
      "0.5", "-v",  "-s",   "-od",           "results"};
  auto out = translate_legacy_args(in);
  ASSERT_TRUE(out.ok());
  const std::vector<std::string> want{"anonymize",
                                      "--input-type",
                                      "video",
                                      "--input",
                                      "x.mp4",
                                      "--input-size",
                                      "320",
                                      "240",
                                      "--method",
                                      "adaptive_blur",
                                      "--classes",
                                      "person",
                                      "--detect-size",
                                      "320",
                                      "240",
                                      "--threshold",
                                      "0.25",
                                      "--an-scale",
                                      "1.0",
                                      "--an-bound",
                                      "0.5",
                                      "-v",
                                      "-s",
                                      "--out-dir",
                                      "results",
                                      "--strength-reference",
                                      "none"};
  EXPECT_EQ(out.value(), want);
}

// The reference's spelling gets the reference's defaults: mode "an" without -a, method mask.
TEST(LegacyArgs, ReferenceSpellingGetsTheReferenceDefaults) {
  auto out = translate_legacy_args({"-if", "video", "-id", "x.mp4", "-fps", "5"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), (std::vector<std::string>{"anonymize", "--input-type", "video", "--input",
                                                   "x.mp4", "--fps", "5", "--method", "mask",
                                                   "--strength-reference", "none"}));
  auto vad = translate_legacy_args({"-a", "an-ad", "-id", "x.mp4"});
  ASSERT_TRUE(vad.ok());
  EXPECT_EQ(vad.value(),
            (std::vector<std::string>{"vad", "--head", "pel", "--dataset", "xd", "--input", "x.mp4",
                                      "--method", "mask", "--strength-reference", "none"}));
  // Our own spelling keeps our defaults.
  auto modern = translate_legacy_args({"anonymize", "x.mp4"});
  ASSERT_TRUE(modern.ok());
  EXPECT_EQ(modern.value(), (std::vector<std::string>{"anonymize", "x.mp4"}));
}

TEST(LegacyArgs, ModernArgumentsPassThrough) {
  const std::vector<std::string> in{"anonymize", "in.mp4", "--method", "mask", "-is", "64", "48"};
  auto out = translate_legacy_args(in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), (std::vector<std::string>{"anonymize", "in.mp4", "--method", "mask",
                                                   "--input-size", "64", "48"}));
}

TEST(LegacyArgs, VadModesBecomeTheVadCommand) {
  auto out = translate_legacy_args({"-a", "an-ad", "-adm", "mgfn", "-ads", "ucf", "-if", "video",
                                    "-id", "x.mp4", "-anm", "mask", "-adt", "0.4", "-odt", "0.3",
                                    "-s", "-od", "res"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), (std::vector<std::string>{
                             "vad", "--head", "mgfn", "--dataset", "ucf", "--input", "x.mp4",
                             "--method", "mask", "--threshold", "0.4", "--detect-threshold", "0.3",
                             "--out-dir", "res", "--strength-reference", "none"}));
  auto ad = translate_legacy_args({"-a", "ad", "-id", "x.mp4"});
  ASSERT_TRUE(ad.ok());
  EXPECT_EQ(ad.value(), (std::vector<std::string>{"vad", "--head", "pel", "--dataset", "xd",
                                                  "--method", "no-an", "--input", "x.mp4",
                                                  "--strength-reference", "none"}));
  EXPECT_FALSE(translate_legacy_args({"-a"}).ok());
  EXPECT_FALSE(translate_legacy_args({"-a", "dance"}).ok());
}

}  // namespace
}  // namespace la3d::cli
