// `la3d vad`, `score`, `features` and `eval` end to end, on clips made here with ffmpeg.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "la3d/vad/npy.hpp"
#include "la3d/vad/vad.hpp"
#include "test_util.hpp"

namespace la3d::test {
namespace {

const fs::path kVectors = fs::path(LA3D_SHARED_DIR) / "vectors";

void make_clip(const fs::path& path, int frames) {
  const auto r =
      run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=160x120:rate=10 -frames:v " +
          std::to_string(frames) + " -c:v libx264 -pix_fmt yuv420p " + quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.out;
}

int count_frames(const fs::path& video, cv::Size* size = nullptr) {
  cv::VideoCapture cap(video.string());
  int n = 0;
  for (cv::Mat f; cap.read(f); ++n)
    if (size) *size = f.size();
  return n;
}

TEST(CliVad, MotionHeadWritesScoresSegmentsPlotAndTheAnnotatedVideo) {
  TempDir d;
  make_clip(d / "clip.mp4", 50);
  const auto r =
      la3d("vad " + quote(d / "clip.mp4") + " --head motion --method mask --detections " +
           quote(d / "none.jsonl") + " -o " + quote(d / "out"));
  // No detections file exists yet: the error names it and nothing is written.
  ASSERT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists(d / "out") && !files_below(d / "out").empty());
  {
    std::ofstream f(d / "none.jsonl");
    for (int i = 0; i < 50; ++i)
      f << R"({"frame": )" << i << R"(, "width": 160, "height": 120, "objects": []})"
        << "\n";
  }
  const auto ok =
      la3d("vad " + quote(d / "clip.mp4") + " --head motion --method mask --detections " +
           quote(d / "none.jsonl") + " -o " + quote(d / "out") + " -q");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  const std::string stem = "motion_mask_imwh160x120_clip";
  // Every file written is listed on stdout, one per line.
  for (const char* suffix : {"_ad.mp4", "_ad.png", "_scores.csv", "_scores.json"})
    EXPECT_NE(ok.out.find((d / "out" / (stem + suffix)).string() + "\n"), std::string::npos)
        << suffix << "\n"
        << ok.out;
  EXPECT_EQ(files_below(d / "out"),
            (std::vector<std::string>{stem + "_ad.mp4", stem + "_ad.png", stem + "_scores.csv",
                                      stem + "_scores.json"}));
  std::ifstream js(d / "out" / (stem + "_scores.json"));
  const auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["snippets"], 3);  // floor(50 / 16)
  EXPECT_EQ(j["scored_frames"], 48);
  EXPECT_EQ(j["snippet_scores"].size(), 3u);
  ASSERT_EQ(j["frame_scores"].size(), 48u);
  EXPECT_EQ(j["frame_scores"][47], j["snippet_scores"][2]);
  EXPECT_TRUE(j["timing"].contains("encoder_per_snippet"));
  std::ifstream csv(d / "out" / (stem + "_scores.csv"));
  int lines = 0;
  for (std::string l; std::getline(csv, l);) ++lines;
  EXPECT_EQ(lines, 49);
  cv::Size size;
  EXPECT_EQ(count_frames(d / "out" / (stem + "_ad.mp4"), &size), 48);  // frames past 16N dropped
  EXPECT_EQ(size, cv::Size(320, 240));
  EXPECT_FALSE(cv::imread((d / "out" / (stem + "_ad.png")).string()).empty());

  // Streaming: one JSON event per snippet on stdout, as it completes, and nothing else there
  // (what it wrote and its summary go to stderr, here thrown away; no -q).
  const auto s = run("( " + std::string(LA3D_BINARY) + " vad " + quote(d / "clip.mp4") +
                     " --head motion --method no-an --stream --no-video -o " + quote(d / "s") +
                     " 2>/dev/null )");
  ASSERT_EQ(s.exit_code, 0) << s.out;
  std::istringstream events(s.out);
  int n = 0;
  for (std::string l; std::getline(events, l);) {
    const auto e = nlohmann::json::parse(l);
    EXPECT_EQ(e["snippet"], n);
    EXPECT_EQ(e["start_frame"], 16 * n);
    ++n;
  }
  EXPECT_EQ(n, 3);
}

