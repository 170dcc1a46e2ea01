// The library's factories: the engine from EngineOptions, the VAD scorer from ScorerOptions, the
// streaming scorer and the live session. Expectations come from the rules as the README states
// them, not from the factories' code.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "la3d/core/coco.hpp"
#include "la3d/detect/tracker.hpp"
#include "la3d/engine/anonymize_run.hpp"
#include "la3d/engine/engine.hpp"
#include "la3d/engine/live_session.hpp"
#include "la3d/io/io.hpp"
#include "la3d/vad/vad_scorer.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using test::TempDir;

// A short video of textured frames.
void write_video(const fs::path& path, int frames, cv::Size size) {
  auto sink = VideoSink::open(path, size, {10, 1}, {});
  ASSERT_TRUE(sink) << sink.error().message;
  for (int i = 0; i < frames; ++i)
    ASSERT_TRUE(sink.value()->write(test::textured_frame(size, unsigned(i + 1))));
  ASSERT_TRUE(sink.value()->finish());
}

TEST(Errors, GuardedTurnsForeignExceptionsIntoOneLineErrors) {
  auto r = guarded("resize", []() -> Result<int> {
    cv::Mat empty, out;
    cv::resize(empty, out, {4, 4});  // OpenCV asserts: a cv::Exception, several lines of text
    return 1;
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("resize: ", 0), 0u) << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  auto s = guarded("alloc", []() -> Status { throw std::bad_alloc(); });
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("alloc: "), std::string::npos);
  EXPECT_EQ(guarded("fine", []() -> Result<int> { return 7; }).value(), 7);
}

TEST(Engine, DefaultsNeedTheNanodetModelAndSayHowToGetIt) {
  TempDir empty;
  EngineOptions o;
  o.model_dir = empty.path();
  auto e = build_engine(o);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("nanodet"), std::string::npos) << e.error().message;
}

TEST(Engine, StacksTilesSegmentationTrackingAndTheGuardInThatOrder) {
  EngineOptions o;
  o.detector = "hog";
  o.tiles = 2;
  auto e = build_engine(o);
  ASSERT_TRUE(e) << e.error().message;
  // A detector, 5-frame hold (so tracking), fixed camera by default (so the guard, outermost).
  EXPECT_EQ(e->detector->name(), "hog+tiles2+tracking+motion-guard");

  o.camera = Camera::Moving;
  o.tiles = 1;
  o.hold = 0;
  o.detect_every = 1;
  e = build_engine(o);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->detector->name(), "hog");
}

TEST(Engine, ADetectionsFileIsTakenAsGiven) {
  TempDir d;
  test::write_person_boxes(d / "det.jsonl", 2, {64, 48}, {8, 8, 16, 16});
  EngineOptions o;
  o.detections_file = d / "det.jsonl";
  o.tiles = 3;  // ignored for a file: its boxes are already the whole frame's
  auto e = build_engine(o);
  ASSERT_TRUE(e) << e.error().message;
  // No hold, every frame, no guard unless asked for.
  EXPECT_EQ(e->detector->name().find('+'), std::string::npos) << e->detector->name();
  o.motion_guard = true;
  e = build_engine(o);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_NE(e->detector->name().find("+motion-guard"), std::string::npos);
  o.camera = Camera::Moving;
  EXPECT_FALSE(build_engine(o));  // the guard is for fixed cameras
}

TEST(Engine, NoAnNeedsNoModelButFrontEndsThatShowFramesRefuseIt) {
  TempDir empty;
  EngineOptions o;
  o.model_dir = empty.path();
  o.pipeline.an.method = Method::NoAn;
  auto e = build_engine(o);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->detector, nullptr);
  const Status s = require_anonymization(o, "la3d serve");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("la3d serve"), std::string::npos);
  o.pipeline.an.method = Method::Blur;
  EXPECT_TRUE(require_anonymization(o, "la3d serve"));
}

