// `la3d serve`: the live dashboard. One thread runs source -> anonymize -> VAD and publishes only
// anonymized JPEG frames to the shared state; the HTTP server reads that state.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "la3d/engine/live_session.hpp"
#include "la3d/server/dashboard.hpp"
#ifdef LA3D_WITH_RTSP
#include "la3d/server/rtsp.hpp"
#endif
#include "scorer_args.hpp"

namespace la3d::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_serve_signal(int) {
  g_stop = true;
}

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
  ScorerFlags flags;
  flags.off = flags.alert = true;
  add_scorer_options(*cmd, a.scorer, flags);
  cmd->add_option("--window", a.window, "snippets each streaming VAD score looks back over")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--once", a.once, "stop at the end of a video file (default: play it in a loop)");
  cmd->add_option("--jpeg-quality", a.jpeg_quality, "quality of the streamed frames")
      ->check(CLI::Range(10, 100))
      ->capture_default_str();
  cmd->add_option("--rtsp-port", a.rtsp_port,
                  "also serve the anonymized stream at rtsp://BIND:PORT/NAME (H.264; 0: any free "
                  "port; with --token, user la3d and the token as password)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--rtsp-bitrate", a.rtsp_bitrate, "RTSP H.264 bitrate, kb/s")
      ->check(CLI::Range(100, 100000))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "print nothing but errors");
  add_mqtt_options(*cmd, a.mqtt);
  add_engine_options(*cmd, a.engine, /*weak_allowed=*/false);
}

int run_serve(const ServeArgs& a) {
  ServerOptions so;
  so.bind = a.bind;
  so.port = a.port;
  so.token = a.token;
  so.allowed_hosts = a.allowed_hosts;
  if (Status s = validate(so); !s) return fail(s.error().message);
  auto options = engine_options(a.engine);
  if (!options) return fail(options.error().message);
  if (Status s = require_anonymization(options.value(), "la3d serve"); !s)
    return fail(s.error().message);
  auto engine = la3d::build_engine(options.value());
  if (!engine) return fail(engine.error().message);
  std::unique_ptr<StreamingScorer> scorer;
  if (a.scorer.head != "off") {
    ScorerOptions vad = a.scorer;
    vad.threads = a.engine.threads;
    auto s = make_scorer(vad);
    if (!s) return fail(s.error().message);
    scorer =
        std::make_unique<StreamingScorer>(std::move(s.value()), a.window, a.scorer.alert_threshold);
  }
  auto mqtt = open_mqtt(a.mqtt, a.source, std::string(method_name(options->pipeline.an.method)),
                        a.scorer.head, a.scorer.alert_threshold);
  if (!mqtt) return fail(mqtt.error().message);
  LiveOptions lo;
  lo.source = a.source;
  lo.loop_files = !a.once;
  auto session = LiveSession::open(lo, std::move(engine.value()), std::move(scorer));
  if (!session) return fail(session.error().message);
  LiveSession& live = *session.value();

  // The camera's name: MQTT topics and the RTSP path.
  const std::string camera = a.mqtt.camera.empty() ? camera_name_for(a.source) : a.mqtt.camera;
#ifdef LA3D_WITH_RTSP
  std::unique_ptr<RtspServer> rtsp;
  if (a.rtsp_port >= 0) {
    RtspOptions ro;
    ro.bind = a.bind;
    ro.port = a.rtsp_port;
    ro.token = a.token;
    ro.bitrate_kbps = a.rtsp_bitrate;
    auto r = RtspServer::start(ro);
    if (!r) return fail(r.error().message);
    rtsp = std::move(r.value());
    if (!a.quiet)
      std::cerr << fmt::format("la3d: RTSP on rtsp://{}:{}/{}\n", a.bind, rtsp->port(), camera);
  }
#else
  if (a.rtsp_port >= 0)
    return fail("--rtsp-port: this la3d was built without RTSP (install libgstrtspserver-1.0-dev)");
#endif

  DashboardState state(live.source_description(), live.scorer_name(), a.scorer.alert_threshold,
                       live.an());
  DashboardServer server(state, so);
  if (Status s = server.start(); !s) return fail(s.error().message);
  if (!a.quiet)
    std::cerr << fmt::format("la3d: dashboard on http://{}:{}/ (Ctrl-C stops)\n", a.bind,
                             server.port());
  std::signal(SIGINT, on_serve_signal);
  std::signal(SIGTERM, on_serve_signal);

  // Each anonymized frame also goes to the RTSP re-stream; its camera is added at the first
  // frame, whose size and rate it takes.
  std::function<Status(const cv::Mat&, double)> restream;
#ifdef LA3D_WITH_RTSP
  if (rtsp)
    restream = [&rtsp, &camera, added = false](const cv::Mat& frame, double fps) mutable {
      if (!added) {
        if (Status s = rtsp->add_camera(camera, frame.size(), fps); !s) return s;
        added = true;
      }
      return rtsp->push(camera, frame);
    };
#endif
  // Frames that could not be anonymized are dropped by the session; say so unless quiet. The
  // dashboard's frames and scores also go to MQTT when --mqtt is given.
  class Sink final : public DashboardSink {
   public:
    Sink(DashboardState& state, int quality, bool quiet, MqttEvents* events,
         std::function<Status(const cv::Mat&, double)> restream)
        : DashboardSink(state, quality),
          quiet_(quiet),
          events_(events),
          restream_(std::move(restream)) {}
    Status frame(const cv::Mat& anonymized, const LiveFrameStats& stats, double fps) override {
      fps_ = fps;
      if (events_) events_->on_frame(stats, fps);
      if (restream_)
        if (Status s = restream_(anonymized, fps); !s) return s;
      return DashboardSink::frame(anonymized, stats, fps);
    }
    void score(const SnippetScore& s, long long index, const cv::Mat& frame, double fps) override {
      if (events_) events_->on_score(s, fps);
      DashboardSink::score(s, index, frame, fps);
    }
    void skipped(long long, const Error& why) override {
      if (events_) events_->on_skipped();
      if (!quiet_) std::cerr << "la3d: frame skipped: " << why.message << "\n";
    }
    double fps_ = 0;

   private:
    bool quiet_;
    MqttEvents* events_;
    std::function<Status(const cv::Mat&, double)> restream_;
  } sink(state, a.jpeg_quality, a.quiet, mqtt->get(), restream);
  auto frames = live.run(sink, [] { return g_stop.load(); });
  if (mqtt.value()) mqtt.value()->finish(sink.fps_);
  server.stop();
  if (!frames) return fail(frames.error().message);
  return 0;
}

}  // namespace la3d::cli
