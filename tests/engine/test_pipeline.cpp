#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <set>

#include "la3d/engine/pipeline.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

// Reports one fixed box, or fails on chosen frames; counts its calls.
class ScriptedDetector final : public Detector {
 public:
  ScriptedDetector(cv::Rect box, long long fail_on, int* calls)
      : box_(box), fail_on_(fail_on), calls_(calls) {}
  std::string name() const override { return "scripted"; }
  Result<std::vector<Detection>> detect(const cv::Mat&, long long index) override {
    ++*calls_;
    if (index == fail_on_) return make_error("scripted failure");
    return std::vector<Detection>{{"person", 1, 0.9f, box_, {}}};
  }

 private:
  cv::Rect box_;
  long long fail_on_;
  int* calls_;
};

TEST(Pipeline, AnonymizesOnlyTheDetectedBox) {
  int calls = 0;
  PipelineOptions o;
  o.an.method = Method::Mask;
  FramePipeline p(o, std::make_unique<ScriptedDetector>(cv::Rect(10, 10, 20, 30), -1, &calls));
  const cv::Mat F = test::textured_frame({64, 48});
  cv::Mat frame = F.clone();
  auto r = p.process(frame, 0);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->instances, 1);
  EXPECT_EQ(cv::countNonZero(frame(cv::Rect(10, 10, 20, 30)).reshape(1)), 0);
  EXPECT_EQ(cv::norm(frame(cv::Rect(30, 0, 34, 48)), F(cv::Rect(30, 0, 34, 48)), cv::NORM_INF), 0);
}

TEST(Pipeline, DetectorFailureFailsOrMasksTheWholeFrame) {
  int calls = 0;
  PipelineOptions o;
  o.an.method = Method::AdaptiveBlur;
  FramePipeline failing(o, std::make_unique<ScriptedDetector>(cv::Rect(0, 0, 5, 5), 1, &calls));
  cv::Mat frame = test::textured_frame({64, 48});
  ASSERT_TRUE(failing.process(frame, 0).ok());
  auto r = failing.process(frame, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("frame 1"), std::string::npos);

  o.on_detector_error = OnDetectorError::MaskFrame;
  FramePipeline masking(o, std::make_unique<ScriptedDetector>(cv::Rect(0, 0, 5, 5), 1, &calls));
  frame = test::textured_frame({64, 48});
  auto m = masking.process(frame, 1);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->masked_whole_frame);
  EXPECT_EQ(cv::countNonZero(frame.reshape(1)), 0);  // nothing of the frame is left to see
}

TEST(Pipeline, DetectorExceptionsAreContained) {
  class Throwing final : public Detector {
   public:
    std::string name() const override { return "throwing"; }
    Result<std::vector<Detection>> detect(const cv::Mat&, long long) override {
      throw std::runtime_error("boom");
    }
  };
  PipelineOptions o;
  FramePipeline p(o, std::make_unique<Throwing>());
  cv::Mat frame = test::textured_frame({32, 32});
  auto r = p.process(frame, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("boom"), std::string::npos);
}

TEST(Pipeline, InputResizeHappensFirstAndNoAnSkipsDetection) {
  int calls = 0;
  PipelineOptions o;
  o.an.method = Method::NoAn;
  o.input_size = cv::Size(40, 30);
  FramePipeline p(o, std::make_unique<ScriptedDetector>(cv::Rect(0, 0, 5, 5), -1, &calls));
  const cv::Mat F = test::textured_frame({80, 60});
  cv::Mat frame = F.clone();
  ASSERT_TRUE(p.process(frame, 0).ok());
  EXPECT_EQ(frame.size(), cv::Size(40, 30));
  cv::Mat want;
  cv::resize(F, want, {40, 30}, 0, 0, cv::INTER_LINEAR);
  EXPECT_EQ(cv::norm(frame, want, cv::NORM_INF), 0);
  EXPECT_EQ(calls, 0);
}