TEST(Engine, WeakSettingsAreRefusedTogetherUnlessAllowed) {
  EngineOptions o;
  o.detector = "hog";
  o.pipeline.an.method = Method::Blur;
  o.pipeline.an.blur_kernel = 3;
  o.pipeline.an.blur_sigma = 0.5;
  o.detect.threshold = 0.95f;
  auto e = build_engine(o);
  ASSERT_FALSE(e);
  // Both the blur and the threshold are named in the one message.
  EXPECT_NE(e.error().message.find("blur"), std::string::npos) << e.error().message;
  EXPECT_NE(e.error().message.find("threshold"), std::string::npos) << e.error().message;
  o.pipeline.allow_weak = true;
  e = build_engine(o);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_GE(e->weak.size(), 2u);
}

TEST(Engine, RangesAreCheckedBeforeAnyModel) {
  TempDir empty;
  EngineOptions o;
  o.model_dir = empty.path();  // a model would be missing: the range error must come first
  o.tiles = 9;
  auto e = build_engine(o);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("tiles"), std::string::npos) << e.error().message;
  o.tiles = 1;
  o.pipeline.an.blur_kernel = 4;  // even
  e = build_engine(o);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("kernel"), std::string::npos) << e.error().message;
}

TEST(Engine, SpellingsRoundTrip) {
  auto c = parse_colour("#10A0FF");
  ASSERT_TRUE(c);
  EXPECT_EQ(c.value(), cv::Scalar(0xFF, 0xA0, 0x10));
  EXPECT_EQ(colour_name(c.value()), "#10A0FF");
  EXPECT_EQ(parse_colour("10a0ff").value(), c.value());
  EXPECT_FALSE(parse_colour("#12345"));
  EXPECT_EQ(parse_size_text("640x480", "size").value(), cv::Size(640, 480));
  EXPECT_EQ(size_name(parse_size_text("none", "size").value()), "none");
  EXPECT_FALSE(parse_size_text("640x", "size"));
  EXPECT_FALSE(parse_size_text("0x10", "size"));
  EXPECT_EQ(parse_detect_every("auto").value(), 0);
  EXPECT_EQ(parse_detect_every("3").value(), 3);
  EXPECT_FALSE(parse_detect_every("0"));
  EXPECT_FALSE(parse_detect_every("3x"));
  EXPECT_EQ(parse_classes({"person", "face"}).value(), (std::set<int>{1, kFaceClassId}));
  EXPECT_FALSE(parse_classes({"dragon"}));
  EXPECT_EQ(parse_camera("").value(), Camera::Auto);
  EXPECT_FALSE(parse_camera("tripod"));
}

TEST(VadScorerFactory, NamesWhatIsMissing) {
  TempDir empty;
  ScorerOptions o;
  o.weights = "head.pkl";
  auto s = make_scorer(o);  // motion is training-free
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("training-free"), std::string::npos);
  o = {};
  o.head = "transformer";
  EXPECT_FALSE(make_scorer(o));
  o = {};
  o.alert_threshold = 1.5;
  EXPECT_FALSE(make_scorer(o));
  if (torch_available()) {
    o = {};
    o.head = "pel";
    o.model_dir = empty.path();
    s = make_scorer(o);
    ASSERT_FALSE(s);
    // Where the official checkpoint would be looked for.
    EXPECT_NE(s.error().message.find((empty.path() / "vad").string()), std::string::npos)
        << s.error().message;
  }
}

