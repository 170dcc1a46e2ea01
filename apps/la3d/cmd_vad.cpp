// `la3d vad`: anonymize, then score anomalies on the anonymized frames (LA3D's AN->VAD path).
#include <fmt/format.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "la3d/io.hpp"
#include "la3d/vad_pipeline.hpp"
#include "la3d/vad_report.hpp"
#include "progress.hpp"
#include "scorer_args.hpp"

namespace la3d::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_vad_interrupt(int) {
  g_stop = true;
}

// Removes a file when the run ends without handing it on.
struct TempFile {
  fs::path path;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) fs::remove(path, ec);
  }
};

// The reference's name stem: {head}_{dataset}_{method}_imwh{W}x{H}_{video}.
std::string output_stem(const VadArgs& a, cv::Size size) {
  const std::string head =
      a.scorer.head == "motion" ? "motion" : a.scorer.head + "_" + a.scorer.dataset;
  const std::string video = is_live_spec(a.input) ? "live" : fs::path(a.input).stem().string();
  return fmt::format("{}_{}_imwh{}x{}_{}", head, a.engine.method, size.width, size.height, video);
}

nlohmann::json timing_json(const VadTimes& t, const std::vector<double>& an_ms, double wall_s,
                           double video_s) {
  auto stat = [](const std::vector<double>& v) {
    const Summary s = summarize(v);
    return nlohmann::json{
        {"median_ms", s.median}, {"p95_ms", s.p95}, {"mean_ms", s.mean}, {"count", v.size()}};
  };
  return {{"an_per_frame", stat(an_ms)},
          {"prepare_per_snippet", stat(t.prepare_ms)},
          {"encoder_per_snippet", stat(t.encode_ms)},
          {"head_per_call", stat(t.head_ms)},
          {"wall_s", wall_s},
          {"real_time_factor", video_s > 0 ? wall_s / video_s : 0}};
}

class VadRun {
 public:
  VadRun(const VadArgs& a, Engine& e, std::unique_ptr<SnippetScorer> scorer,
         std::pair<Smoothing, int> smoothing)
      : a_(a),
        input_size_(e.options.input_size),
        smoothing_(smoothing),
        pipeline_(std::move(e).pipeline()),
        streaming_(std::move(scorer), a.window, a.scorer.alert_threshold),
        scorer_(streaming_.scorer()),
        threshold_(a.scorer.alert_threshold) {}

