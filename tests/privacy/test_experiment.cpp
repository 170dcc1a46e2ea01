// la3d experiment end to end on a small labelled set the test makes (synthetic crowds with a
// stampede segment, UCF-format labels), and the annotation readers on both datasets' formats.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/vad/vad_labels.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using json = nlohmann::json;

TEST(AnomalyLabels, ReadsUcfAndXdLines) {
  auto ucf = parse_anomaly_annotations(
      "Arrest001_x264.mp4  Arrest  5  8  -1  -1\n"
      "Normal_Videos_003_x264.mp4  Normal  -1  -1  -1  -1\n"
      "Fight2_x264.mp4 Fighting 2 3 10 11\n");
  ASSERT_TRUE(ucf.ok()) << ucf.error().message;
  EXPECT_EQ(frame_labels(ucf.value(), "Arrest001_x264", 10).value(),
            (std::vector<float>{0, 0, 0, 0, 0, 1, 1, 1, 1, 0}));  // inclusive ends
  bool listed = false;
  EXPECT_EQ(frame_labels(ucf.value(), "Normal_Videos_003_x264", 3, &listed).value(),
            (std::vector<float>{0, 0, 0}));
  EXPECT_TRUE(listed);
  EXPECT_EQ(frame_labels(ucf.value(), "Fight2_x264", 12).value(),
            (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1}));
  auto xd = parse_anomaly_annotations("Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6 0 3 6 7\n");
  ASSERT_TRUE(xd.ok()) << xd.error().message;
  EXPECT_EQ(frame_labels(xd.value(), "Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6", 9).value(),
            (std::vector<float>{1, 1, 1, 1, 0, 0, 1, 1, 0}));
  // XD-Violence lists only anomalous videos: another is normal throughout.
  EXPECT_EQ(frame_labels(xd.value(), "Other__label_A", 2, &listed).value(),
            (std::vector<float>{0, 0}));
  EXPECT_FALSE(listed);
}

TEST(AnomalyLabels, BadLinesAreRefusedByNumber) {
  const auto odd = parse_anomaly_annotations("a.mp4 Arrest 1 2\nb.mp4 Arrest 5\n");
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().message.find("line 2"), std::string::npos) << odd.error().message;
  EXPECT_FALSE(parse_anomaly_annotations("a.mp4 Arrest 9 2").ok());  // end before start
  EXPECT_FALSE(parse_anomaly_annotations("a.mp4 Arrest x y").ok());
  EXPECT_FALSE(parse_anomaly_annotations("\n\n").ok());
}

// `frames` frames at 10 fps of small squares walking over a still scene; from frame `from` on, a
// crowd of them runs (a stampede).
Status write_crowd(const std::filesystem::path& path, int frames, int from, unsigned seed) {
  cv::RNG rng(seed);
  const cv::Mat background = test::textured_frame({160, 120}, seed);
  auto sink = VideoSink::open(path, {160, 120}, {10, 1}, {});
  if (!sink) return sink.error();
  std::vector<cv::Point2d> pos, vel;
  for (int b = 0; b < 12; ++b) {
    pos.emplace_back(rng.uniform(20, 140), rng.uniform(20, 100));
    const double a = rng.uniform(0.0, 2 * M_PI);
    vel.emplace_back(std::cos(a), std::sin(a));
  }
  for (int f = 0; f < frames; ++f) {
    cv::Mat img = background.clone();
    const bool run = f >= from;
    for (int b = 0; b < (run ? 12 : 3); ++b) {
      pos[size_t(b)] += vel[size_t(b)] * (run ? 5.0 : 0.5);
      cv::Point2d& p = pos[size_t(b)];
      p.x = std::fmod(p.x + 160, 160);
      p.y = std::fmod(p.y + 120, 120);
      cv::rectangle(img, cv::Rect(cv::Point(p), cv::Size(7, 14)), cv::Scalar(20, 20, 200),
                    cv::FILLED);
    }
    if (Status s = sink.value()->write(img); !s) return s;
  }
  return sink.value()->finish();
}

