// The AN -> VAD run on one input: pass 1 anonymizes and scores (and writes the frames), pass 2
// (whole-video runs) overlays every frame's score, then the reports are written.
#include "la3d/engine/vad_run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/core/stats.hpp"
#include "la3d/io/io.hpp"
#include "la3d/vad/vad_report.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;

// LA3D's VAD frame size: outputs are written at it.
const cv::Size kVadSize{320, 240};

// Removes a file when the run ends without handing it on.
struct TempFile {
  fs::path path;
  ~TempFile() {
    std::error_code ec;
    if (!path.empty()) fs::remove(path, ec);
  }
};

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

// Pass 2: the reference's overlay on every scored frame; frames past 16N are dropped.
Status annotate(const fs::path& from, const fs::path& to, const std::vector<float>& per_frame,
                double threshold, Rational fps, const VadRunOptions& a) {
  auto src = VideoSource::open(from.string());
  if (!src) return src.error();
  VideoSinkOptions o;
  o.codec = a.codec;
  o.crf = a.crf;
  auto sink = VideoSink::open(to, kVadSize, fps, o);
  if (!sink) return sink.error();
  cv::Mat f;
  for (size_t i = 0; i < per_frame.size(); ++i) {
    auto ok = src.value()->read(f);
    if (!ok) return ok.error();
    if (!ok.value()) return make_error("the anonymized frames ended early");
    draw_alert_panel(f, per_frame[i], per_frame[i] >= threshold);
    if (Status s = sink.value()->write(f); !s) return s;
  }
  return sink.value()->finish();
}

// The scores JSON: what was run, every score, the segments and the timing.
nlohmann::json scores_json(const VadRunOptions& a, const std::string& scorer, Method method,
                           double threshold, bool stream, double fps, long long frames,
                           long long snippets, const std::vector<float>& scores,
                           const std::vector<float>& per_frame,
                           const std::vector<Segment>& segments, nlohmann::json timing) {
  nlohmann::json j{{"input", a.input},
                   {"scorer", scorer},
                   {"method", std::string(method_name(method))},
                   {"threshold", threshold},
                   {"smoothing", a.smooth},
                   {"mode", stream ? "streaming" : "whole video"},
                   {"fps", fps},
                   {"frames", frames},
                   {"scored_frames", per_frame.size()},
                   {"snippets", snippets},
                   {"snippet_scores", scores},
                   {"frame_scores", per_frame},
                   {"segments", nlohmann::json::array()},
                   {"timing", std::move(timing)}};
  for (const Segment& s : segments)
    j["segments"].push_back({{"start_frame", s.start_frame},
                             {"end_frame", s.end_frame},
                             {"start_s", s.start_s},
                             {"end_s", s.end_s},
                             {"peak", s.peak}});
  return j;
}

}  // namespace

std::string vad_output_stem(const ScorerOptions& s, Method method, cv::Size size,
                            const std::string& input) {
  const std::string head = s.head == "motion" ? "motion" : s.head + "_" + s.dataset;
  const std::string video = is_live_spec(input) ? "live" : fs::path(input).stem().string();
  return fmt::format("{}_{}_imwh{}x{}_{}", head, method_name(method), size.width, size.height,
                     video);
}