TEST(StreamingScorer, ScoresEachSnippetAsItCompletes) {
  auto streaming = make_scorer({});
  ASSERT_TRUE(streaming);
  auto whole = make_scorer({});
  ASSERT_TRUE(whole);
  StreamingScorer live(std::move(streaming.value()), 8, 0.5);
  std::vector<long long> completed_at;
  for (int i = 0; i < 3 * kSnippetFrames + 5; ++i) {
    cv::Mat f = test::textured_frame({64, 48}, unsigned(i % 7 + 1));
    ASSERT_TRUE(whole.value()->add_frame(f));
    auto got = live.add_frame(f);
    ASSERT_TRUE(got) << got.error().message;
    if (got.value()) {
      completed_at.push_back(i);
      EXPECT_EQ(got.value()->snippet, long(completed_at.size()) - 1);
      EXPECT_EQ(got.value()->last_frame, i);
      EXPECT_EQ(got.value()->first_frame, i - kSnippetFrames + 1);
      EXPECT_EQ(got.value()->alert, got.value()->score >= 0.5f);
    }
  }
  EXPECT_EQ(completed_at, (std::vector<long long>{15, 31, 47}));
  // The motion head scores a snippet the same streaming or whole (vad_pipeline.hpp).
  auto all = whole.value()->score_all();
  ASSERT_TRUE(all);
  ASSERT_EQ(live.scores().size(), all->size());
  for (size_t i = 0; i < all->size(); ++i) EXPECT_FLOAT_EQ(live.scores()[i], (*all)[i]) << i;
}

// Records what a live session hands on.
class RecordingSink : public LiveSink {
 public:
  Status frame(const cv::Mat& f, const LiveFrameStats& s, double) override {
    frames.push_back(f.clone());
    indices.push_back(s.index);
    return Ok{};
  }
  std::optional<AnParams> take_config() override {
    if (indices.size() == 1 && next) return std::exchange(next, std::nullopt);
    return std::nullopt;
  }
  void config_applied(const AnParams& p) override { applied.push_back(p.method); }
  std::vector<cv::Mat> frames;
  std::vector<long long> indices;
  std::optional<AnParams> next;
  std::vector<Method> applied;
};