  int run() {
    const auto t_start = std::chrono::steady_clock::now();
    auto src = VideoSource::open(a_.input);
    if (!src) return fail(src.error().message);
    if (a_.fps > 0) {
      src = resample(std::move(src.value()), a_.fps);
      if (!src) return fail(src.error().message);
    }
    VideoSource& source = *src.value();
    const bool live = source.kind() != SourceKind::Video;
    const bool stream = a_.stream || live;
    const double fps = source.fps().value() > 0 ? source.fps().value() : 25.0;
    const cv::Size size = input_size_.value_or(source.size());
    const std::string stem = output_stem(a_, size);
    const fs::path dir(a_.out_dir);
    const fs::path video_out = dir / (stem + "_ad.mp4");

    // Pass 1 writes the 320x240 anonymized frames (offline) or the finished video (streaming).
    std::unique_ptr<VideoSink> sink;
    TempFile frames_tmp;
    if (!a_.no_video) {
      VideoSinkOptions o;
      o.codec = a_.codec;
      o.crf = stream ? a_.crf : 12;
      // Offline, the frames wait outside the output folder, which appears only with the results.
      const fs::path target =
          stream ? video_out
                 : fs::temp_directory_path() / fmt::format("la3d-vad-{}-{}.mp4", ::getpid(), stem);
      if (!stream) frames_tmp.path = target;
      auto s = VideoSink::open(target, {320, 240}, source.fps(), o);
      if (!s) return fail(s.error().message);
      sink = std::move(s.value());
    }
    float latest = 0.f;
    bool have_score = false;
    std::vector<double> an_ms;
    Progress progress(fs::path(a_.input).filename().string(), source.frame_count(),
                      !a_.quiet && !stream);
    auto consume = [&](const cv::Mat& frame, const FrameReport& r, long long index) -> Status {
      an_ms.push_back(r.detect_ms + r.anonymize_ms);
      if (stream) {
        auto scored = streaming_.add_frame(frame);
        if (!scored) return scored.error();
        if (scored.value()) {
          latest = scored.value()->score;
          have_score = true;
          emit_event(*scored.value(), fps);
        }
      } else if (Status s = scorer_.add_frame(frame); !s) {
        return s;
      }
      if (sink) {
        cv::Mat small;
        cv::resize(frame, small, {320, 240}, 0, 0, cv::INTER_LINEAR);
        // Streaming overlays the latest snippet's score as it goes; offline scores come later.
        if (stream && have_score) draw_alert_panel(small, latest, latest >= threshold_);
        if (Status s = sink->write(small); !s) return s;
      }
      progress.update(index + 1);
      return Ok{};
    };
    std::signal(SIGINT, on_vad_interrupt);
    auto frames = run_stream(source, pipeline_, consume, [] { return g_stop.load(); });
    progress.finish();
    if (!frames) return fail(frames.error().message);
    if (g_stop && !live) return fail("interrupted; no output written");
    const long long n = scorer_.snippets();
    if (n == 0)
      return fail(fmt::format("{} has {} frame(s): VAD needs at least one 16-frame snippet",
                              a_.input, frames.value()));

    std::vector<float> raw = streaming_.scores();
    if (!stream) {
      auto all = scorer_.score_all();
      if (!all) return fail(all.error().message);
      raw = std::move(all.value());
    }
    const std::vector<float> scores = smooth_scores(raw, smoothing_.first, smoothing_.second);
    const std::vector<float> per_frame = frame_scores(scores);

    // Pass 2 (offline): the reference's overlay on every scored frame; frames past 16N are dropped.
    if (sink) {
      if (Status s = sink->finish(); !s) return fail(s.error().message);
      if (!stream)
        if (Status s = annotate(frames_tmp.path, video_out, per_frame, source.fps()); !s)
          return fail(s.error().message);
    }
    const double wall_s = ms_since(t_start) / 1000;
    const auto segments = anomalous_segments(per_frame, threshold_, fps);
    nlohmann::json j{{"input", a_.input},
                     {"scorer", scorer_.name()},
                     {"method", a_.engine.method},
                     {"threshold", threshold_},
                     {"smoothing", a_.smooth},
                     {"mode", stream ? "streaming" : "whole video"},
                     {"fps", fps},
                     {"frames", frames.value()},
                     {"scored_frames", per_frame.size()},
                     {"snippets", n},
                     {"snippet_scores", scores},
                     {"frame_scores", per_frame},
                     {"segments", nlohmann::json::array()},
                     {"timing", timing_json(scorer_.times(), an_ms, wall_s, frames.value() / fps)}};
    for (const Segment& s : segments)
      j["segments"].push_back({{"start_frame", s.start_frame},
                               {"end_frame", s.end_frame},
                               {"start_s", s.start_s},
                               {"end_s", s.end_s},
                               {"peak", s.peak}});
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::vector<uchar> png;
    cv::imencode(".png",
                 score_plot(per_frame, threshold_, fps,
                            fmt::format("Anomaly score of {} ({}, people hidden by {})",
                                        fs::path(a_.input).filename().string(), scorer_.name(),
                                        a_.engine.method)),
                 png);
    for (const auto& [name, bytes] :
         {std::pair{stem + "_scores.csv", frame_scores_csv(per_frame, threshold_, fps)},
          std::pair{stem + "_scores.json", j.dump(1) + "\n"},
          std::pair{stem + "_ad.png", std::string(png.begin(), png.end())}})
      if (Status s = write_file_atomically(dir / name, bytes); !s) return fail(s.error().message);
    if (!a_.quiet) {
      const auto& t = scorer_.times();
      std::cerr << fmt::format(
          "la3d: vad {}: {} snippet(s), {} anomalous segment(s) at {} | ms: AN {:.1f}/frame, "
          "prepare {:.1f}/snippet, encoder {:.1f}/snippet, head {:.1f}/call | {:.2f}x real time\n",
          scorer_.name(), n, segments.size(), threshold_, summarize(an_ms).mean,
          summarize(t.prepare_ms).mean, summarize(t.encode_ms).mean, summarize(t.head_ms).mean,
          wall_s / (frames.value() / fps));
    }
    // Every file written, one per line: on stdout, unless stdout carries the JSON event lines.
    std::vector<fs::path> written{dir / (stem + "_scores.csv"), dir / (stem + "_scores.json"),
                                  dir / (stem + "_ad.png")};
    if (!a_.no_video) written.push_back(video_out);
    for (const fs::path& p : written)
      if (stream) {
        if (!a_.quiet) std::cerr << "la3d: wrote " << p.string() << "\n";
      } else
        std::cout << p.string() << "\n";
    return 0;
  }

