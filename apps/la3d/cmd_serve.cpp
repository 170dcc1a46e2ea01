// `la3d serve`: the live dashboard for one camera or several. Each camera runs its own live session
// (source -> anonymize -> VAD) on its own thread and publishes only anonymized frames: to its
// dashboard state, and when asked to the RTSP re-stream and MQTT. A live source that fails or
// drops is retried with backoff while the others go on.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <regex>
#include <thread>

#include "commands.hpp"
#include "la3d/engine/live_session.hpp"
#include "la3d/io/io.hpp"
#include "la3d/server/camera_config.hpp"
#include "la3d/server/camera_name.hpp"
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

struct CameraSpec {
  std::string name, source;
};

// NAME=URI, or a bare URI named after its file or host. A name is what validate_camera_name
// accepts, so "rtsp://host/x?a=b" is a bare URI and "gate=rtsp://..." a named one.
Result<std::vector<CameraSpec>> camera_specs(const std::vector<std::string>& sources,
                                             const std::string& single_name) {
  static const std::regex named(std::string("^(") + kCameraNamePattern + ")=(.+)$");
  std::vector<CameraSpec> out;
  for (const std::string& s : sources) {
    std::smatch m;
    CameraSpec c;
    if (std::regex_match(s, m, named)) {
      c = {m[1], m[2]};
    } else {
      c = {sources.size() == 1 && !single_name.empty() ? single_name : camera_name_for(s), s};
    }
    if (Status st = validate_camera_name(c.name); !st) return st.error();
    for (const CameraSpec& o : out)
      if (o.name == c.name)
        return make_error("two sources are named '" + c.name + "' (name them: --source NAME=URI)");
    out.push_back(c);
  }
  return out;
}

// One camera's sink: the dashboard's, plus the re-stream and MQTT when they are on.
class CameraSink final : public DashboardSink {
 public:
  CameraSink(DashboardState& state, int quality, bool quiet, MqttEvents* events,
             std::function<Status(const cv::Mat&, double)> restream)
      : DashboardSink(state, quality),
        camera_(state.camera()),
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
    if (!quiet_) std::cerr << "la3d: " << camera_ << ": frame skipped: " << why.message << "\n";
  }
  double fps() const { return fps_; }

 private:
  std::string camera_;
  bool quiet_;
  MqttEvents* events_;
  std::function<Status(const cv::Mat&, double)> restream_;
  double fps_ = 0;
};

}  // namespace

void add_serve_command(CLI::App& app, ServeArgs& a) {
  auto* cmd = app.add_subcommand("serve", "live dashboard: anonymized streams, VAD scores, cost");
  cmd->add_option("--source", a.sources,
                  "webcam[:N], a video file or a URL; repeat for several cameras, NAME=URI names "
                  "one (default: its file name or host)")
      ->required();
  cmd->add_option("--camera-config", a.camera_config,
                  "JSON settings per camera over the command line's: {\"cameras\": {\"NAME\": "
                  "{\"method\", \"an_scale\", \"an_bound\", \"detector\", \"detect_every\", "
                  "\"detect_threshold\", \"head\", \"alert_threshold\"}}}");
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
                  "also serve each camera at rtsp://BIND:PORT/NAME (H.264; 0: any free port; "
                  "with --token, user la3d and the token as password)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--rtsp-bitrate", a.rtsp_bitrate, "RTSP H.264 bitrate per camera, kb/s")
      ->check(CLI::Range(100, 100000))
      ->capture_default_str();
  cmd->add_option("--target-fps", a.target_fps,
                  "frames per second each camera tries to hold: its detector runs on fewer frames "
                  "when it falls behind (tracking in between, never beyond --detect-every auto's "
                  "bound), on more when there is time (0: off)")
      ->check(CLI::Range(0.0, 240.0));
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
  auto specs = camera_specs(a.sources, a.mqtt.camera);
  if (!specs) return fail(specs.error().message);
  auto options = engine_options(a.engine);
  if (!options) return fail(options.error().message);
  std::map<std::string, CameraSettings> settings;
  if (!a.camera_config.empty()) {
    auto text = read_file(a.camera_config);
    if (!text) return fail(text.error().message);
    auto parsed = parse_camera_config(text.value());
    if (!parsed) return fail(parsed.error().message);
    settings = std::move(parsed.value());
    for (const auto& [name, c] : settings)
      if (std::none_of(specs->begin(), specs->end(),
                       [&](const CameraSpec& s) { return s.name == name; }))
        return fail("--camera-config: no source is named '" + name + "'");
  }
  // With several cameras, each frame's work is done in turns: every camera gets its share of
  // the cores, round robin, whatever their number.
  std::shared_ptr<FairTurns> turns;
  if (specs->size() > 1)
    turns = std::make_shared<FairTurns>(int(std::max(1u, std::thread::hardware_concurrency())));

  struct Camera {
    CameraSpec spec;
    EngineOptions engine;
    ScorerOptions scorer;
    std::unique_ptr<DashboardState> state;
    std::unique_ptr<MqttEvents> events;
    std::unique_ptr<LiveSession> first;  // opened before serving: a bad file fails the command
    std::thread thread;
    std::string error;    // why it last stopped
    bool failed = false;  // for good (a file): the command's exit status says so
  };
  // A camera's session: its own engine and scorer, opened anew after a failure.
  auto open_session = [&](const Camera& c) -> Result<std::unique_ptr<LiveSession>> {
    auto engine = la3d::build_engine(c.engine);
    if (!engine) return engine.error();
    std::unique_ptr<StreamingScorer> scorer;
    if (c.scorer.head != "off") {
      ScorerOptions vad = c.scorer;
      vad.threads = a.engine.threads;
      auto s = make_scorer(vad);
      if (!s) return s.error();
      scorer =
          std::make_unique<StreamingScorer>(std::move(s.value()), a.window, vad.alert_threshold);
    }
    LiveOptions lo;
    lo.source = c.spec.source;
    lo.loop_files = !a.once;
    lo.turns = turns;
    lo.target_fps = a.target_fps;
    return LiveSession::open(lo, std::move(engine.value()), std::move(scorer));
  };

  std::vector<Camera> cameras;
  for (const CameraSpec& spec : specs.value()) {
    Camera c;
    c.spec = spec;
    c.engine = options.value();
    c.scorer = a.scorer;
    auto named = [&](const std::string& m) {
      return specs->size() == 1 ? m : spec.name + ": " + m;
    };
    if (auto it = settings.find(spec.name); it != settings.end())
      if (Status s = apply_camera_settings(it->second, c.engine, c.scorer); !s)
        return fail(named(s.error().message));
    if (Status s = require_anonymization(c.engine, "la3d serve"); !s)
      return fail(named(s.error().message));
    auto session = open_session(c);
    if (session) {
      c.first = std::move(session.value());
    } else if (!is_live_spec(spec.source) || specs->size() == 1) {
      return fail(named(session.error().message));
    }
    c.state = std::make_unique<DashboardState>(
        c.first ? c.first->source_description() : spec.source,
        c.scorer.head == "off" ? "" : (c.first ? c.first->scorer_name() : c.scorer.head),
        c.scorer.alert_threshold, c.engine.pipeline.an, spec.name);
    if (!c.first) c.state->set_health("retrying", session.error().message);
    MqttArgs mqtt = a.mqtt;
    mqtt.camera = spec.name;
    auto events =
        open_mqtt(mqtt, spec.source, std::string(method_name(c.engine.pipeline.an.method)),
                  c.scorer.head, c.scorer.alert_threshold);
    if (!events) return fail(events.error().message);
    c.events = std::move(events.value());
    cameras.push_back(std::move(c));
  }

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
      for (const Camera& c : cameras)
        std::cerr << fmt::format("la3d: RTSP on rtsp://{}:{}/{}\n", a.bind, rtsp->port(),
                                 c.spec.name);
  }
