#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/vad/npy.hpp"
#include "la3d/vad/vad.hpp"
#include "la3d/vad/vad_encoder.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

const test::fs::path kVectors = test::fs::path(LA3D_SHARED_DIR) / "vectors";

bool have_vectors() {
  return test::fs::exists(kVectors / "encoders");
}
std::string absent() {
  return "the shared reference vectors are absent (" + kVectors.string() + ")";
}

// The MANIFEST's encoder input: x[i] = 0.5 sin(0.0123 i + 0.3).
std::vector<float> formula_clip() {
  std::vector<float> x(size_t(3) * kSnippetFrames * 224 * 224);
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = 0.0123 * double(i);
    x[i] = float(0.5 * std::sin(t + 0.3));
  }
  return x;
}

std::vector<cv::Mat> reference_frames(const std::string& dir) {
  std::vector<cv::Mat> frames;
  for (int i = 0; i < 16; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%02d.png", i);
    cv::Mat bgr = cv::imread((kVectors / "preprocessing" / dir / name).string()), rgb;
    if (bgr.empty()) return {};
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    frames.push_back(rgb);
  }
  return frames;
}

TEST(Preprocess, LanczosResizeIsPillowsBitForBit) {
  if (!have_vectors()) GTEST_SKIP() << absent();
  const auto frames = reference_frames("frames"), want = reference_frames("resized_340x256");
  ASSERT_EQ(frames.size(), 16u);
  ASSERT_EQ(want.size(), 16u);
  for (int i = 0; i < 16; ++i) {
    const cv::Mat got = pil_lanczos_resize(frames[size_t(i)], {340, 256});
    cv::Mat diff;
    cv::absdiff(got, want[size_t(i)], diff);
    EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0) << "frame " << i;
  }
}

TEST(Preprocess, TenCropsMatchLa3dForBothNormalisations) {
  if (!have_vectors()) GTEST_SKIP() << absent();
  const auto resized = reference_frames("resized_340x256");
  ASSERT_EQ(resized.size(), 16u);
  const std::vector<cv::Mat> two(resized.begin(), resized.begin() + 2);
  for (auto [kind, file] : {std::pair{EncoderKind::I3dInception, "crops10_inception_frames0-1.npy"},
                            std::pair{EncoderKind::I3dResnet50Nl, "crops10_r50_frames0-1.npy"}}) {
    auto want = read_npy(kVectors / "preprocessing" / file);
    ASSERT_TRUE(want.ok()) << want.error().message;
    EXPECT_EQ(want->shape, (std::vector<int64_t>{10, 3, 2, 224, 224}));
    EXPECT_EQ(snippet_crops(two, 10, kind), want->data) << file;
  }
}

struct EncoderCase {
  EncoderKind kind;
  const char* name;
  double gain;
};
void PrintTo(const EncoderCase& c, std::ostream* os) {
  *os << c.name;
}

class EncoderParity : public ::testing::TestWithParam<EncoderCase> {};

TEST_P(EncoderParity, StemStagesAndFeatureMatchTheReference) {
  if (!torch_available()) GTEST_SKIP() << "built without libtorch";
  if (!have_vectors()) GTEST_SKIP() << absent();
  const EncoderCase& c = GetParam();
  auto enc = make_encoder(c.kind, formula_weights(encoder_schema(c.kind), c.gain));
  ASSERT_TRUE(enc.ok()) << enc.error().message;
  EncoderTrace trace;
  const auto t0 = std::chrono::steady_clock::now();
  auto feature = enc.value()->encode(formula_clip(), 1, &trace);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(feature.ok()) << feature.error().message;
  const std::string n = c.name;
  auto want_feature = read_npy(kVectors / "encoders" / (n + "_feature.npy"));
  auto want_stem = read_npy(kVectors / "encoders" / (n + "_stem_ch0-3.npy"));
  ASSERT_TRUE(want_feature.ok() && want_stem.ok());
  auto worst = [](const std::vector<float>& a, const std::vector<float>& b) {
    double w = 0;
    for (size_t i = 0; i < a.size(); ++i)
      w = std::max(w, std::fabs(double(a[i]) - b[i]) / std::max(1.0, std::fabs(double(b[i]))));
    return w;
  };
  ASSERT_EQ(trace.stem_first4.size(), want_stem->data.size());
  ASSERT_EQ(feature->size(), want_feature->data.size());
  // The README's bounds: stems and features within 1e-4 * max(1, |value|).
  EXPECT_LT(worst(trace.stem_first4, want_stem->data), 1e-4);
  const double wf = worst(feature.value(), want_feature->data);
  EXPECT_LT(wf, 1e-4);
  // Stage means within 1e-4 relative (to the stage's largest mean, as some means are ~0).
  std::vector<std::string> files;
  for (const auto& e : test::fs::directory_iterator(kVectors / "encoders" / (n + "_stage_means")))
    files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), trace.names.size());
  double ws = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i].substr(3, files[i].size() - 7), trace.names[i]);
    auto want = read_npy(kVectors / "encoders" / (n + "_stage_means") / files[i]);
    ASSERT_TRUE(want.ok());
    double scale = 0, w = 0;
    for (float v : want->data) scale = std::max(scale, double(std::fabs(v)));
    for (size_t k = 0; k < want->data.size(); ++k)
      w = std::max(w, std::fabs(double(trace.channel_means[i][k]) - want->data[k]) / scale);
    EXPECT_LT(w, 1e-4) << files[i];
    ws = std::max(ws, w);
  }
  std::cout << n << ": feature worst rel " << wf << ", stage means worst " << ws << ", " << s
            << " s for one clip\n";
}

INSTANTIATE_TEST_SUITE_P(
    Both, EncoderParity,
    ::testing::Values(EncoderCase{EncoderKind::I3dInception, "i3d_inception", 2.0},
                      EncoderCase{EncoderKind::I3dResnet50Nl, "i3d_r50_nl", 1.5}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace la3d