 private:
  static void emit_event(const SnippetScore& s, double fps) {
    nlohmann::json e{{"snippet", s.snippet},      {"start_frame", s.first_frame},
                     {"end_frame", s.last_frame}, {"start_s", s.first_frame / fps},
                     {"score", s.score},          {"alert", s.alert}};
    std::cout << e.dump() << std::endl;
  }

  Status annotate(const fs::path& from, const fs::path& to, const std::vector<float>& per_frame,
                  Rational fps) {
    auto src = VideoSource::open(from.string());
    if (!src) return src.error();
    VideoSinkOptions o;
    o.codec = a_.codec;
    o.crf = a_.crf;
    auto sink = VideoSink::open(to, {320, 240}, fps, o);
    if (!sink) return sink.error();
    cv::Mat f;
    for (size_t i = 0; i < per_frame.size(); ++i) {
      auto ok = src.value()->read(f);
      if (!ok) return ok.error();
      if (!ok.value()) return make_error("the anonymized frames ended early");
      draw_alert_panel(f, per_frame[i], per_frame[i] >= threshold_);
      if (Status s = sink.value()->write(f); !s) return s;
    }
    return sink.value()->finish();
  }

  const VadArgs& a_;
  std::optional<cv::Size> input_size_;  // -is: frames leave the pipeline at this size
  std::pair<Smoothing, int> smoothing_;
  FramePipeline pipeline_;
  StreamingScorer streaming_;  // offline runs use its scorer only
  SnippetScorer& scorer_;
  double threshold_;  // the alert threshold
};

}  // namespace

void add_vad_command(CLI::App& app, VadArgs& a) {
  auto* cmd = app.add_subcommand(
      "vad", "anonymize a video, then score anomalies on the anonymized frames (AN -> VAD)");
  cmd->add_option("input", a.input, "video file, webcam[:N] or URL");
  cmd->add_option("--input", a.input, "the input (-id)");
  cmd->add_option("--fps", a.fps,
                  "resample the video to this frame rate first (frames dropped or repeated; -fps)")
      ->check(CLI::Range(0.001, 1000.0));
  ScorerFlags flags;
  flags.encoder = flags.alert = true;
  add_scorer_options(*cmd, a.scorer, flags);
  cmd->add_flag("--stream", a.stream,
                "score each snippet as it completes over the last --window snippets (always on for "
                "webcams and URLs); events go to stdout as JSON lines");
  cmd->add_option("--window", a.window, "snippets a streaming score looks back over")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--smooth", a.smooth,
                  "snippet-score smoothing: none (LA3D), fixed:K or slide:K (PEL4VAD's protocol)")
      ->capture_default_str();
  cmd->add_option("--out-dir,-o", a.out_dir, "folder for the video, plot, CSV and JSON")
      ->capture_default_str();
  cmd->add_flag("--no-video", a.no_video, "skip the annotated video");
  cmd->add_option("--codec", a.codec, "video encoder");
  cmd->add_option("--crf", a.crf, "x264 quality")->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "no progress or summary");
  add_engine_options(*cmd, a.engine);
}

int run_vad(const VadArgs& a) {
  if (a.input.empty()) return fail("no input given (la3d vad VIDEO ...)");
  auto smoothing = parse_smoothing(a.smooth);
  if (!smoothing) return fail(smoothing.error().message);
  if (!is_live_spec(a.input) && !fs::exists(a.input)) return fail("input not found: " + a.input);
  if (!is_live_spec(a.input) && is_image_path(a.input))
    return fail("VAD needs a video (16-frame snippets), not an image: " + a.input);
  // The VAD side first: a missing checkpoint is the likelier mistake in this command.
  ScorerOptions so = a.scorer;
  so.threads = a.engine.threads;
  auto scorer = make_scorer(so);
  if (!scorer) return fail(scorer.error().message);
  auto engine = build_engine(a.engine);
  if (!engine) return fail(engine.error().message);
  warn_weak(engine.value());
  return VadRun(a, engine.value(), std::move(scorer.value()), smoothing.value()).run();
}

}  // namespace la3d::cli
