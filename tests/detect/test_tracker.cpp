#include <gtest/gtest.h>

#include <functional>
#include <opencv2/imgproc.hpp>

#include "la3d/engine/pipeline.hpp"
#include "la3d/detect/tracker.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

// A person-shaped target (body ellipse + head disc) whose centre follows `path`.
struct Walker {
  std::function<cv::Point2d(int)> path;
  cv::Mat1b mask(int frame, cv::Size size) const {
    cv::Mat1b m(size, uchar(0));
    const cv::Point c(cv::Point2d(path(frame)));
    cv::ellipse(m, c, {14, 30}, 0, 0, 360, 255, cv::FILLED);
    cv::circle(m, c + cv::Point(0, -40), 10, 255, cv::FILLED);
    return m;
  }
};

// Sees the target (its tight box) only on frames where `seen` says so.
class FlakyDetector final : public Detector {
 public:
  FlakyDetector(const Walker& w, std::function<bool(long long)> seen, cv::Size size,
                int* calls = nullptr)
      : walker_(w), seen_(std::move(seen)), size_(size), calls_(calls) {}
  std::string name() const override { return "flaky"; }
  Result<std::vector<Detection>> detect(const cv::Mat&, long long i) override {
    if (calls_) ++*calls_;
    if (!seen_(i)) return std::vector<Detection>{};
    return std::vector<Detection>{
        {"person", 1, 0.9f, cv::boundingRect(walker_.mask(int(i), size_)), {}}};
  }

 private:
  Walker walker_;
  std::function<bool(long long)> seen_;
  cv::Size size_;
  int* calls_;
};

// Runs `frames` frames and counts those where any target pixel is still visible; `leaks_at`, when
// given, receives their indices.
int leaking_frames(const Walker& w, std::unique_ptr<Detector> detector, int frames,
                   std::vector<int>* leaks_at = nullptr) {
  const cv::Size size(320, 240);
  PipelineOptions o;
  o.an.method = Method::Mask;
  FramePipeline p(o, std::move(detector));
  p.start_sequence();
  int leaks = 0;
  for (int i = 0; i < frames; ++i) {
    cv::Mat frame = test::textured_frame(size, 3) | cv::Scalar::all(16);  // nothing black but masks
    const cv::Mat1b target = w.mask(i, size);
    frame.setTo(cv::Scalar(0, 200, 255), target);
    auto r = p.process(frame, i);
    EXPECT_TRUE(r.ok());
    cv::Mat1b visible;
    cv::Mat gray;
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
    cv::bitwise_and(gray > 0, target, visible);
    if (cv::countNonZero(visible) > 0) {
      ++leaks;
      if (leaks_at) leaks_at->push_back(i);
    }
  }
  return leaks;
}

const Walker kWalker{[](int i) { return cv::Point2d(40 + 4.0 * i, 120 + 15 * std::sin(i / 6.0)); }};
// Missed runs of 1, 2 and 3 frames, then 5: within the default hold of 5.
bool flaky_schedule(long long i) {
  static const std::set<long long> missed{3, 7, 8, 13, 14, 15, 20, 21, 22, 23, 24, 33, 41, 42};
  return !missed.contains(i);
}

TEST(Tracker, NoFrameShowsTheTargetWhenDetectionsAreMissed) {
  auto det = std::make_unique<FlakyDetector>(kWalker, flaky_schedule, cv::Size(320, 240));
  EXPECT_EQ(leaking_frames(
                kWalker, std::make_unique<TrackingDetector>(std::move(det), TrackingOptions{}), 60),
            0);
}

TEST(Tracker, WithoutTrackingTheSameDetectorLeaks) {
  // The control: the scenario above really does show the target without the tracker.
  auto det = std::make_unique<FlakyDetector>(kWalker, flaky_schedule, cv::Size(320, 240));
  EXPECT_EQ(leaking_frames(kWalker, std::move(det), 60), 14);
}

TEST(Tracker, DetectEveryThirdFrameStillHidesTheTarget) {
  int calls = 0;
  auto det = std::make_unique<FlakyDetector>(
      kWalker, [](long long) { return true; }, cv::Size(320, 240), &calls);
  TrackingOptions t;
  t.detect_every = 3;
  t.hold = 0;  // skipped frames are held regardless of the hold
  EXPECT_EQ(leaking_frames(kWalker, std::make_unique<TrackingDetector>(std::move(det), t), 60), 0);
  EXPECT_EQ(calls, 20);
}

// A sequence that starts at an index the skipping would pass over (the second image of a folder,
// each image its own sequence) is detected on its first frame: nothing carried over could hide it.
TEST(Tracker, TheFirstFrameAfterResetIsAlwaysDetected) {
  int calls = 0;
  auto det = std::make_unique<FlakyDetector>(
      kWalker, [](long long) { return true; }, cv::Size(320, 240), &calls);
  TrackingOptions t;
  t.detect_every = 2;
  TrackingDetector tracker(std::move(det), t);
  const cv::Mat frame(240, 320, CV_8UC3);
  for (long long image : {0, 1, 2, 3, 7}) {
    tracker.reset(0);
    EXPECT_EQ(tracker.detect(frame, image)->size(), 1u) << "image " << image;
  }
  EXPECT_EQ(calls, 5);
  // Within a sequence the skipping counts from the last detection.
  EXPECT_EQ(tracker.detect(frame, 8)->size(), 1u);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(tracker.detect(frame, 9)->size(), 1u);
  EXPECT_EQ(calls, 6);
}

