#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/vad/motion_head.hpp"
#include "la3d/vad/vad_pipeline.hpp"
#include "la3d/vad/vad_report.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

const test::fs::path kVectors = test::fs::path(LA3D_SHARED_DIR) / "vectors";

TEST(VadMetrics, RocAucEqualsThePairwiseProbability) {
  // AUC = P(score of an anomalous frame > score of a normal one) + half the ties, counted over all
  // pairs: independent of the curve construction.
  cv::RNG rng(11);
  std::vector<float> s, l;
  for (int i = 0; i < 300; ++i) {
    const bool pos = rng.uniform(0, 3) == 0;
    l.push_back(pos);
    s.push_back(float(std::round((rng.gaussian(1.0) + (pos ? 0.8 : 0.0)) * 4) / 4));  // many ties
  }
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < s.size(); ++i)
    for (size_t j = 0; j < s.size(); ++j)
      if (l[i] == 1 && l[j] == 0) {
        pairs += 1;
        wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
  auto auc = roc_auc(s, l);
  ASSERT_TRUE(auc.ok());
  EXPECT_NEAR(auc.value(), wins / pairs, 1e-12);
}

TEST(VadMetrics, ApIsTheTrapezoidUnderPrecisionRecall) {
  // Thresholds 0.9, 0.8, 0.7, 0.6 give (recall, precision) (.5, 1), (.5, .5), (1, 2/3), (1, .5);
  // from sklearn's end point (0, 1): 0.5 * 1 + 0 + 0.5 * (0.5 + 2/3) / 2 + 0 = 0.791666...
  auto ap = pr_auc({0.9f, 0.8f, 0.7f, 0.6f}, {1, 0, 1, 0});
  ASSERT_TRUE(ap.ok());
  EXPECT_NEAR(ap.value(), 0.5 + 0.25 * (0.5 + 2.0 / 3.0), 1e-12);
  EXPECT_FALSE(pr_auc({0.1f, 0.2f}, {1, 1}).ok());  // no normal frame
  EXPECT_FALSE(roc_auc({0.1f}, {1, 0}).ok());       // lengths differ
}

TEST(VadReport, FrameScoresSmoothingAndSegments) {
  EXPECT_EQ(frame_scores({0.2f, 0.7f}, 3),
            (std::vector<float>{0.2f, 0.2f, 0.2f, 0.7f, 0.7f, 0.7f}));
  // fixed:3 pads the last block with zeros; slide:2 looks forward and pads too.
  EXPECT_EQ(smooth_scores({1, 2, 3, 4}, Smoothing::Fixed, 3),
            (std::vector<float>{2, 2, 2, 4.f / 3}));
  EXPECT_EQ(smooth_scores({1, 2, 3}, Smoothing::Slide, 2), (std::vector<float>{1.5f, 2.5f, 1.5f}));
  EXPECT_FALSE(parse_smoothing("fixed").ok());
  EXPECT_EQ(parse_smoothing("slide:7")->second, 7);
  const auto seg = anomalous_segments({0.1f, 0.6f, 0.9f, 0.4f, 0.5f}, 0.5, 10);
  ASSERT_EQ(seg.size(), 2u);
  EXPECT_EQ(seg[0].start_frame, 1);
  EXPECT_EQ(seg[0].end_frame, 2);
  EXPECT_FLOAT_EQ(seg[0].peak, 0.9f);
  EXPECT_DOUBLE_EQ(seg[0].end_s, 0.3);
  EXPECT_EQ(seg[1].start_frame, 4);
  const std::string csv = frame_scores_csv({0.25f, 0.75f}, 0.5, 4);
  EXPECT_EQ(csv, "frame,time_s,score,alert\n0,0.000,0.250000,0\n1,0.250,0.750000,1\n");
}

TEST(VadReport, AlertPanelIsTheReferences) {
  cv::Mat on(240, 320, CV_8UC3, cv::Scalar::all(255)), off = on.clone();
  draw_alert_panel(on, 0.9f, true);
  draw_alert_panel(off, 0.1f, false);
  EXPECT_EQ(on.at<cv::Vec3b>(10, 104), cv::Vec3b(0, 0, 255));      // red dot (BGR)
  EXPECT_EQ(off.at<cv::Vec3b>(10, 104), cv::Vec3b(0, 255, 0));     // green dot
  EXPECT_EQ(on.at<cv::Vec3b>(17, 119), cv::Vec3b(127, 127, 127));  // panel corner
  EXPECT_EQ(on.at<cv::Vec3b>(30, 30), cv::Vec3b(255, 255, 255));   // nothing below it
}

