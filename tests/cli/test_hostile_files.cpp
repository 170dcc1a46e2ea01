// Every hostile input that once crashed, hung or fooled a parser (tests/fuzz/regressions/, made by
// make_regressions.py) goes through that parser here: each must give a worded error, or, for
// detections that reach outside the frame, hide what they cover. The fuzzers start from the same
// files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/vad/checkpoint.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/anonymize/instances.hpp"
#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/vad/npy.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;
const fs::path kRegressions = fs::path(LA3D_FUZZ_DIR) / "regressions";

std::vector<fs::path> cases(const std::string& target) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kRegressions / target)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string case_name(const testing::TestParamInfo<fs::path>& info) {
  std::string n = info.param.stem().string();
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

// An error is one line naming the problem, never a C++ exception's text.
void expect_worded(const Error& e) {
  EXPECT_FALSE(e.message.empty());
  EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
  for (const char* leak : {"stoll", "stoi", "bad_alloc", "out_of_range", "basic_string"})
    EXPECT_EQ(e.message.find(leak), std::string::npos) << e.message;
}

class HostileCheckpoint : public testing::TestWithParam<fs::path> {};
TEST_P(HostileCheckpoint, IsRefusedWithAWordedError) {
  auto r = read_checkpoint(GetParam());
  ASSERT_FALSE(r.ok()) << GetParam();
  expect_worded(r.error());
  EXPECT_NE(r.error().message.find(GetParam().string()), std::string::npos) << r.error().message;
}
INSTANTIATE_TEST_SUITE_P(Regressions, HostileCheckpoint, testing::ValuesIn(cases("checkpoint")),
                         case_name);

class HostileNpy : public testing::TestWithParam<fs::path> {};
TEST_P(HostileNpy, IsRefusedWithAWordedError) {
  auto r = read_npy(GetParam());
  ASSERT_FALSE(r.ok()) << GetParam();
  expect_worded(r.error());
}
INSTANTIATE_TEST_SUITE_P(Regressions, HostileNpy, testing::ValuesIn(cases("npy")), case_name);

// A detections line either is refused by name, or every object reaching into the frame hides
// what it covers: masking them black on a white frame leaves white only outside every box.
class HostileDetections : public testing::TestWithParam<fs::path> {};
TEST_P(HostileDetections, IsRefusedOrHidesWhatItCovers) {
  auto text = read_file(GetParam());
  ASSERT_TRUE(text.ok());
  auto r = parse_detections_line(text.value(), 1);
  if (!r) {
    expect_worded(r.error());
    EXPECT_NE(r.error().message.find("line 1"), std::string::npos);
    return;
  }
  cv::Mat frame(r->size, CV_8UC3, cv::Scalar::all(255));
  AnParams p;
  p.method = Method::Mask;
  const auto inst = make_instances(r->objects, frame.size(), {});
  ASSERT_EQ(inst.size(), r->objects.size()) << "an object was dropped";
  ASSERT_TRUE(Anonymizer(p).apply(frame, inst).ok());
  cv::Mat gray;
  cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  // Every case here covers the whole frame.
  EXPECT_EQ(cv::countNonZero(gray), 0);
}
INSTANTIATE_TEST_SUITE_P(Regressions, HostileDetections, testing::ValuesIn(cases("detections")),
                         case_name);

// A TF.js package as fuzz_tfjs takes it: model.json, "--weights--", the weight shard.
class HostileTfjs : public testing::TestWithParam<fs::path> {};
TEST_P(HostileTfjs, IsRefusedWithAWordedError) {
  const std::string in = read_file(GetParam()).value();
  const std::string sep = "\n--weights--\n";
  const size_t at = in.find(sep);
  const fs::path dir = fs::temp_directory_path() / ("la3d-hostile-" + std::to_string(getpid()));
  fs::create_directories(dir);
  write_file_atomically(dir / "model.json", in.substr(0, at)).value();
  write_file_atomically(dir / "w.bin", at == std::string::npos ? "" : in.substr(at + sep.size()))
      .value();
  auto r = convert_tfjs_to_onnx(dir / "model.json");
  fs::remove_all(dir);
  ASSERT_FALSE(r.ok());
  expect_worded(r.error());
}
INSTANTIATE_TEST_SUITE_P(Regressions, HostileTfjs, testing::ValuesIn(cases("tfjs")), case_name);

class HostileOnnx : public testing::TestWithParam<fs::path> {};
TEST_P(HostileOnnx, IsRefusedWithAWordedError) {
  auto r = import_onnx_for_opencv(GetParam());
  ASSERT_FALSE(r.ok());
  expect_worded(r.error());
}
INSTANTIATE_TEST_SUITE_P(Regressions, HostileOnnx, testing::ValuesIn(cases("onnx")), case_name);

// The fuzzers' seeds are valid files of each format: each parses.
TEST(FuzzSeeds, AreValidFiles) {
  for (const fs::path& p : cases("../seeds/checkpoint")) {
    auto sd = read_checkpoint(p);
    ASSERT_TRUE(sd.ok()) << sd.error().message;
    EXPECT_EQ(sd->size(), 2u) << p;
  }
  for (const fs::path& p : cases("../seeds/npy")) {
    auto a = read_npy(p);
    EXPECT_TRUE(a.ok()) << a.error().message;
  }
  for (const fs::path& p : cases("../seeds/detections")) {
    auto r = parse_detections_line(read_file(p).value(), 1);
    EXPECT_TRUE(r.ok()) << r.error().message;
  }
}

}  // namespace
}  // namespace la3d