TEST(CliVad, BadInputIsRefusedWithNothingWritten) {
  TempDir d;
  make_clip(d / "short.mp4", 10);
  auto r =
      la3d("vad " + quote(d / "short.mp4") + " --head motion --method no-an -o " + quote(d / "o"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("16-frame snippet"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "o") && !files_below(d / "o").empty());
  make_clip(d / "clip.mp4", 20);
  r = la3d("vad " + quote(d / "clip.mp4") + " --head pel --dataset xd --method no-an -o " +
           quote(d / "o"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find(torch_available() ? "--weights" : "libtorch"), std::string::npos) << r.out;
  r = la3d("vad " + quote(d / "clip.mp4") + " --head motion --weights x.pkl -o " + quote(d / "o"));
  EXPECT_NE(r.out.find("training-free"), std::string::npos) << r.out;
  r = la3d("vad " + quote(d / "nope.mp4") + " --head motion");
  EXPECT_NE(r.out.find("input not found"), std::string::npos) << r.out;
  const fs::path ckpt = kVectors / "checkpoints" / "pel4vad_ucf_formula.pkl";
  if (torch_available() && fs::exists(ckpt)) {
    // A checkpoint of the wrong configuration says what it is.
    r = la3d("score " + quote(kVectors / "heads" / "pel4vad_xd_N5_input.npy") +
             " --head pel --dataset xd --weights " + quote(ckpt));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.out.find("is a PEL4VAD-UCF checkpoint"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(fs::exists(d / "o"));
}

TEST(CliVad, ScoreRunsAHeadOnPublishedFeatureArrays) {
  if (!torch_available()) GTEST_SKIP() << "built without libtorch";
  if (!fs::exists(kVectors / "heads")) {
    GTEST_SKIP() << "the shared reference vectors are absent (" << kVectors.string() << ")";
  }
  TempDir d;
  // The vectors store (1, crops, N, D+1); research features are (N, crops, D+1).
  auto in = la3d::read_npy(kVectors / "heads" / "mgfn_xd_N5_input.npy");
  ASSERT_TRUE(in.ok());
  const int64_t crops = in->shape[1], n = in->shape[2], w = in->shape[3];
  NpyArray f{{n, crops, w}, std::vector<float>(in->data.size())};
  for (int64_t c = 0; c < crops; ++c)
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(in->data.begin() + (c * n + i) * w, w, f.data.begin() + (i * crops + c) * w);
  ASSERT_TRUE(write_npy(d / "feat.npy", f).ok());
  const auto r = la3d("score " + quote(d / "feat.npy") +
                      " --head mgfn --dataset xd --formula-weights -o " + quote(d / "s.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto got = la3d::read_npy(d / "s.npy");
  auto want = la3d::read_npy(kVectors / "heads" / "mgfn_xd_N5_scores.npy");
  ASSERT_TRUE(got.ok() && want.ok());
  ASSERT_EQ(got->shape, (std::vector<int64_t>{5}));
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(got->data[size_t(i)], want->data[size_t(i)], 1e-5);
  // 2048-d features offered to an XD head are named for what they fit.
  ASSERT_TRUE(
      write_npy(d / "big.npy", NpyArray{{2, 5, 2049}, std::vector<float>(2 * 5 * 2049, 0.1f)})
          .ok());
  const auto bad =
      la3d("score " + quote(d / "big.npy") + " --head pel --dataset xd --formula-weights");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("I3D ResNet-50"), std::string::npos) << bad.out;
}

TEST(CliVad, EvalComputesAucAndApOfSnippetScores) {
  TempDir d;
  // 4 snippet scores against 64 frame labels: snippets 1 and 3 anomalous, scored highest.
  ASSERT_TRUE(write_npy(d / "s.npy", NpyArray{{4}, {0.1f, 0.8f, 0.3f, 0.9f}}).ok());
  NpyArray gt{{64}, std::vector<float>(64, 0.f)};
  std::fill(gt.data.begin() + 16, gt.data.begin() + 32, 1.f);
  std::fill(gt.data.begin() + 48, gt.data.end(), 1.f);
  ASSERT_TRUE(write_npy(d / "gt.npy", gt).ok());
  auto r = run(std::string(LA3D_BINARY) + " eval " + quote(d / "s.npy") + " " +
               quote(d / "gt.npy") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["frames"], 64);
  EXPECT_DOUBLE_EQ(j["roc_auc"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["ap"].get<double>(), 1.0);
  ASSERT_TRUE(write_npy(d / "gt5.npy", NpyArray{{5}, {0, 1, 0, 1, 0}}).ok());
  EXPECT_NE(la3d("eval " + quote(d / "s.npy") + " " + quote(d / "gt5.npy")).exit_code, 0);
}

TEST(CliVad, FeaturesWritesTheSnippetArray) {
  if (!torch_available()) GTEST_SKIP() << "built without libtorch";
  TempDir d;
  make_clip(d / "clip.mp4", 17);
  const auto r = la3d("features " + quote(d / "clip.mp4") +
                      " --encoder r50 --formula-weights --crops 1 -o " + quote(d / "f.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto f = la3d::read_npy(d / "f.npy");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->shape, (std::vector<int64_t>{1, 1, 2049}));
  double sq = 0;
  for (int k = 0; k < 2048; ++k) sq += double(f->data[size_t(k)]) * f->data[size_t(k)];
  EXPECT_NEAR(f->data[2048], std::sqrt(sq), 1e-3 * std::sqrt(sq));  // the magnitude channel
}

}  // namespace
}  // namespace la3d::test
