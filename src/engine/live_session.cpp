// The live loop. It drives FramePipeline itself rather than run_stream: the side-by-side view
// needs each frame's raw copy next to its report, which run_stream (by design) never hands out,
// and live sources want one frame at a time with no queue adding latency.
#include "la3d/engine/live_session.hpp"

#include <chrono>
#include <thread>

#include "la3d/core/stats.hpp"
#include "la3d/io/io.hpp"

namespace la3d {

using Clock = std::chrono::steady_clock;

struct LiveSession::Impl {
  LiveOptions options;
  std::unique_ptr<VideoSource> source;
  std::unique_ptr<FramePipeline> pipeline;
  std::unique_ptr<StreamingScorer> scorer;
  std::string scorer_name;
  bool file = false;
  double fps = 25;
};

LiveSession::LiveSession() : impl_(std::make_unique<Impl>()) {}
LiveSession::~LiveSession() = default;

Result<std::unique_ptr<LiveSession>> LiveSession::open(const LiveOptions& options, Engine engine,
                                                       std::unique_ptr<StreamingScorer> scorer) {
  return guarded("open", [&]() -> Result<std::unique_ptr<LiveSession>> {
    if (!(options.default_fps > 0)) return make_error("the default frame rate must be positive");
    // What a live session hands on is shown or sent somewhere: never un-anonymized.
    if (engine.options.an.method == Method::NoAn)
      return make_error(
          "a live session shows only anonymized frames: choose a method other than "
          "no-an");
    auto source = VideoSource::open(options.source);
    if (!source) return source.error();
    std::unique_ptr<LiveSession> s(new LiveSession());
    Impl& m = *s->impl_;
    m.options = options;
    m.source = std::move(source.value());
    m.file = m.source->kind() == SourceKind::Video;
    m.fps = m.source->fps().value() > 0 ? m.source->fps().value() : options.default_fps;
    m.pipeline = std::make_unique<FramePipeline>(std::move(engine).pipeline());
    if (scorer) m.scorer_name = scorer->scorer().name();
    m.scorer = std::move(scorer);
    return s;
  });
}

std::string LiveSession::source_description() const {
  return impl_->source->description();
}
std::string LiveSession::scorer_name() const {
  return impl_->scorer_name;
}
const AnParams& LiveSession::an() const {
  return impl_->pipeline->an();
}

Result<long long> LiveSession::run(LiveSink& sink, const std::function<bool()>& stop) {
  return guarded("run", [&]() -> Result<long long> {
    Impl& m = *impl_;
    // `index` counts over the session; `in_sequence` restarts with each loop of a file, as the
    // frame numbers of a detections file do.
    long long index = 0, in_sequence = 0, handed = 0;
    auto next_due = Clock::now();
    cv::Mat frame;
    m.pipeline->start_sequence(m.fps);
    // --target-fps: K moves between 1 and what the engine chose for this rate (the privacy rule of
    // auto_detect_every), from the mean work per frame over the last 25 frames.
    const int k_max = m.pipeline->detect_every();
    int k = k_max;
    double work_ms = 0;
    int measured = 0;
    while (!(stop && stop())) {
      const auto t0 = Clock::now();
      auto got = m.source->read(frame);
      if (!got) return got.error();
      if (!got.value()) {
        if (!m.file || !m.options.loop_files) break;
        // A file plays in a loop, as a stand-in for a camera; trackers start afresh each time.
        auto again = VideoSource::open(m.options.source);
        if (!again) return again.error();
        m.source = std::move(again.value());
        m.pipeline->start_sequence(m.fps);
        if (k > 0) m.pipeline->set_detect_every(k);
        in_sequence = 0;
        continue;
      }
      LiveFrameStats stats;
      stats.decode_ms = ms_since(t0);
      stats.index = index;
      if (auto cfg = sink.take_config()) {
        if (cfg->method != Method::NoAn && m.pipeline->set_an(*cfg)) sink.config_applied(*cfg);
      }
      auto compare = sink.compare_method();
      if (compare == Method::NoAn) compare.reset();
      cv::Mat raw;  // stays here; only its anonymized rendering leaves
      if (compare) raw = frame.clone();
      const auto waiting = Clock::now();
      FairTurns::Turn turn = m.options.turns ? m.options.turns->take() : FairTurns::Turn();
      stats.wait_ms = ms_since(waiting);
      auto report = m.pipeline->process(frame, in_sequence++);
      if (!report) {
        // Fail closed: a frame whose anonymization failed is not handed on.
        sink.skipped(index, report.error());
        ++index;
        continue;
      }
      stats.detect_ms = report->detect_ms;
      stats.anonymize_ms = report->anonymize_ms;
      stats.people = report->instances;
      stats.detect_every = m.pipeline->detect_every();
      if (Status s = sink.frame(frame, stats, m.fps); !s) return s.error();
      ++handed;
      if (compare) {
        AnParams other = m.pipeline->an();
        other.method = *compare;
        if (m.pipeline->anonymize_like(raw, report.value(), other)) sink.compare(raw);
      }
      if (m.scorer) {
        auto scored = m.scorer->add_frame(frame);
        if (!scored) return scored.error();
        if (scored.value()) sink.score(*scored.value(), index, frame, m.fps);
      }
      turn.done();  // not held while a file waits for its next frame's time
      if (m.options.target_fps > 0 && k_max > 1) {
        work_ms += ms_since(t0);
        if (++measured == 25) {
          const double budget = 1000.0 / m.options.target_fps, mean = work_ms / measured;
          if (mean > budget && k < k_max)
            ++k;
          else if (mean < 0.6 * budget && k > 1)
            --k;
          m.pipeline->set_detect_every(k);
          work_ms = 0;
          measured = 0;
        }
      }
      ++index;
      if (m.file && m.options.pace_files) {
        next_due += std::chrono::microseconds(int64_t(1e6 / m.fps));
        if (next_due > Clock::now())
          std::this_thread::sleep_until(next_due);
        else
          next_due = Clock::now();
      }
    }
    return handed;
  });
}

}  // namespace la3d
