// `la3d serve`: the live dashboard. One thread runs source -> anonymize -> VAD and publishes only
// anonymized JPEG frames to the shared state; the HTTP server reads that state.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "commands.hpp"
#include "la3d/dashboard.hpp"
#include "la3d/io.hpp"
#include "vad_models.hpp"

namespace la3d::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_serve_signal(int) {
  g_stop = true;
}

std::string jpeg_of(const cv::Mat& frame, int quality) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", frame, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(buf.begin(), buf.end());
}

using Clock = std::chrono::steady_clock;

}  // namespace

void add_serve_command(CLI::App& app, ServeArgs& a) {
  auto* cmd = app.add_subcommand("serve", "live dashboard: anonymized stream, VAD score, cost");
  cmd->add_option("--source", a.source, "webcam[:N], a video file or a URL")->required();
  cmd->add_option("--port", a.port, "TCP port (0 = any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--bind", a.bind, "address to listen on")->capture_default_str();
  cmd->add_option("--token", a.token,
                  "secret required from clients (Authorization: Bearer, or /login?token= sets a "
                  "cookie); needed to bind anything but loopback");
  cmd->add_option("--allowed-host", a.allowed_hosts,
                  "a Host name clients may use besides the bind address and loopback (repeatable)");
  cmd->add_option("--head", a.head, "VAD: motion (training-free), pel, mgfn, or off")
      ->check(CLI::IsMember({"motion", "pel", "mgfn", "off"}))
      ->capture_default_str();
  cmd->add_option("--dataset", a.dataset, "ucf or xd (learned heads)")->capture_default_str();
  cmd->add_option("--weights", a.weights, "VAD head checkpoint");
  cmd->add_option("--encoder-weights", a.encoder_weights, "I3D checkpoint");
  cmd->add_flag("--formula-weights", a.formula_weights, "synthetic VAD weights (demos, tests)");
  cmd->add_option("--threshold", a.threshold, "VAD alert threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--window", a.window, "snippets each streaming VAD score looks back over")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--once", a.once, "stop at the end of a video file (default: play it in a loop)");
  cmd->add_option("--jpeg-quality", a.jpeg_quality, "quality of the streamed frames")
      ->check(CLI::Range(10, 100))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "print nothing but errors");
  add_engine_options(*cmd, a.engine, "--detect-threshold", /*weak_allowed=*/false);
}

int run_serve(const ServeArgs& a) {
  if (a.engine.method == "no-an")
    return fail("serve shows only anonymized frames: choose a method other than no-an");
  ServerOptions so;
  so.bind = a.bind;
  so.port = a.port;
  so.token = a.token;
  so.allowed_hosts = a.allowed_hosts;
  if (Status s = validate(so); !s) return fail(s.error().message);
  auto engine = build_engine(a.engine);
  if (!engine) return fail(engine.error().message);
  std::unique_ptr<SnippetScorer> scorer;
  if (a.head != "off") {
    set_vad_threads(a.engine.threads);
    auto s = make_scorer(
        {a.head, a.dataset, "auto", a.weights, a.encoder_weights, a.formula_weights, a.threshold});
    if (!s) return fail(s.error().message);
    scorer = std::move(s.value());
  }
  auto source = VideoSource::open(a.source);
  if (!source) return fail(source.error().message);
  const bool file = source.value()->kind() == SourceKind::Video;
  const double fps = source.value()->fps().value() > 0 ? source.value()->fps().value() : 25.0;

  FramePipeline pipeline(engine->options, std::move(engine->detector));
  DashboardState state(source.value()->description(), scorer ? scorer->name() : "", a.threshold,
                       engine->options.an);
  DashboardServer server(state, so);
  if (Status s = server.start(); !s) return fail(s.error().message);
  if (!a.quiet)
    std::cerr << fmt::format("la3d: dashboard on http://{}:{}/ (Ctrl-C stops)\n", a.bind,
                             server.port());
  std::signal(SIGINT, on_serve_signal);
  std::signal(SIGTERM, on_serve_signal);

  long long index = 0;
  auto next_due = Clock::now();
  cv::Mat frame;
  pipeline.start_sequence(fps);
  while (!g_stop) {
    auto t0 = Clock::now();
    auto got = source.value()->read(frame);
    if (!got) return fail(got.error().message);
    if (!got.value()) {
      if (!file || a.once) break;
      // A file plays in a loop, as a stand-in for a camera; trackers start afresh each time.
      auto again = VideoSource::open(a.source);
      if (!again) return fail(again.error().message);
      source = std::move(again);
      pipeline.start_sequence(fps);
      continue;
    }
    FrameStats stats;
    stats.decode_ms = ms_since(t0);
    stats.index = index;
    if (auto cfg = state.take_config()) {
      if (pipeline.set_an(*cfg)) state.set_active(*cfg);
    }
    const auto compare = state.compare_method();
    cv::Mat raw;  // stays in this thread; only its anonymized rendering is published
    if (compare) raw = frame.clone();
    auto report = pipeline.process(frame, index);
    // Fail closed: a frame whose anonymization failed is not published.
    if (!report) {
      if (!a.quiet) std::cerr << "la3d: frame skipped: " << report.error().message << "\n";
      ++index;
      continue;
    }
    stats.detect_ms = report->detect_ms;
    stats.anonymize_ms = report->anonymize_ms;
    stats.people = report->instances;
    const auto t1 = Clock::now();
    std::string jpeg = jpeg_of(frame, a.jpeg_quality);
    stats.jpeg_ms = ms_since(t1);
    state.publish_frame(std::move(jpeg), stats, fps);
    if (compare) {
      AnParams other = pipeline.an();
      other.method = *compare;
      if (pipeline.anonymize_like(raw, report.value(), other))
        state.publish_compare(jpeg_of(raw, a.jpeg_quality));
    }
    if (scorer) {
      const long long before = scorer->snippets();
      if (Status s = scorer->add_frame(frame); !s) return fail(s.error().message);
      if (scorer->snippets() > before) {
        auto score = scorer->score_latest(a.window);
        if (!score) return fail(score.error().message);
        cv::Mat thumb;
        cv::resize(frame, thumb, {160, std::max(1, frame.rows * 160 / std::max(1, frame.cols))});
        state.add_score({before, index, score.value()}, jpeg_of(thumb, 80), fps);
      }
    }
    ++index;
    // A file is played at its own rate, so the dashboard shows it as a camera would.
    if (file) {
      next_due += std::chrono::microseconds(int64_t(1e6 / fps));
      if (next_due > Clock::now())
        std::this_thread::sleep_until(next_due);
      else
        next_due = Clock::now();
    }
  }
  server.stop();
  return 0;
}

}  // namespace la3d::cli