// Snippets of `blobs` squares moving `speed` px/frame in random directions over a still scene.
std::vector<cv::Mat> crowd_snippet(int blobs, double speed, cv::RNG& rng) {
  const cv::Mat background = test::textured_frame({320, 240}, 4);
  std::vector<cv::Point2d> pos, vel;
  for (int b = 0; b < blobs; ++b) {
    pos.emplace_back(rng.uniform(40, 280), rng.uniform(40, 200));
    const double a = rng.uniform(0.0, 2 * M_PI);
    vel.emplace_back(speed * std::cos(a), speed * std::sin(a));
  }
  std::vector<cv::Mat> frames;
  for (int f = 0; f < 16; ++f) {
    cv::Mat img = background.clone();
    for (int b = 0; b < blobs; ++b)
      cv::rectangle(img, cv::Rect(cv::Point(pos[size_t(b)] + vel[size_t(b)] * f), cv::Size(14, 28)),
                    cv::Scalar(20, 20, 200), cv::FILLED);
    frames.push_back(img);
  }
  return frames;
}

TEST(MotionHead, ScoresASuddenStampedeAboveCalmWalking) {
  cv::RNG rng(5);
  MotionAnomalyHead head;
  std::vector<float> calm;
  for (int i = 0; i < 10; ++i) calm.push_back(head.score_snippet(crowd_snippet(4, 1.0, rng)));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(calm[size_t(i)], 0.f) << "warm-up snippet " << i;
  for (int i = 4; i < 10; ++i) EXPECT_LT(calm[size_t(i)], 0.5f) << "calm snippet " << i;
  const float stampede = head.score_snippet(crowd_snippet(12, 6.0, rng));
  EXPECT_GT(stampede, 0.5f);
  // The anomaly did not become the norm: calm walking still scores low after it.
  EXPECT_LT(head.score_snippet(crowd_snippet(4, 1.0, rng)), 0.5f);
}

TEST(VadPipeline, SixteenFramesThroughTheWholeFeaturePath) {
  if (!torch_available()) GTEST_SKIP() << "built without libtorch";
  if (!test::fs::exists(kVectors / "e2e")) {
    GTEST_SKIP() << "the shared reference vectors are absent (" << kVectors.string() << ")";
  }
  auto pel = make_head({HeadKind::Pel4vad, Dataset::Ucf}, formula_weights(pel4vad_schema(9), 2.0));
  auto enc = make_encoder(EncoderKind::I3dInception, formula_weights(i3d_inception_schema(), 2.0));
  ASSERT_TRUE(pel.ok() && enc.ok());
  auto scorer = SnippetScorer::learned(std::move(enc.value()), std::move(pel.value()));
  ASSERT_TRUE(scorer.ok());
  for (int i = 0; i < 16; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%02d.png", i);
    const cv::Mat bgr = cv::imread((kVectors / "preprocessing" / "frames" / name).string());
    ASSERT_FALSE(bgr.empty());
    ASSERT_TRUE(scorer.value()->add_frame(bgr).ok());
  }
  ASSERT_EQ(scorer.value()->snippets(), 1);
  auto want = read_npy(kVectors / "e2e" / "i3d_inception_10crop_features.npy");
  ASSERT_TRUE(want.ok());
  const NpyArray& got = scorer.value()->features();
  ASSERT_EQ(got.shape, want->shape);
  double worst = 0;
  for (size_t i = 0; i < got.data.size(); ++i)
    worst = std::max(worst, std::fabs(double(got.data[i]) - want->data[i]) /
                                std::max(1.0, std::fabs(double(want->data[i]))));
  EXPECT_LT(worst, 1e-4);
  auto scores = scorer.value()->score_all();
  ASSERT_TRUE(scores.ok());
  auto want_score = read_npy(kVectors / "e2e" / "pel4vad_ucf_scores.npy");
  EXPECT_NEAR(scores->at(0), want_score->data[0], 1e-5);
  // The XD heads on the same features take crops 0-4, as LA3D's 5-crop path computes them.
  auto xd = make_head({HeadKind::Pel4vad, Dataset::Xd}, formula_weights(pel4vad_schema(3), 2.0));
  auto want_xd = read_npy(kVectors / "e2e" / "pel4vad_xd_scores.npy");
  EXPECT_NEAR(xd.value()->score(got)->snippet[0], want_xd->data[0], 1e-5);
  auto mgfn = make_head({HeadKind::Mgfn, Dataset::Xd}, formula_weights(mgfn_schema(1024), 2.0));
  auto want_mgfn = read_npy(kVectors / "e2e" / "mgfn_xd_scores.npy");
  EXPECT_NEAR(mgfn.value()->score(got)->snippet[0], want_mgfn->data[0], 1e-5);
  std::cout << "e2e features worst rel " << worst << "; PEL4VAD-UCF " << scores->at(0) << " vs "
            << want_score->data[0] << "\n";
}

}  // namespace
}  // namespace la3d
