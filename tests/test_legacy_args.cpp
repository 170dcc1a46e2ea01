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
  const std::vector<std::string> want{
      "anonymize", "--input-type", "video",         "--input",    "x.mp4",  "--input-size",  "320",
      "240",       "--method",     "adaptive_blur", "--classes",  "person", "--detect-size", "320",
      "240",       "--threshold",  "0.25",          "--an-scale", "1.0",    "--an-bound",    "0.5",
      "-v",        "-s",           "--out-dir",     "results"};
  EXPECT_EQ(out.value(), want);
}

TEST(LegacyArgs, ModernArgumentsPassThrough) {
  const std::vector<std::string> in{"anonymize", "in.mp4", "--method", "mask", "-is", "64", "48"};
  auto out = translate_legacy_args(in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), (std::vector<std::string>{"anonymize", "in.mp4", "--method", "mask",
                                                   "--input-size", "64", "48"}));
}

TEST(LegacyArgs, VadModesAreRefusedClearly) {
  auto out = translate_legacy_args({"-a", "an-ad", "-id", "x.mp4"});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("an-ad"), std::string::npos);
  EXPECT_FALSE(translate_legacy_args({"-a"}).ok());
}

}  // namespace
}  // namespace la3d::cli
