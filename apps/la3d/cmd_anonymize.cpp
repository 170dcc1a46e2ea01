#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "progress.hpp"

namespace la3d::cli {
namespace {

// The signal that asked the run to stop (SIGINT, SIGTERM), 0 while none has.
std::atomic<int> g_signal{0};
extern "C" void on_interrupt(int sig) {
  g_signal = sig;
}
bool interrupted() {
  return g_signal.load() != 0;
}

void show_preview(const cv::Mat& frame, double an_seconds) {
  cv::Mat shown = frame.clone();
  cv::putText(shown, fmt::format("AN Time: {:.3f}s", an_seconds), {10, 30},
              cv::FONT_HERSHEY_SIMPLEX, 0.8, {0, 255, 0}, 2);
  cv::imshow("la3d", shown);
  const int key = cv::waitKey(1);
  if (key == 'q' || key == 27) g_signal = SIGINT;
}

std::string ms(const std::vector<double>& v) {
  return fmt::format("{:.1f}", summarize(v).mean);
}

}  // namespace

int fail(const std::string& message, int status) {
  std::cerr << "la3d: error: " << message << std::endl;
  return status;
}

void add_anonymize_command(CLI::App& app, AnonymizeArgs& a) {
  auto* cmd = app.add_subcommand("anonymize",
                                 "hide people in images, folders, videos, webcams and streams");
  cmd->add_option("inputs", a.run.inputs, "image, folder, video, webcam[:N] or URL");
  cmd->add_option("--input", a.run.inputs, "an input (-id)");
  cmd->add_option("--input-type", a.run.input_type, "image, video or webcam (-if)")
      ->check(CLI::IsMember({"image", "video", "webcam"}));
  cmd->add_option("-o,--output", a.run.output,
                  "write exactly here (a folder for folder or several inputs)");
  cmd->add_flag("-s,--save", a.run.reference_names,
                "save into --out-dir with the reference's file names");
  cmd->add_option("--out-dir", a.run.out_dir, "folder for -s (-od)")->capture_default_str();
  cmd->add_flag("-v,--preview", a.run.preview, "show a preview window with the AN time");
  cmd->add_flag("--no-audio", a.no_audio, "drop the source's audio track");
  cmd->add_option("--codec", a.run.codec,
                  "video encoder (libx264, mpeg4, mjpeg, ...); default by container");
  cmd->add_option("--crf", a.run.crf, "x264 quality, 0 (lossless) to 51")
      ->check(CLI::Range(0, 51))
      ->capture_default_str();
  cmd->add_option("--bitrate", a.run.bitrate_kbps, "video bitrate in kb/s (encoders without crf)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--save-detections", a.run.save_detections,
                  "write the detections used as JSON Lines");
  cmd->add_flag("-q,--quiet", a.quiet, "no progress bar");
  cmd->add_flag("--allow-truncated", a.run.allow_truncated,
                "keep the output of a video that ends before its container's frame count "
                "(otherwise exit 3, nothing written)");
  cmd->add_option("--fps", a.run.fps,
                  "resample videos to this frame rate first (frames dropped or repeated; -fps)")
      ->check(CLI::Range(0.001, 1000.0));
  auto* y = cmd->add_flag("-y,--overwrite", a.run.overwrite, "replace outputs that already exist");
  cmd->add_flag("--no-clobber", a.run.no_clobber,
                "skip inputs whose output already exists (reported as skipped)")
      ->excludes(y);
  cmd->add_flag("--json", a.json,
                "print a JSON summary on stdout (outputs, skipped files, frames, timing) instead "
                "of the output paths");
  add_engine_options(*cmd, a.engine, /*weak_allowed=*/true, "-t,--threshold,");
}

int run_anonymize(const AnonymizeArgs& args) {
  AnonymizeRunOptions run = args.run;
  run.keep_audio = !args.no_audio;
  // OpenCV's Qt window aborts the whole process when there is no display; refuse before starting.
  if (run.preview && !std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY"))
    return fail("-v needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set)");
  auto engine = engine_options(args.engine);
  if (!engine) return fail(engine.error().message);

  std::unique_ptr<Progress> progress;
  AnonymizeCallbacks cb;
  cb.weak_settings = [](const std::vector<std::string>& weak) { warn_weak(weak); };
  cb.skipped = [&](const SkippedInput& s) {
    if (!args.quiet) std::cerr << "la3d: skipped " << s.path << ": " << s.why << "\n";
  };
  cb.input_started = [&](size_t k, size_t n, const std::string& input) {
    if (n > 1 && !args.quiet) std::cerr << fmt::format("la3d: file {}/{}: {}\n", k + 1, n, input);
  };
  cb.video_started = [&](const std::string& input, long long frames) {
    progress = std::make_unique<Progress>(fs::path(input).filename().string(), frames, !args.quiet);
  };
  cb.frame_done = [&](const cv::Mat& frame, const FrameReport& r, long long index) {
    if (run.preview) show_preview(frame, (r.detect_ms + r.anonymize_ms) / 1000.0);
    if (progress) progress->update(index + 1);
  };
  cb.video_finished = [&](const std::string&) {
    if (progress) progress->finish();
    progress.reset();
  };
  cb.image_done = [&](const std::string&) {
    if (run.preview) cv::waitKey(0);
  };
  cb.stop = interrupted;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const AnonymizeOutcome out = anonymize_inputs(run, engine.value(), cb);
  switch (out.end) {
    case RunEnd::Interrupted:
      std::cerr << "la3d: " << out.error << "\n";
      return 128 + g_signal.load();
    case RunEnd::Truncated:
      return fail(out.error, kExitTruncated);
    case RunEnd::Failed:
      return fail(out.error);
    case RunEnd::Done:
      break;
  }

  const AnonymizeTotals& t = out.totals;
  const std::string method(method_name(engine->pipeline.an.method));
  if (args.json) {
    nlohmann::ordered_json j;
    j["outputs"] = nlohmann::json::array();
    for (const auto& p : out.written) j["outputs"].push_back(p.string());
    j["skipped"] = nlohmann::json::array();
    for (const SkippedInput& s : out.skipped)
      j["skipped"].push_back({{"path", s.path}, {"why", s.why}});
    j["method"] = method;
    j["frames"] = t.frames;
    j["regions_hidden"] = t.regions;
    j["frames_fully_masked"] = t.masked_frames;
    j["wall_s"] = out.wall_s;
    j["fps"] = out.wall_s > 0 ? t.frames / out.wall_s : 0.0;
    j["ms_per_frame"] = {{"decode", summarize(t.decode_ms).mean},
                         {"detect", summarize(t.detect_ms).mean},
                         {"anonymize", summarize(t.anonymize_ms).mean},
                         {"encode", summarize(t.encode_ms).mean}};
    std::cout << j.dump() << std::endl;
  } else {
    for (const auto& p : out.written) std::cout << p.string() << "\n";
  }
  if (!args.quiet)
    std::cerr << fmt::format(
        "la3d: {} frame(s) in {:.1f} s ({:.1f} fps), {} regions hidden{}, {}{} | ms/frame: decode "
        "{} detect {} anonymize {} encode {}\n",
        t.frames, out.wall_s, out.wall_s > 0 ? t.frames / out.wall_s : 0.0, t.regions,
        t.masked_frames ? fmt::format(", {} frame(s) fully masked", t.masked_frames) : "", method,
        out.skipped.empty() ? "" : fmt::format(", {} skipped", out.skipped.size()), ms(t.decode_ms),
        ms(t.detect_ms), ms(t.anonymize_ms), ms(t.encode_ms));
  // Last, where it is seen: what was written is not anonymized.
  if (engine->pipeline.an.method == Method::NoAn)
    std::cerr << "la3d: warning: --method no-an hides nobody: the output shows every person\n";
  return 0;
}

}  // namespace la3d::cli