#else
  if (a.rtsp_port >= 0)
    return fail("--rtsp-port: this la3d was built without RTSP (install libgstrtspserver-1.0-dev)");
#endif

  std::vector<DashboardState*> states;
  for (Camera& c : cameras) states.push_back(c.state.get());
  DashboardServer server(states, so);
  if (Status s = server.start(); !s) return fail(s.error().message);
  if (!a.quiet)
    std::cerr << fmt::format("la3d: dashboard on http://{}:{}/ (Ctrl-C stops)\n", a.bind,
                             server.port());
  std::signal(SIGINT, on_serve_signal);
  std::signal(SIGTERM, on_serve_signal);

  std::atomic<int> running{int(cameras.size())};
  for (Camera& c : cameras) {
    c.thread = std::thread([&, cam = &c] {
      // Each anonymized frame also goes to the re-stream; the camera is added at its first
      // frame, whose size and rate it takes.
      std::function<Status(const cv::Mat&, double)> restream;
#ifdef LA3D_WITH_RTSP
      if (rtsp)
        restream = [&rtsp, name = cam->spec.name, added = false](const cv::Mat& frame,
                                                                 double fps) mutable {
          if (!added) {
            if (Status s = rtsp->add_camera(name, frame.size(), fps); !s) return s;
            added = true;
          }
          return rtsp->push(name, frame);
        };
#endif
      CameraSink sink(*cam->state, a.jpeg_quality, a.quiet, cam->events.get(), restream);
      const bool live = is_live_spec(cam->spec.source);
      std::unique_ptr<LiveSession> session = std::move(cam->first);
      int backoff_s = 1;
      while (!g_stop) {
        if (!session) {
          auto s = open_session(*cam);
          if (s)
            session = std::move(s.value());
          else
            cam->error = s.error().message;
        }
        if (session) {
          cam->state->set_health("running");
          auto frames = session->run(sink, [] { return g_stop.load(); });
          session.reset();
          if (frames) {
            if (!live || g_stop) {
              cam->state->set_health("ended");
              break;
            }
            cam->error = "the stream ended";
          } else {
            cam->error = frames.error().message;
          }
          backoff_s = 1;
        }
        if (!live) {
          cam->failed = true;
          cam->state->set_health("failed", cam->error);
          break;
        }
        // A live source comes back: retried 1, 2, 4 ... 30 s apart.
        cam->state->set_health("retrying",
                               fmt::format("{} (again in {} s)", cam->error, backoff_s));
        if (!a.quiet)
          std::cerr << fmt::format("la3d: {}: {}; retrying in {} s\n", cam->spec.name, cam->error,
                                   backoff_s);
        for (int i = 0; i < backoff_s * 10 && !g_stop; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        backoff_s = std::min(30, backoff_s * 2);
      }
      if (cam->events) cam->events->finish(sink.fps());
      --running;
    });
  }
  // Until stopped, or until every camera has ended (files with --once) or failed for good.
  while (!g_stop && running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  g_stop = true;
  for (Camera& c : cameras) c.thread.join();
  server.stop();
  for (const Camera& c : cameras)
    if (c.failed) return fail(cameras.size() == 1 ? c.error : c.spec.name + ": " + c.error);
  return 0;
}

}  // namespace la3d::cli
