#include <gtest/gtest.h>

#include <cmath>

#include "la3d/vad/vad.hpp"
#include "la3d/vad/vad_weights.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

const test::fs::path kHeads = test::fs::path(LA3D_SHARED_DIR) / "vectors" / "heads";

struct Case {
  const char* file;  // prefix in shared/vectors/heads
  const char* head;
  const char* dataset;
  ModelSchema (*schema)();
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.file;
}

ModelSchema pel_ucf() {
  return pel4vad_schema(9);
}
ModelSchema pel_xd() {
  return pel4vad_schema(3);
}
ModelSchema mgfn_ucf() {
  return mgfn_schema(2048);
}
ModelSchema mgfn_xd() {
  return mgfn_schema(1024);
}

const Case kCases[] = {{"pel4vad_ucf", "pel", "ucf", pel_ucf},
                       {"pel4vad_xd", "pel", "xd", pel_xd},
                       {"mgfn_ucf", "mgfn", "ucf", mgfn_ucf},
                       {"mgfn_xd", "mgfn", "xd", mgfn_xd}};

// (1, crops, N, D+1) as the vectors store it -> (N, crops, D+1) as LA3D's predict takes it.
NpyArray snippets_first(const NpyArray& in) {
  const int64_t crops = in.shape[1], n = in.shape[2], w = in.shape[3];
  NpyArray out{{n, crops, w}, std::vector<float>(in.data.size())};
  for (int64_t c = 0; c < crops; ++c)
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(in.data.begin() + (c * n + i) * w, w, out.data.begin() + (i * crops + c) * w);
  return out;
}

class HeadParity : public ::testing::TestWithParam<Case> {};

TEST_P(HeadParity, ReproducesLa3dOnTheReferenceVectors) {
  if (!torch_available()) GTEST_SKIP() << "built without libtorch";
  if (!test::fs::exists(kHeads)) {
    GTEST_SKIP() << "the shared reference vectors are absent (" << kHeads.string() << ")";
  }
  const Case& c = GetParam();
  auto config = parse_head_config(c.head, c.dataset);
  ASSERT_TRUE(config.ok());
  auto head = make_head(config.value(), formula_weights(c.schema(), 2.0));
  ASSERT_TRUE(head.ok()) << head.error().message;
  for (int n : {37, 5}) {
    const std::string p = std::string(c.file) + "_N" + std::to_string(n) + "_";
    auto input = read_npy(kHeads / (p + "input.npy"));
    auto want = read_npy(kHeads / (p + "scores.npy"));
    auto want_crops = read_npy(kHeads / (p + "crop_scores.npy"));
    ASSERT_TRUE(input.ok() && want.ok() && want_crops.ok());
    auto got = head.value()->score(snippets_first(input.value()));
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_EQ(got->snippet.size(), size_t(n));
    double worst = 0, worst_crop = 0;
    for (int i = 0; i < n; ++i)
      worst = std::max(worst, double(std::fabs(got->snippet[size_t(i)] - want->data[size_t(i)])));
    const size_t crops = got->per_crop.size();
    ASSERT_EQ(int64_t(crops), want_crops->shape[0]);
    for (size_t k = 0; k < crops; ++k)
      for (int i = 0; i < n; ++i)
        worst_crop =
            std::max(worst_crop, double(std::fabs(got->per_crop[k][size_t(i)] -
                                                  want_crops->data[k * size_t(n) + size_t(i)])));
    // The vectors' README: scores within 1e-5, crop scores within 2e-5 (10x the spread it saw).
    EXPECT_LT(worst, 1e-5) << p;
    EXPECT_LT(worst_crop, 2e-5) << p;
    RecordProperty(p + "worst_abs", std::to_string(worst));
    std::cout << p << " worst |score diff| " << worst << ", crop " << worst_crop << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(AllConfigs, HeadParity, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.file); });

TEST(Head, LoadsTheOfficialFormatCheckpoint) {
  const auto ckpt = test::fs::path(LA3D_SHARED_DIR) / "vectors" / "checkpoints" /
                    "pel4vad_ucf_formula_cuda18style.pkl";
  if (!torch_available()) GTEST_SKIP() << "built without libtorch";
  if (!test::fs::exists(ckpt)) {
    GTEST_SKIP() << "the shared reference vectors are absent (" << ckpt.string() << ")";
  }
  auto input = read_npy(kHeads / "pel4vad_ucf_N5_input.npy");
  auto want = read_npy(kHeads / "pel4vad_ucf_N5_scores.npy");
  ASSERT_TRUE(input.ok() && want.ok());
  auto head = load_head(parse_head_config("pel", "ucf").value(), ckpt);
  ASSERT_TRUE(head.ok()) << head.error().message;
  auto got = head.value()->score(snippets_first(input.value()));
  ASSERT_TRUE(got.ok());
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(got->snippet[i], want->data[i], 1e-5);
  // The same file offered as XD: the error says what it is.
  auto wrong = load_head(parse_head_config("pel", "xd").value(), ckpt);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("is a PEL4VAD-UCF checkpoint"), std::string::npos)
      << wrong.error().message;
}

TEST(Head, WithoutMagnitudeChannelComputesIt) {
  // MGFN uses the L2 magnitude channel: features without it must score as with it.
  if (!torch_available()) GTEST_SKIP() << "built without libtorch";
  auto config = parse_head_config("mgfn", "xd");
  auto head = make_head(config.value(), formula_weights(mgfn_schema(1024), 2.0));
  ASSERT_TRUE(head.ok());
  const int n = 6, crops = 5, d = 1024;
  NpyArray with{{n, crops, d + 1}, {}}, without{{n, crops, d}, {}};
  cv::RNG rng(3);
  for (int i = 0; i < n * crops; ++i) {
    double sq = 0;
    std::vector<float> f(d);
    for (float& v : f) {
      v = float(std::fabs(rng.gaussian(0.5)));
      sq += double(v) * v;
    }
    without.data.insert(without.data.end(), f.begin(), f.end());
    f.push_back(float(std::sqrt(sq)));
    with.data.insert(with.data.end(), f.begin(), f.end());
  }
  auto a = head.value()->score(with), b = head.value()->score(without);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->snippet, b->snippet);
}

TEST(Head, RefusesWrongFeaturesAndWrongCheckpoints) {
  auto ucf = parse_head_config("pel", "ucf");
  auto head = make_head(ucf.value(), formula_weights(pel4vad_schema(9), 2.0));
  if (!torch_available()) {
    ASSERT_FALSE(head.ok());
    EXPECT_NE(head.error().message.find("libtorch"), std::string::npos);
    return;
  }
  ASSERT_TRUE(head.ok());
  auto r = head.value()->score(NpyArray{{3, 10, 2049}, std::vector<float>(3 * 10 * 2049, 0.1f)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("I3D ResNet-50"), std::string::npos) << r.error().message;
  EXPECT_FALSE(head.value()->score(NpyArray{{3, 1024}, std::vector<float>(3 * 1024)}).ok());
  // An MGFN-XD state dict offered as PEL4VAD-UCF is recognised for what it is.
  EXPECT_EQ(guess_head_config(formula_weights(mgfn_schema(1024), 2.0)), "MGFN-XD");
  EXPECT_EQ(guess_head_config(formula_weights(pel4vad_schema(3), 2.0)), "PEL4VAD-XD");
  EXPECT_FALSE(make_head(ucf.value(), formula_weights(mgfn_schema(1024), 2.0)).ok());
}

}  // namespace
}  // namespace la3d
