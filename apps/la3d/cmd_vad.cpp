// `la3d vad`: anonymize, then score anomalies on the anonymized frames (LA3D's AN->VAD path).
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "la3d/engine/vad_run.hpp"
#include "la3d/io/io.hpp"
#include "progress.hpp"
#include "scorer_args.hpp"

namespace la3d::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_vad_interrupt(int) {
  g_stop = true;
}

}  // namespace

void add_vad_command(CLI::App& app, VadArgs& a) {
  auto* cmd = app.add_subcommand(
      "vad", "anonymize a video, then score anomalies on the anonymized frames (AN -> VAD)");
  cmd->add_option("input", a.run.input, "video file, webcam[:N] or URL");
  cmd->add_option("--input", a.run.input, "the input (-id)");
  cmd->add_option("--fps", a.run.fps,
                  "resample the video to this frame rate first (frames dropped or repeated; -fps)")
      ->check(CLI::Range(0.001, 1000.0));
  ScorerFlags flags;
  flags.encoder = flags.alert = true;
  add_scorer_options(*cmd, a.scorer, flags);
  cmd->add_flag("--stream", a.run.stream,
                "score each snippet as it completes over the last --window snippets (always on for "
                "webcams and URLs); events go to stdout as JSON lines");
  cmd->add_option("--window", a.run.window, "snippets a streaming score looks back over")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--smooth", a.run.smooth,
                  "snippet-score smoothing: none (LA3D), fixed:K or slide:K (PEL4VAD's protocol)")
      ->capture_default_str();
  cmd->add_option("--out-dir", a.run.out_dir, "folder for the video, plot, CSV and JSON")
      ->capture_default_str();
  // -o names a file everywhere else; here it once named the folder, and still does for old
  // scripts, out of --help.
  cmd->add_option("-o", a.run.out_dir)->group("");
  cmd->add_flag("--no-video", a.no_video, "skip the annotated video");
  cmd->add_option("--codec", a.run.codec, "video encoder");
  cmd->add_option("--crf", a.run.crf, "x264 quality")->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "no progress or summary");
  add_mqtt_options(*cmd, a.mqtt);
  add_engine_options(*cmd, a.engine);
}

int run_vad(const VadArgs& args) {
  VadRunOptions run = args.run;
  run.write_video = !args.no_video;
  const bool stream = run.stream || is_live_spec(run.input);
  auto engine = engine_options(args.engine);
  if (!engine) return fail(engine.error().message);
  ScorerOptions scorer = args.scorer;
  scorer.threads = args.engine.threads;

  std::unique_ptr<Progress> progress;
  VadRunCallbacks cb;
  cb.snippet_scored = [](const SnippetScore& s, double fps) {
    nlohmann::json e{{"snippet", s.snippet},      {"start_frame", s.first_frame},
                     {"end_frame", s.last_frame}, {"start_s", s.first_frame / fps},
                     {"score", s.score},          {"alert", s.alert}};
    std::cout << e.dump() << std::endl;
  };
  cb.started = [&](long long frames) {
    progress =
        std::make_unique<Progress>(fs::path(run.input).filename().string(), frames, !args.quiet);
  };
  cb.progress = [&](long long done) {
    if (progress) progress->update(done);
  };
  cb.finished = [&] {
    if (progress) progress->finish();
  };
  cb.stop = [] { return g_stop.load(); };
  std::signal(SIGINT, on_vad_interrupt);
  cb.weak_settings = [](const std::vector<std::string>& weak) { warn_weak(weak); };
  // Events on MQTT: a streaming run's segments and scores as they happen.
  if (!args.mqtt.url.empty() && !stream)
    return fail("--mqtt publishes as scores arrive: it needs --stream (or a live source)");
  auto mqtt = open_mqtt(args.mqtt, run.input, std::string(method_name(engine->pipeline.an.method)),
                        scorer.head, scorer.alert_threshold);
  if (!mqtt) return fail(mqtt.error().message);
  double source_fps = 0;
  if (MqttEvents* events = mqtt->get()) {
    cb.snippet_scored = [print = cb.snippet_scored, events, &source_fps](const SnippetScore& s,
                                                                         double fps) {
      print(s, fps);
      source_fps = fps;
      events->on_score(s, fps);
      events->on_progress(s.last_frame + 1, fps);
    };
  }
  auto r = la3d::run_vad(run, engine.value(), scorer, cb);
  if (mqtt.value()) mqtt.value()->finish(source_fps);
  if (!r) return fail(r.error().message);
  if (!args.quiet)
    std::cerr << fmt::format(
        "la3d: vad {}: {} snippet(s), {} anomalous segment(s) at {} | ms: AN {:.1f}/frame, "
        "prepare {:.1f}/snippet, encoder {:.1f}/snippet, head {:.1f}/call | {:.2f}x real time\n",
        r->scorer, r->snippets, r->segments, scorer.alert_threshold, r->an_ms, r->prepare_ms,
        r->encode_ms, r->head_ms, r->real_time_factor);
  // Every file written, one per line: on stdout, unless stdout carries the JSON event lines.
  for (const fs::path& p : r->written)
    if (stream) {
      if (!args.quiet) std::cerr << "la3d: wrote " << p.string() << "\n";
    } else {
      std::cout << p.string() << "\n";
    }
  return 0;
}

}  // namespace la3d::cli