TEST(Pipeline, SecondRenderingEqualsProcessingWithThatMethod) {
  // The dashboard's side-by-side frame: the raw copy rendered with pixelization from the report of
  // a blur pass must equal a pixelization pass of its own.
  int calls = 0;
  PipelineOptions blur;
  blur.an.method = Method::Blur;
  FramePipeline p(blur, std::make_unique<ScriptedDetector>(cv::Rect(10, 10, 40, 30), -1, &calls));
  const cv::Mat raw = test::textured_frame({96, 64}, 8);
  cv::Mat frame = raw.clone(), second = raw.clone();
  auto report = p.process(frame, 0);
  ASSERT_TRUE(report.ok());
  AnParams pix = blur.an;
  pix.method = Method::Pixelization;
  ASSERT_TRUE(p.anonymize_like(second, report.value(), pix).ok());
  PipelineOptions direct = blur;
  direct.an = pix;
  FramePipeline q(direct, std::make_unique<ScriptedDetector>(cv::Rect(10, 10, 40, 30), -1, &calls));
  cv::Mat expected = raw.clone();
  ASSERT_TRUE(q.process(expected, 0).ok());
  EXPECT_EQ(cv::norm(second, expected, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(second, frame, cv::NORM_INF), 0.0);  // really another rendering
  AnParams none = blur.an;
  none.method = Method::NoAn;
  cv::Mat untouched = raw.clone();
  EXPECT_FALSE(p.anonymize_like(untouched, report.value(), none).ok());
  // A frame the detector failed on stays covered whole in the second rendering too.
  FrameReport failed;
  failed.masked_whole_frame = true;
  cv::Mat covered = raw.clone();
  ASSERT_TRUE(p.anonymize_like(covered, failed, pix).ok());
  EXPECT_EQ(cv::countNonZero(covered.reshape(1)), 0);
}

TEST(Pipeline, CheckRefusesBadOptions) {
  PipelineOptions o;
  EXPECT_FALSE(FramePipeline::check(o, nullptr).ok());  // a method that needs a detector
  o.an.method = Method::NoAn;
  EXPECT_TRUE(FramePipeline::check(o, nullptr).ok());
  o.input_size = cv::Size(0, 10);
  EXPECT_FALSE(FramePipeline::check(o, nullptr).ok());
}

TEST(Summary, MedianAndNearestRankP95) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(101 - i);
  const Summary s = summarize(v);
  EXPECT_DOUBLE_EQ(s.median, 50.5);
  EXPECT_DOUBLE_EQ(s.p95, 95);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

TEST(Tiles, CoverTheFrameWithOverlap) {
  for (int n : {2, 3, 4}) {
    const cv::Size frame(768, 576);
    const auto t = tiles(frame, n);
    ASSERT_EQ(t.size(), size_t(n * n));
    cv::Mat1b covered(frame, uchar(0));
    for (const auto& r : t) {
      EXPECT_EQ(r & cv::Rect({0, 0}, frame), r);
      covered(r).setTo(255);
    }
    EXPECT_EQ(cv::countNonZero(covered), frame.area()) << n;
    EXPECT_GT((t[0] & t[1]).area(), 0) << "neighbours overlap";
  }
  EXPECT_TRUE(tiles({100, 100}, 1).empty());
}

// Reports one box at (5, 5) of whatever image it is given.
class CornerDetector final : public Detector {
 public:
  std::string name() const override { return "corner"; }
  Result<std::vector<Detection>> detect(const cv::Mat&, long long) override {
    return std::vector<Detection>{{"person", 1, 0.9f, {5, 5, 10, 10}, {}}};
  }
};

TEST(Tiles, BoxesComeBackInFrameCoordinatesAndDuplicatesMerge) {
  auto tiled = make_tiled_detector(std::make_unique<CornerDetector>(), 2);
  const cv::Mat frame(100, 200, CV_8UC3, cv::Scalar::all(0));
  auto found = tiled->detect(frame, 0);
  ASSERT_TRUE(found.ok());
  std::set<std::pair<int, int>> corners;
  for (const auto& d : found.value()) corners.insert({d.box.x, d.box.y});
  const auto t = tiles(frame.size(), 2);
  std::set<std::pair<int, int>> want;
  for (const auto& r : t) want.insert({r.x + 5, r.y + 5});  // the whole frame's (5, 5) is tile 0's
  EXPECT_EQ(corners, want);
  EXPECT_EQ(found->size(), 4u);
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// N frames in memory, each filled with its index; fails to decode frame `fail_at` (-1: never).
class MemorySource final : public VideoSource {
 public:
  MemorySource(int n, int fail_at = -1) : n_(n), fail_at_(fail_at) {}
  Result<bool> read(cv::Mat& frame) override {
    if (next_ == fail_at_) return make_error("decode failed at " + std::to_string(next_));
    if (next_ >= n_) return false;
    frame = cv::Mat(24, 32, CV_8UC3, cv::Scalar::all(next_++ % 256));
    return true;
  }
  SourceKind kind() const override { return SourceKind::Video; }
  cv::Size size() const override { return {32, 24}; }
  Rational fps() const override { return {10, 1}; }
  long long frame_count() const override { return n_; }
  std::string description() const override { return "memory"; }
  std::string audio_url() const override { return ""; }

 private:
  int n_, fail_at_, next_ = 0;
};

FramePipeline no_an_pipeline() {
  PipelineOptions o;
  o.an.method = Method::NoAn;
  return FramePipeline(o, nullptr);
}

// What the consumer saw: each frame's index and the value its pixels carry.
struct Seen {
  std::vector<long long> index;
  std::vector<int> value;
};

// Runs the stream with a consumer that notes the last index handed on.
Result<long long> run_noting_last(VideoSource& source, FramePipeline& pipeline,
                                  const StreamOptions& o, long long& last) {
  return run_stream(
      source, pipeline,
      [&](const cv::Mat&, const FrameReport&, long long i) -> Status {
        last = i;
        return Ok{};
      },
      {}, o);
}

class Stream : public ::testing::TestWithParam<size_t> {};

// Sequential (depth 0) and overlapped runs hand on every frame, once, in order, with its pixels.
TEST_P(Stream, EveryFrameOnceInOrder) {
  MemorySource source(300);
  auto pipeline = no_an_pipeline();
  Seen seen;
  StreamOptions o;
  o.queue_depth = GetParam();
  auto n = run_stream(
      source, pipeline,
      [&](const cv::Mat& f, const FrameReport&, long long i) -> Status {
        seen.index.push_back(i);
        seen.value.push_back(f.at<cv::Vec3b>(0, 0)[0]);
        return Ok{};
      },
      {}, o);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n.value(), 300);
  ASSERT_EQ(seen.index.size(), 300u);
  for (int k = 0; k < 300; ++k) {
    EXPECT_EQ(seen.index[k], k);
    EXPECT_EQ(seen.value[k], k % 256);
  }
}

// The first error of any stage stops them all and is the result; nothing after it is handed on.
TEST_P(Stream, AnErrorInAnyStageStopsTheStream) {
  StreamOptions o;
  o.queue_depth = GetParam();
  {  // the consumer fails at frame 50
    MemorySource source(1000);
    auto pipeline = no_an_pipeline();
    long long last = -1;
    auto n = run_stream(
        source, pipeline,
        [&](const cv::Mat&, const FrameReport&, long long i) -> Status {
          last = i;
          if (i == 50) return make_error("disk full");
          return Ok{};
        },
        {}, o);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().message, "disk full");
    EXPECT_EQ(last, 50);
  }
  {  // the source fails at frame 70: frames before it may be handed on, none after
    MemorySource source(1000, 70);
    auto pipeline = no_an_pipeline();
    long long last = -1;
    auto n = run_noting_last(source, pipeline, o, last);
    ASSERT_FALSE(n.ok());
    EXPECT_NE(n.error().message.find("decode failed at 70"), std::string::npos);
    EXPECT_LT(last, 70);
  }
  {  // the detector fails at frame 30: that frame is never handed on, nor any after it
    MemorySource source(1000);
    int calls = 0;
    PipelineOptions p;
    p.an.method = Method::Mask;
    FramePipeline pipeline(p, std::make_unique<ScriptedDetector>(cv::Rect(0, 0, 5, 5), 30, &calls));
    long long last = -1;
    auto n = run_noting_last(source, pipeline, o, last);
    ASSERT_FALSE(n.ok());
    EXPECT_NE(n.error().message.find("scripted failure"), std::string::npos);
    EXPECT_EQ(last, 29);
  }
}

// `stop` is asked before each frame; what was started before it is still handed on.
TEST_P(Stream, StopEndsItAfterTheFramesStarted) {
  MemorySource source(1000);
  auto pipeline = no_an_pipeline();
  StreamOptions o;
  o.queue_depth = GetParam();
  long long started = 0, handed = 0;
  auto n = run_stream(
      source, pipeline,
      [&](const cv::Mat&, const FrameReport&, long long) -> Status {
        ++handed;
        return Ok{};
      },
      [&] { return started++ >= 40; }, o);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value(), 40);
  EXPECT_EQ(handed, 40);
}

INSTANTIATE_TEST_SUITE_P(Depth, Stream, ::testing::Values(size_t(0), size_t(1), size_t(4)),
                         [](const auto& info) {
                           return info.param == 0 ? std::string("Sequential")
                                                  : "Overlapped" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace la3d