Result<VadRunResult> run_vad(const VadRunOptions& a, const EngineOptions& eo,
                             const ScorerOptions& so, const VadRunCallbacks& cb) {
  return guarded("run_vad", [&]() -> Result<VadRunResult> {
    const auto t_start = std::chrono::steady_clock::now();
    if (a.input.empty()) return make_error("no input given (la3d vad VIDEO ...)");
    auto smoothing = parse_smoothing(a.smooth);
    if (!smoothing) return smoothing.error();
    if (a.window < 1) return make_error("the streaming window must be at least one snippet");
    const bool live = is_live_spec(a.input);
    if (!live && !fs::exists(a.input)) return make_error("input not found: " + a.input);
    if (!live && is_image_path(a.input))
      return make_error("VAD needs a video (16-frame snippets), not an image: " + a.input);
    // The VAD side first: a missing checkpoint is the likelier mistake in this command.
    auto made = make_scorer(so);
    if (!made) return made.error();
    auto engine = build_engine(eo);
    if (!engine) return engine.error();
    if (cb.weak_settings && !engine->weak.empty()) cb.weak_settings(engine->weak);
    const std::optional<cv::Size> input_size = engine->options.input_size;
    const Method method = engine->options.an.method;
    FramePipeline pipeline = std::move(engine.value()).pipeline();
    StreamingScorer streaming(std::move(made.value()), a.window, so.alert_threshold);
    SnippetScorer& scorer = streaming.scorer();
    const double threshold = so.alert_threshold;

    auto src = VideoSource::open(a.input);
    if (!src) return src.error();
    if (a.fps > 0) {
      src = resample(std::move(src.value()), a.fps);
      if (!src) return src.error();
    }
    VideoSource& source = *src.value();
    const bool stream = a.stream || source.kind() != SourceKind::Video;
    const double fps = source.fps().value() > 0 ? source.fps().value() : 25.0;
    const cv::Size size = input_size.value_or(source.size());
    const std::string stem = vad_output_stem(so, method, size, a.input);
    const fs::path video_out = a.out_dir / (stem + "_ad.mp4");

    // Pass 1 writes the 320x240 anonymized frames (whole video) or the finished video (streaming).
    std::unique_ptr<VideoSink> sink;
    TempFile frames_tmp;
    if (a.write_video) {
      VideoSinkOptions o;
      o.codec = a.codec;
      o.crf = stream ? a.crf : 12;
      // Whole-video frames wait outside the output folder, which appears only with the results.
      const fs::path target =
          stream ? video_out
                 : fs::temp_directory_path() / fmt::format("la3d-vad-{}-{}.mp4", ::getpid(), stem);
      if (!stream) frames_tmp.path = target;
      auto s = VideoSink::open(target, kVadSize, source.fps(), o);
      if (!s) return s.error();
      sink = std::move(s.value());
    }
    float latest = 0.f;
    bool have_score = false;
    std::vector<double> an_ms;
    if (!stream && cb.started) cb.started(source.frame_count());
    auto consume = [&](const cv::Mat& frame, const FrameReport& r, long long index) -> Status {
      an_ms.push_back(r.detect_ms + r.anonymize_ms);
      if (stream) {
        auto scored = streaming.add_frame(frame);
        if (!scored) return scored.error();
        if (scored.value()) {
          latest = scored.value()->score;
          have_score = true;
          if (cb.snippet_scored) cb.snippet_scored(*scored.value(), fps);
        }
      } else if (Status s = scorer.add_frame(frame); !s) {
        return s;
      }
      if (sink) {
        cv::Mat small;
        cv::resize(frame, small, kVadSize, 0, 0, cv::INTER_LINEAR);
        // Streaming overlays the latest snippet's score as it goes; whole-video scores come later.
        if (stream && have_score) draw_alert_panel(small, latest, latest >= threshold);
        if (Status s = sink->write(small); !s) return s;
      }
      if (!stream && cb.progress) cb.progress(index + 1);
      return Ok{};
    };
    auto frames = run_stream(source, pipeline, consume, cb.stop);
    if (!stream && cb.finished) cb.finished();
    if (!frames) return frames.error();
    if (cb.stop && cb.stop() && !live) return make_error("interrupted; no output written");
    const long long n = scorer.snippets();
    if (n == 0)
      return make_error(fmt::format("{} has {} frame(s): VAD needs at least one 16-frame snippet",
                                    a.input, frames.value()));

    std::vector<float> raw = streaming.scores();
    if (!stream) {
      auto all = scorer.score_all();
      if (!all) return all.error();
      raw = std::move(all.value());
    }
    const std::vector<float> scores = smooth_scores(raw, smoothing->first, smoothing->second);
    const std::vector<float> per_frame = frame_scores(scores);

    if (sink) {
      if (Status s = sink->finish(); !s) return s.error();
      if (!stream)
        if (Status s = annotate(frames_tmp.path, video_out, per_frame, threshold, source.fps(), a);
            !s)
          return s.error();
    }
    VadRunResult r;
    r.streaming = stream;
    r.scorer = scorer.name();
    r.frames = frames.value();
    r.snippets = n;
    r.wall_s = ms_since(t_start) / 1000;
    r.real_time_factor = r.frames > 0 ? r.wall_s / (r.frames / fps) : 0;
    const auto segments = anomalous_segments(per_frame, threshold, fps);
    r.segments = segments.size();
    const VadTimes& t = scorer.times();
    r.an_ms = summarize(an_ms).mean;
    r.prepare_ms = summarize(t.prepare_ms).mean;
    r.encode_ms = summarize(t.encode_ms).mean;
    r.head_ms = summarize(t.head_ms).mean;
    const nlohmann::json j =
        scores_json(a, r.scorer, method, threshold, stream, fps, r.frames, n, scores, per_frame,
                    segments, timing_json(t, an_ms, r.wall_s, r.frames / fps));
    std::error_code ec;
    fs::create_directories(a.out_dir, ec);
    std::vector<uchar> png;
    cv::imencode(".png",
                 score_plot(per_frame, threshold, fps,
                            fmt::format("Anomaly score of {} ({}, people hidden by {})",
                                        fs::path(a.input).filename().string(), r.scorer,
                                        method_name(method))),
                 png);
    for (const auto& [name, bytes] :
         {std::pair{stem + "_scores.csv", frame_scores_csv(per_frame, threshold, fps)},
          std::pair{stem + "_scores.json", j.dump(1) + "\n"},
          std::pair{stem + "_ad.png", std::string(png.begin(), png.end())}}) {
      if (Status s = write_file_atomically(a.out_dir / name, bytes); !s) return s.error();
      r.written.push_back(a.out_dir / name);
    }
    if (a.write_video) r.written.push_back(video_out);
    return r;
  });
}

}  // namespace la3d