TEST(Tracker, LostTracksExpireAfterTheHold) {
  auto det = std::make_unique<FlakyDetector>(
      kWalker, [](long long i) { return i == 0; }, cv::Size(320, 240));
  TrackingOptions t;
  t.hold = 2;
  TrackingDetector tracker(std::move(det), t);
  const cv::Mat frame(240, 320, CV_8UC3);
  EXPECT_EQ(tracker.detect(frame, 0)->size(), 1u);
  EXPECT_EQ(tracker.detect(frame, 1)->size(), 1u);
  EXPECT_EQ(tracker.detect(frame, 2)->size(), 1u);
  EXPECT_EQ(tracker.detect(frame, 3)->size(), 0u);
}

TEST(Tracker, HeldBoxesGrowAndResetForgets) {
  auto det = std::make_unique<FlakyDetector>(
      kWalker, [](long long i) { return i == 0; }, cv::Size(320, 240));
  TrackingDetector tracker(std::move(det), TrackingOptions{});
  const cv::Mat frame(240, 320, CV_8UC3);
  const cv::Rect first = tracker.detect(frame, 0)->at(0).box;
  const cv::Rect held = tracker.detect(frame, 2)->at(0).box;
  EXPECT_GT(held.area(), first.area());
  tracker.reset(0);
  EXPECT_TRUE(tracker.detect(frame, 3)->empty());
}

TEST(MotionGuard, HidesAMovingTargetTheDetectorNeverSees) {
  const auto never = [](long long) { return false; };
  std::vector<int> leaks;
  auto blind = std::make_unique<FlakyDetector>(kWalker, never, cv::Size(320, 240));
  leaking_frames(kWalker, make_motion_guard(std::move(blind)), 60, &leaks);
  // The background model learns from the first frame, so it cannot hide anything there; from the
  // next frame on the moving target is foreground.
  EXPECT_EQ(leaks, std::vector<int>{0});
  // The control: without the guard it shows in every frame.
  EXPECT_EQ(leaking_frames(kWalker,
                           std::make_unique<FlakyDetector>(kWalker, never, cv::Size(320, 240)), 60),
            60);
}

TEST(MotionGuard, AddsNothingOnAStillSceneOrWhereTheDetectorAlreadyHides) {
  const cv::Size size(320, 240);
  const cv::Mat background = test::textured_frame(size, 5);
  cv::RNG rng(7);
  // The walker enters at frame 10 (so that the first frame, which the model learns, is empty) and
  // the detector finds it from then on.
  auto enters = [](long long i) { return i >= 10; };
  auto guard = make_motion_guard(std::make_unique<FlakyDetector>(kWalker, enters, size));
  for (int i = 0; i < 40; ++i) {
    // Sensor noise (sigma 2) on a still background, plus the walker.
    cv::Mat noise(size, CV_16SC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 2);
    cv::Mat frame;
    cv::add(background, noise, frame, cv::noArray(), CV_8UC3);
    if (enters(i)) frame.setTo(cv::Scalar(0, 200, 255), kWalker.mask(i, size));
    auto found = guard->detect(frame, i);
    ASSERT_TRUE(found.ok());
    // The detector's box is all there is: noise makes no region, the moving target lies inside it.
    ASSERT_EQ(found->size(), enters(i) ? 1u : 0u) << "frame " << i;
    if (enters(i)) {
      EXPECT_EQ(found->front().label, "person");
    }
  }
}

TEST(MotionGuard, Validation) {
  EXPECT_TRUE(validate(MotionGuardOptions{}).ok());
  MotionGuardOptions o;
  o.min_area = 1.5;
  EXPECT_FALSE(validate(o).ok());
  o = {};
  o.hold = -1;
  EXPECT_FALSE(validate(o).ok());
  o = {};
  o.work_width = 4;
  EXPECT_FALSE(validate(o).ok());
}

TEST(Tracker, IouAndValidation) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
  TrackingOptions t;
  EXPECT_TRUE(validate(t).ok());
  t.detect_every = 0;  // auto
  EXPECT_TRUE(validate(t).ok());
  t.detect_every = -1;
  EXPECT_FALSE(validate(t).ok());
  EXPECT_EQ(auto_detect_every(0), 1);   // images, unknown rate: every frame
  EXPECT_EQ(auto_detect_every(5), 1);   // 0.2 s between frames already
  EXPECT_EQ(auto_detect_every(10), 2);  // vtest
  EXPECT_EQ(auto_detect_every(14.9), 2);
  EXPECT_EQ(auto_detect_every(30), kAutoDetectMax);
  t = {};
  t.hold = -1;
  EXPECT_FALSE(validate(t).ok());
}

}  // namespace
}  // namespace la3d