TEST(Experiment, EndToEndAucEqualsEvalAndReRunsFromTheCache) {
  const std::string photo = test::kMessi;
  if (const std::string why = test::attackers_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir dir;
  std::filesystem::create_directories(dir / "photos");
  std::filesystem::copy_file(photo, dir / "photos" / "messi5.jpg");
  std::filesystem::create_directories(dir / "vad");
  ASSERT_TRUE(write_crowd(dir / "vad" / "fight1.mp4", 160, 96, 1).ok());
  ASSERT_TRUE(write_crowd(dir / "vad" / "calm1.mp4", 96, 1000, 2).ok());
  {
    std::ofstream labels(dir / "labels.txt");
    labels << "fight1.mp4  Fighting  96  159  -1  -1\ncalm1.mp4  Normal  -1  -1  -1  -1\n";
  }
  const std::string cmd =
      "experiment --privacy-set " + test::quote(dir / "photos") + " --vad-set " +
      test::quote(dir / "vad") + " --labels " + test::quote(dir / "labels.txt") +
      " --methods no-an,mask --head motion --jobs 2 -o " + test::quote(dir / "out");
  const auto r = test::la3d(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json res = json::parse(std::ifstream(dir / "out" / "results.json"));
  ASSERT_EQ(res["results"].size(), 2u);
  EXPECT_EQ(res["videos"], 2);
  EXPECT_EQ(res["frames"], 160 + 96);  // both lengths are whole snippets
  for (const json& row : res["results"]) {
    const std::string m = row["method"];
    // The AUC the experiment reports is what `la3d eval` gives for its scores and labels.
    const auto ev = test::la3d("eval " + test::quote(dir / "out" / m / "scores.npy") + " " +
                               test::quote(dir / "out" / "labels.npy") + " --json");
    ASSERT_EQ(ev.exit_code, 0) << ev.out;
    const json e = json::parse(ev.out);
    EXPECT_DOUBLE_EQ(row["roc_auc"].get<double>(), e["roc_auc"].get<double>()) << m;
    EXPECT_DOUBLE_EQ(row["ap"].get<double>(), e["ap"].get<double>()) << m;
    // The stampede is what the motion head sees, with or without the people hidden.
    EXPECT_GT(row["roc_auc"].get<double>(), 0.8) << m;
    EXPECT_TRUE(row.contains("face_rank1"));
  }
  EXPECT_DOUBLE_EQ(res["results"][0]["face_rank1"].get<double>(), 1.0);  // no-an
  const auto csv = read_file(dir / "out" / "results.csv");
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(std::count(csv->begin(), csv->end(), '\n'), 3);  // header and two methods
  const cv::Mat fig = cv::imread((dir / "out" / "tradeoff.png").string());
  EXPECT_EQ(fig.size(), cv::Size(1000, 700));
  const auto svg = read_file(dir / "out" / "tradeoff.svg");
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find(">mask<"), std::string::npos);
  // A second run finds every video x method in the cache (nothing is computed again) and gives
  // the same results; a removed result is computed again.
  const auto cached = dir / "out" / "scores" / "mask" / "fight1.npy";
  const auto stamp = std::filesystem::last_write_time(cached);
  std::filesystem::remove(dir / "out" / "scores" / "no-an" / "calm1.npy");
  const auto again = test::la3d(cmd);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(std::filesystem::last_write_time(cached), stamp);
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "scores" / "no-an" / "calm1.npy"));
  const json res2 = json::parse(std::ifstream(dir / "out" / "results.json"));
  for (size_t k = 0; k < 2; ++k)
    EXPECT_EQ(res2["results"][k]["roc_auc"], res["results"][k]["roc_auc"]);
}

TEST(Experiment, MissingLabelsOrVideosFailWithOneLine) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "vad");
  auto r = test::la3d("experiment --privacy-set " + test::quote(dir.path()) + " --vad-set " +
                      test::quote(dir / "vad") + " --labels " + test::quote(dir / "none.txt") +
                      " -o " + test::quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("none.txt"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace la3d
