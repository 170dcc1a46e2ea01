// `la3d bench`: per-stage cost of the whole chain on one input, measured in one run.
#include <fmt/format.h>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "la3d/io/io.hpp"
#include "scorer_args.hpp"

namespace la3d::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Samples {
  std::vector<double> decode, detect, anonymize, encode;
  long long people = 0;  // detections hidden, summed over the frames
  double wall_ms = 0;    // the whole stream, start to last frame written
};

// Adds one JSON entry and one table row per stage.
void stage(nlohmann::ordered_json& j, const char* name, const std::vector<double>& v) {
  const Summary sum = summarize(v);
  j["stages"][name] = {
      {"median_ms", sum.median}, {"p95_ms", sum.p95}, {"mean_ms", sum.mean}, {"count", v.size()}};
}

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

Result<std::unique_ptr<VideoSource>> open_bench_source(const BenchArgs& a) {
  if (!is_image_path(a.input)) return VideoSource::open(a.input);
  auto img = read_image(a.input);
  if (!img) return img.error();
  return std::unique_ptr<VideoSource>(
      std::make_unique<RepeatedImage>(img.value(), a.frames > 0 ? a.frames : 50, a.input));
}

// Runs the chain, encoding into `tmp_dir` (removed by the caller): encoding is part of the cost.
Status collect(const BenchArgs& a, FramePipeline& pipeline, SnippetScorer* vad,
               const fs::path& tmp_dir, Samples& s, long long& frames, cv::Size& size) {
  auto source = open_bench_source(a);
  if (!source) return source.error();
  VideoSource& src = *source.value();
  std::unique_ptr<VideoSink> sink;
  auto consume = [&](const cv::Mat& frame, const FrameReport& r, long long) -> Status {
    if (!sink) {
      size = frame.size();
      auto out = VideoSink::open(tmp_dir / "bench.mp4", frame.size(), src.fps(), {});
      if (!out) return out.error();
      sink = std::move(out.value());
    }
    const auto t0 = Clock::now();
    if (Status st = sink->write(frame); !st) return st;
    s.encode.push_back(ms_since(t0));
    s.decode.push_back(r.decode_ms);
    s.detect.push_back(r.detect_ms);
    s.anonymize.push_back(r.anonymize_ms);
    s.people += r.instances;
    return vad ? vad->add_frame(frame) : Status(Ok{});
  };
  const long long limit = a.frames;
  // The stages overlap as in `anonymize`: the stop test runs on the pipeline's thread and counts
  // the frames it has started, not the consumer's samples (another thread's).
  long long started = 0;
  const auto t0 = Clock::now();
  auto n = run_stream(src, pipeline, consume, [&] { return limit > 0 && started++ >= limit; });
  s.wall_ms = ms_since(t0);
  if (!n) return n.error();
  frames = n.value();
  if (frames == 0) return make_error("no frames could be decoded from " + a.input);
  return Ok{};
}

}  // namespace

void add_bench_command(CLI::App& app, BenchArgs& a) {
  auto* cmd =
      app.add_subcommand("bench", "per-stage ms/frame (median, p95) and peak memory on one input");
  cmd->add_option("input", a.input, "image or video")->required();
  cmd->add_option("--frames", a.frames, "frames to measure (0 = whole video; images: 50)")
      ->check(CLI::Range(0, 10000000));
  cmd->add_flag("--json", a.json, "print JSON instead of a table");
  ScorerFlags flags;
  flags.head = "--vad";  // also measure VAD, per 16-frame snippet
  flags.dataset = "--vad-dataset";
  flags.head_default = false;
  a.vad_head = add_scorer_options(*cmd, a.vad, flags);
  add_engine_options(*cmd, a.engine);
}

int run_bench(const BenchArgs& a) {
  auto engine = build_engine(a.engine);
  if (!engine) return fail(engine.error().message);
  warn_weak(engine.value());
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec) / fmt::format("la3d-bench-{}", getpid());
  fs::create_directories(tmp, ec);
  std::unique_ptr<SnippetScorer> vad;
  if (a.vad_head && a.vad_head->count() > 0) {
    ScorerOptions so = a.vad;
    so.threads = a.engine.threads;
    auto scorer = make_scorer(so);
    if (!scorer) return fail(scorer.error().message);
    vad = std::move(scorer.value());
  }
  if (engine->detector && is_image_path(a.input))
    engine->detector = std::make_unique<EveryRepetitionFrameZero>(std::move(engine->detector));
  FramePipeline pipeline(engine->options, std::move(engine->detector));
  Samples s;
  long long frames = 0;
  cv::Size size;
  Status st = collect(a, pipeline, vad.get(), tmp, s, frames, size);
  fs::remove_all(tmp, ec);
  if (!st) return fail(st.error().message);
  if (vad && vad->snippets() > 0)
    if (auto scores = vad->score_all(); !scores) return fail(scores.error().message);

  const std::pair<const char*, const std::vector<double>*> stages[] = {{"decode", &s.decode},
                                                                       {"detect", &s.detect},
                                                                       {"anonymize", &s.anonymize},
                                                                       {"encode", &s.encode}};
  // How much the threads overlap: the stages' summed time over the wall-clock time (1 = none).
  double busy_ms = 0;
  for (const auto& [name, v] : stages)
    for (double x : *v) busy_ms += x;
  const double overlap = s.wall_ms > 0 ? busy_ms / s.wall_ms : 0.0;
  nlohmann::ordered_json j{
      {"input", a.input},           {"method", a.engine.method},
      {"frames", frames},           {"width", size.width},
      {"height", size.height},      {"detections", s.people},
      {"wall_s", s.wall_ms / 1000}, {"fps", s.wall_ms > 0 ? frames * 1000.0 / s.wall_ms : 0.0},
      {"overlap", overlap},         {"peak_rss_mib", peak_rss_mib()}};
  for (const auto& [name, v] : stages) stage(j, name, *v);
  if (vad) {
    j["vad"] = vad->name();
    j["snippets"] = vad->snippets();
    stage(j, "vad prepare /snippet", vad->times().prepare_ms);
    stage(j, "vad encoder /snippet", vad->times().encode_ms);
    stage(j, "vad head /call", vad->times().head_ms);
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "{} | {} | {} frames at {}x{} | {} detections over {} frames | {:.1f} fps wall-clock, "
      "stages overlap {:.2f}x\n",
      a.input, a.engine.method, frames, size.width, size.height, s.people, frames,
      j["fps"].get<double>(), overlap);
  std::cout << fmt::format("{:<21} {:>10} {:>10} {:>10}\n", "stage", "median ms", "p95 ms",
                           "mean ms");
  for (const auto& [name, st] : j["stages"].items())
    std::cout << fmt::format("{:<21} {:>10.3f} {:>10.3f} {:>10.3f}\n", name,
                             st["median_ms"].get<double>(), st["p95_ms"].get<double>(),
                             st["mean_ms"].get<double>());
  std::cout << fmt::format("peak memory {:.1f} MiB\n", peak_rss_mib());
  return 0;
}

}  // namespace la3d::cli