TEST(LiveSession, HandsOnOnlyAnonymizedFramesAndRefusesNoAn) {
  TempDir d;
  const cv::Size size{64, 48};
  const cv::Rect person{16, 8, 24, 24};
  write_video(d / "in.mp4", 6, size);
  test::write_person_boxes(d / "det.jsonl", 6, size, person);
  EngineOptions o;
  o.detections_file = d / "det.jsonl";
  o.pipeline.an.method = Method::Mask;  // black: checkable without la3d's own mask code
  LiveOptions lo;
  lo.source = (d / "in.mp4").string();
  lo.loop_files = false;
  lo.pace_files = false;
  auto engine = build_engine(o);
  ASSERT_TRUE(engine) << engine.error().message;
  auto session = LiveSession::open(lo, std::move(engine.value()), nullptr);
  ASSERT_TRUE(session) << session.error().message;
  RecordingSink sink;
  AnParams noan = o.pipeline.an;
  noan.method = Method::NoAn;
  sink.next = noan;  // a request to stop anonymizing mid-stream is not applied
  auto n = session.value()->run(sink, {});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n.value(), 6);
  EXPECT_EQ(sink.indices, (std::vector<long long>{0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(sink.applied.empty());
  for (const cv::Mat& f : sink.frames) {
    ASSERT_EQ(f.size(), size);
    EXPECT_EQ(cv::countNonZero(f(person).reshape(1)), 0);  // the person's box is black
    EXPECT_GT(cv::countNonZero(f.reshape(1)), 0);          // the rest is still the scene
  }

  o.pipeline.an.method = Method::NoAn;
  engine = build_engine(o);
  ASSERT_TRUE(engine);
  EXPECT_FALSE(LiveSession::open(lo, std::move(engine.value()), nullptr));
}

TEST(LiveSession, AFilePlaysInALoopUntilStopped) {
  TempDir d;
  const cv::Size size{64, 48};
  write_video(d / "in.mp4", 4, size);
  test::write_person_boxes(d / "det.jsonl", 4, size, {0, 0, 8, 8});
  EngineOptions o;
  o.detections_file = d / "det.jsonl";
  o.pipeline.an.method = Method::Mask;
  LiveOptions lo;
  lo.source = (d / "in.mp4").string();
  lo.pace_files = false;
  auto engine = build_engine(o);
  ASSERT_TRUE(engine) << engine.error().message;
  auto session = LiveSession::open(lo, std::move(engine.value()), nullptr);
  ASSERT_TRUE(session) << session.error().message;
  RecordingSink sink;
  auto n = session.value()->run(sink, [&] { return sink.frames.size() >= 10; });
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n.value(), 10);  // past the file's 4 frames: it looped
  EXPECT_EQ(sink.indices.back(), 9);
  // Each loop reads the detections file from its frame 0 again: the corner stays hidden.
  for (const cv::Mat& f : sink.frames) EXPECT_EQ(cv::countNonZero(f({0, 0, 8, 8}).reshape(1)), 0);
}

// A folder of two images, a detections file for them, and the run's options writing to out/.
struct TwoImages {
  TempDir d;
  AnonymizeRunOptions run;
  EngineOptions engine;
  TwoImages() {
    fs::create_directories(d / "in");
    EXPECT_TRUE(write_image(d / "in" / "a.png", test::textured_frame({64, 48}, 1)));
    EXPECT_TRUE(write_image(d / "in" / "b.png", test::textured_frame({64, 48}, 2)));
    test::write_person_boxes(d / "det.jsonl", 2, {64, 48}, {8, 8, 16, 16});
    run.inputs = {(d / "in").string()};
    run.output = d / "out";
    engine.detections_file = d / "det.jsonl";
    engine.pipeline.an.method = Method::Mask;
  }
};

TEST(AnonymizeRun, WritesEveryOutputAndCountsWhatItHid) {
  TwoImages t;
  std::vector<std::string> started;
  AnonymizeCallbacks cb;
  cb.input_started = [&](size_t, size_t, const std::string& in) { started.push_back(in); };
  const AnonymizeOutcome out = anonymize_inputs(t.run, t.engine, cb);
  ASSERT_EQ(out.end, RunEnd::Done) << out.error;
  EXPECT_EQ(started.size(), 2u);
  ASSERT_EQ(out.written.size(), 2u);
  EXPECT_EQ(out.totals.frames, 2);
  EXPECT_EQ(out.totals.regions, 2);
  for (const char* name : {"a.png", "b.png"}) {
    auto img = read_image(t.d / "out" / name);
    ASSERT_TRUE(img) << name;
    EXPECT_EQ(cv::countNonZero(img.value()({8, 8, 16, 16}).reshape(1)), 0) << name;
  }
  // Again: the outputs exist now. Refused without overwrite; skipped with no_clobber.
  AnonymizeOutcome again = anonymize_inputs(t.run, t.engine);
  EXPECT_EQ(again.end, RunEnd::Failed);
  EXPECT_NE(again.error.find("exists"), std::string::npos) << again.error;
  t.run.no_clobber = true;
  again = anonymize_inputs(t.run, t.engine);
  ASSERT_EQ(again.end, RunEnd::Done) << again.error;
  EXPECT_EQ(again.skipped.size(), 2u);
  EXPECT_TRUE(again.written.empty());
}

TEST(AnonymizeRun, AFailureOrAStopWritesNothing) {
  TwoImages t;
  {
    std::ofstream bad(t.d / "in" / "c.png");
    bad << "not a png";
  }
  AnonymizeOutcome out = anonymize_inputs(t.run, t.engine);
  EXPECT_EQ(out.end, RunEnd::Failed);
  EXPECT_NE(out.error.find("c.png"), std::string::npos) << out.error;
  EXPECT_TRUE(test::files_below(t.d / "out").empty());  // a.png and b.png were not kept

  fs::remove(t.d / "in" / "c.png");
  int images = 0;
  AnonymizeCallbacks cb;
  cb.image_done = [&](const std::string&) { ++images; };
  cb.stop = [&] { return images == 1; };
  out = anonymize_inputs(t.run, t.engine, cb);
  EXPECT_EQ(out.end, RunEnd::Interrupted);
  EXPECT_TRUE(test::files_below(t.d / "out").empty());
}

TEST(AnonymizeRun, AMissingInputIsReportedBeforeAnyModelLoads) {
  TempDir empty;
  AnonymizeRunOptions run;
  run.inputs = {(empty / "nothing.jpg").string()};
  EngineOptions e;
  e.model_dir = empty.path();  // nanodet is missing too
  const AnonymizeOutcome out = anonymize_inputs(run, e);
  EXPECT_EQ(out.end, RunEnd::Failed);
  EXPECT_NE(out.error.find("input not found"), std::string::npos) << out.error;
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// A detector that takes `ms` per call and counts its calls.
class SlowDetector final : public Detector {
 public:
  explicit SlowDetector(int ms, int* calls) : ms_(ms), calls_(calls) {}
  std::string name() const override { return "slow"; }
  Result<std::vector<Detection>> detect(const cv::Mat&, long long) override {
    ++*calls_;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    Detection d;
    d.label = "person";
    d.coco_id = 1;
    d.score = 0.9f;
    d.box = {4, 4, 16, 16};
    return std::vector<Detection>{d};
  }

 private:
  int ms_;
  int* calls_;
};

class KSink final : public LiveSink {
 public:
  Status frame(const cv::Mat&, const LiveFrameStats& s, double) override {
    ks.push_back(s.detect_every);
    return Ok{};
  }
  std::vector<int> ks;
};

// The session's K over 75 frames of a looping 10 fps file (auto: K = 2) with --target-fps.
std::vector<int> ks_with_target(double target_fps, int detector_ms, int* calls) {
  test::TempDir d;
  write_video(d / "in.mp4", 5, {64, 48});
  Engine e;
  e.options.an.method = Method::Mask;
  TrackingOptions t;
  t.detect_every = 0;  // auto: 2 at 10 fps
  e.detector =
      std::make_unique<TrackingDetector>(std::make_unique<SlowDetector>(detector_ms, calls), t);
  LiveOptions lo;
  lo.source = (d / "in.mp4").string();
  lo.pace_files = false;
  lo.target_fps = target_fps;
  auto session = LiveSession::open(lo, std::move(e), nullptr);
  EXPECT_TRUE(session) << session.error().message;
  KSink sink;
  if (session) EXPECT_TRUE(session.value()->run(sink, [&] { return sink.ks.size() >= 75; }));
  return sink.ks;
}

TEST(LiveSession, TargetFpsDetectsMoreWhenThereIsTimeAndNeverLessThanAutoAllows) {
  // Time to spare (1 fps asked): after 25 frames K goes 2 -> 1, after 50 it stays at 1.
  int calls = 0;
  auto ks = ks_with_target(1, 0, &calls);
  ASSERT_EQ(ks.size(), 75u);
  EXPECT_EQ(ks.front(), 2);
  EXPECT_EQ(ks.back(), 1);
  EXPECT_GT(calls, 50);  // most frames detected
  // Behind (1000 fps asked, 3 ms a detection): K stays at auto's 2, never above.
  calls = 0;
  ks = ks_with_target(1000, 3, &calls);
  ASSERT_EQ(ks.size(), 75u);
  EXPECT_EQ(*std::max_element(ks.begin(), ks.end()), 2);
  EXPECT_EQ(*std::min_element(ks.begin(), ks.end()), 2);
  EXPECT_LE(calls, 45);  // frames 0, 2, 4 of each 5-frame loop
  // No target: K as configured throughout.
  calls = 0;
  ks = ks_with_target(0, 0, &calls);
  EXPECT_EQ(std::count(ks.begin(), ks.end(), 2), 75);
}

}  // namespace
}  // namespace la3d
