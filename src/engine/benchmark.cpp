// benchmark_engine: one run of the chain with every stage timed per frame.
#include "la3d/engine/benchmark.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "la3d/core/stats.hpp"
#include "la3d/io/io.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// One image served `count` times, so that images and videos are measured by the same loop.
class RepeatedImage final : public VideoSource {
 public:
  RepeatedImage(cv::Mat image, long long count, std::string name)
      : image_(std::move(image)), count_(count), name_(std::move(name)) {}
  Result<bool> read(cv::Mat& frame) override {
    if (served_ == count_) return false;
    ++served_;
    image_.copyTo(frame);
    return true;
  }
  SourceKind kind() const override { return SourceKind::Video; }
  cv::Size size() const override { return image_.size(); }
  Rational fps() const override { return {25, 1}; }
  long long frame_count() const override { return count_; }
  std::string description() const override { return name_; }
  std::string audio_url() const override { return ""; }

 private:
  cv::Mat image_;
  long long count_, served_ = 0;
  std::string name_;
};

// An image measured N times is the same picture each time: the detector sees every repetition as
// frame 0 of a new sequence, as `anonymize` treats an image, so a detections file's frame 0 applies
// to all of them (it used to apply to the first only: 49 of 50 measured frames had nobody) and no
// tracking state carries from one repetition to the next.
class EveryRepetitionFrameZero final : public Detector {
 public:
  explicit EveryRepetitionFrameZero(std::unique_ptr<Detector> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long) override {
    inner_->reset(0);
    return inner_->detect(frame, 0);
  }
  void reset(double fps) override { inner_->reset(fps); }

 private:
  std::unique_ptr<Detector> inner_;
};

Result<std::unique_ptr<VideoSource>> open_bench_source(const BenchmarkOptions& a) {
  if (!is_image_path(a.input)) return VideoSource::open(a.input);
  auto img = read_image(a.input);
  if (!img) return img.error();
  return std::unique_ptr<VideoSource>(
      std::make_unique<RepeatedImage>(img.value(), a.frames > 0 ? a.frames : 50, a.input));
}

// Removes the scratch folder the encoder writes into, however the run ends.
struct ScratchDir {
  fs::path path;
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

Result<BenchmarkResult> benchmark_engine(
    const BenchmarkOptions& a, const EngineOptions& eo,
    const std::optional<ScorerOptions>& vad_opts,
    const std::function<void(const std::vector<std::string>&)>& weak_settings) {
  return guarded("benchmark_engine", [&]() -> Result<BenchmarkResult> {
    if (a.frames < 0) return make_error("frames must be 0 (all) or more");
    auto engine = build_engine(eo);
    if (!engine) return engine.error();
    if (weak_settings && !engine->weak.empty()) weak_settings(engine->weak);
    std::unique_ptr<SnippetScorer> vad;
    if (vad_opts) {
      auto scorer = make_scorer(*vad_opts);
      if (!scorer) return scorer.error();
      vad = std::move(scorer.value());
    }
    if (engine->detector && is_image_path(a.input))
      engine->detector = std::make_unique<EveryRepetitionFrameZero>(std::move(engine->detector));
    FramePipeline pipeline = std::move(engine.value()).pipeline();
    auto source = open_bench_source(a);
    if (!source) return source.error();
    VideoSource& src = *source.value();

    // Encoding is part of the cost: frames are encoded into a scratch folder.
    std::error_code ec;
    ScratchDir tmp{fs::temp_directory_path(ec) / fmt::format("la3d-bench-{}", ::getpid())};
    fs::create_directories(tmp.path, ec);
    BenchmarkResult r;
    std::vector<double> decode, detect, anonymize, encode;
    std::unique_ptr<VideoSink> sink;
    auto consume = [&](const cv::Mat& frame, const FrameReport& rep, long long) -> Status {
      if (!sink) {
        r.size = frame.size();
        auto out = VideoSink::open(tmp.path / "bench.mp4", frame.size(), src.fps(), {});
        if (!out) return out.error();
        sink = std::move(out.value());
      }
      const auto t0 = Clock::now();
      if (Status st = sink->write(frame); !st) return st;
      encode.push_back(ms_since(t0));
      decode.push_back(rep.decode_ms);
      detect.push_back(rep.detect_ms);
      anonymize.push_back(rep.anonymize_ms);
      r.detections += rep.instances;
      return vad ? vad->add_frame(frame) : Status(Ok{});
    };
    // The stages overlap as in `anonymize`: the stop test runs on the pipeline's thread and counts
    // the frames it has started, not the consumer's samples (another thread's).
    long long started = 0;
    const auto t0 = Clock::now();
    auto n =
        run_stream(src, pipeline, consume, [&] { return a.frames > 0 && started++ >= a.frames; });
    r.wall_ms = ms_since(t0);
    if (!n) return n.error();
    r.frames = n.value();
    if (r.frames == 0) return make_error("no frames could be decoded from " + a.input);
    if (vad && vad->snippets() > 0)
      if (auto scores = vad->score_all(); !scores) return scores.error();

    r.stages = {
        {"decode", decode}, {"detect", detect}, {"anonymize", anonymize}, {"encode", encode}};
    double busy_ms = 0;
    for (const auto& [name, v] : r.stages)
      for (double x : v) busy_ms += x;
    r.overlap = r.wall_ms > 0 ? busy_ms / r.wall_ms : 0.0;
    if (vad) {
      r.vad = vad->name();
      r.snippets = vad->snippets();
      r.stages.emplace_back("vad prepare /snippet", vad->times().prepare_ms);
      r.stages.emplace_back("vad encoder /snippet", vad->times().encode_ms);
      r.stages.emplace_back("vad head /call", vad->times().head_ms);
    }
    return r;
  });
}

}  // namespace la3d
