#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "commands.hpp"
#include "la3d/detections_file.hpp"
#include "la3d/io.hpp"
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

// Every path the run writes, with what it is: no output may replace an input, the detections file
// or another output (two inputs named alike into one -o folder).
class Claims {
 public:
  Status claim(const fs::path& path, const std::string& what) {
    std::error_code ec;
    const fs::path key = fs::weakly_canonical(path, ec);
    const auto [it, fresh] = taken_.emplace(ec ? path.lexically_normal() : key, what);
    if (fresh) return Ok{};
    return make_error(what + " " + path.string() + " would overwrite " + it->second);
  }

 private:
  std::map<fs::path, std::string> taken_;
};

enum class InputKind { Image, Video, Live };

struct Job {
  std::string input;  // path or source spec
  InputKind kind;
  fs::path out_root;  // where mirrored outputs go (folders, several inputs); empty otherwise
  fs::path rel_dir;   // sub-folder below out_root, mirroring the input tree
};

struct Totals {
  long long frames = 0, regions = 0, masked_frames = 0;
  std::vector<double> decode, detect, anonymize, encode;
};

std::string live_stem(const std::string& spec) {
  if (spec.rfind("webcam", 0) == 0) return spec == "webcam" ? "webcam0" : "webcam" + spec.substr(7);
  return "stream";
}

// Where one input's output goes; nullopt when it is shown only (-v on a live source).
Result<std::optional<fs::path>> output_path(const AnonymizeArgs& a, const Job& job, cv::Size size) {
  const bool image = job.kind == InputKind::Image;
  const fs::path in(job.input);
  const std::string stem = job.kind == InputKind::Live ? live_stem(job.input) : in.stem().string();
  std::string ext = job.kind == InputKind::Live ? ".mp4" : in.extension().string();
  // Inside a folder of outputs the original names are kept: the folder says what they are.
  std::string name = job.out_root.empty() ? stem + "_anonymized" + ext : in.filename().string();
  if (a.save)
    name = fmt::format("{}_imwh{}x{}_{}_an{}", a.engine.method, size.width, size.height, stem,
                       image ? ".jpg" : ".mp4");
  fs::path out;
  if (!job.out_root.empty()) {
    out = (job.out_root / job.rel_dir / name).lexically_normal();
  } else if (!a.output.empty()) {
    out = a.output;
    if (image && !is_image_path(out))
      return make_error("output for an image must be an image file: " + out.string());
  } else if (a.save) {
    out = fs::path(a.out_dir) / name;
  } else if (job.kind == InputKind::Live) {
    if (a.preview) return std::optional<fs::path>();
    return make_error("a live source needs -o PATH or -s to write, or -v to show");
  } else {
    out = in.parent_path() / name;
  }
  return std::optional<fs::path>(out);
}

struct Skipped {
  std::string path, why;
};

// The overwrite rule, for every file a run writes: an existing one stands in the way unless -y.
bool in_the_way(const AnonymizeArgs& a, const fs::path& path) {
  std::error_code ec;
  return !a.overwrite && fs::exists(path, ec);
}

// The jobs of a run, in order; files of a folder that are not media go to `skipped`.
Result<std::vector<Job>> plan_jobs(const AnonymizeArgs& a, const std::vector<std::string>& inputs,
                                   std::vector<Skipped>& skipped) {
  std::vector<Job> jobs;
  const bool many = inputs.size() > 1;
  for (std::string input : inputs) {
    if (a.input_type == "webcam" && input.find_first_not_of("0123456789") == std::string::npos)
      input = "webcam:" + input;
    if (is_live_spec(input)) {
      jobs.push_back({input,
                      InputKind::Live,
                      many && !a.output.empty() ? fs::path(a.output) : fs::path(),
                      {}});
      continue;
    }
    std::error_code ec;
    if (!fs::exists(input, ec)) return make_error("input not found: " + input);
    if (fs::is_directory(input, ec)) {
      const FolderListing media = list_media(input);
      if (!media.error.empty())
        return make_error("cannot read folder " + input + ": " + media.error);
      for (const auto& [path, why] : media.skipped) skipped.push_back({path.string(), why});
      if (media.images.empty() && media.videos.empty())
        return make_error("no images or videos found in folder " + input);
      fs::path root =
          !a.output.empty() ? fs::path(a.output)
          : a.save          ? fs::path(a.out_dir)
                            : fs::path(input).lexically_normal().parent_path() /
                         (fs::path(input).lexically_normal().filename().string() + "_anonymized");
      if (fs::path(input).lexically_normal().filename().empty())  // "dir/" spelled with a slash
        root = fs::path(input).lexically_normal().parent_path().string() + "_anonymized";
      for (const auto& img : media.images)
        jobs.push_back(
            {img.string(), InputKind::Image, root, fs::relative(img.parent_path(), input)});
      for (const auto& video : media.videos)
        jobs.push_back(
            {video.string(), InputKind::Video, root, fs::relative(video.parent_path(), input)});
      continue;
    }
    const InputKind kind = is_image_path(input) ? InputKind::Image : InputKind::Video;
    if (a.input_type == "image" && kind != InputKind::Image)
      return make_error("not an image file: " + input);
    if (a.input_type == "video" && kind != InputKind::Video)
      return make_error("not a video file: " + input);
    jobs.push_back({input, kind, many && !a.output.empty() ? fs::path(a.output) : fs::path(), {}});
  }
  return jobs;
}

void show_preview(const cv::Mat& frame, double an_seconds) {
  cv::Mat shown = frame.clone();
  cv::putText(shown, fmt::format("AN Time: {:.3f}s", an_seconds), {10, 30},
              cv::FONT_HERSHEY_SIMPLEX, 0.8, {0, 255, 0}, 2);
  cv::imshow("la3d", shown);
  const int key = cv::waitKey(1);
  if (key == 'q' || key == 27) g_signal = SIGINT;
}

// Drives the jobs of one `anonymize` call through one pipeline and collects the totals.
class Runner {
 public:
  Runner(const AnonymizeArgs& a, Engine& e, DetectionsWriter* dw, Claims& claims,
         OutputBatch& batch)
      : a_(a),
        input_size_(e.options.input_size),
        pipeline_(e.options, std::move(e.detector)),
        dw_(dw),
        claims_(claims),
        batch_(batch) {}

  Status run(const Job& job) {
    return job.kind == InputKind::Image ? run_image(job) : run_video(job);
  }
  const Totals& totals() const { return totals_; }
  const std::vector<fs::path>& written() const { return written_; }
  bool truncated() const { return truncated_; }
  const std::vector<Skipped>& skipped() const { return skipped_; }

 private:
  Status account(const cv::Mat& frame, const FrameReport& r, long long index) {
    ++totals_.frames;
    totals_.regions += r.instances;
    totals_.masked_frames += r.masked_whole_frame;
    totals_.decode.push_back(r.decode_ms);
    totals_.detect.push_back(r.detect_ms);
    totals_.anonymize.push_back(r.anonymize_ms);
    if (dw_)
      if (Status s = dw_->write({index, frame.size(), r.detections}); !s) return s;
    if (a_.preview) show_preview(frame, (r.detect_ms + r.anonymize_ms) / 1000.0);
    return Ok{};
  }

  // Claims `out` for this run and applies the overwrite rule: false when --no-clobber skips the
  // job (recorded with why), an error when the file exists and -y was not given.
  Result<bool> take_output(const Job& job, const fs::path& out) {
    if (Status s = claims_.claim(out, "the output"); !s) return s.error();
    if (!in_the_way(a_, out)) return true;
    if (!a_.no_clobber)
      return make_error("the output " + out.string() +
                        " exists (-y overwrites it, --no-clobber skips it)");
    skipped_.push_back({job.input, "its output " + out.string() + " exists (--no-clobber)"});
    return false;
  }

  // Images count as frames of one sequence (a folder's sorted images), for --detections.
  Status run_image(const Job& job) {
    // The output and the overwrite rule before the image is read (a --no-clobber re-run over a
    // large folder reads nothing), unless its name needs the image's size (-s without -is).
    std::optional<fs::path> out;
    auto decide = [&](cv::Size size) -> Result<bool> {  // false: skipped
      auto o = output_path(a_, job, size);
      if (!o) return o.error();
      out = o.value();
      if (!out) return true;
      auto take = take_output(job, *out);
      if (take && !take.value()) ++image_index_;  // the next image keeps its --detections place
      return take;
    };
    const bool name_needs_size = a_.save && !input_size_;
    if (!name_needs_size) {
      auto go = decide(input_size_.value_or(cv::Size()));
      if (!go) return go.error();
      if (!go.value()) return Ok{};
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto img = read_image(job.input);
    if (!img) return img.error();
    const double decode_ms = ms_since(t0);
    if (name_needs_size) {
      auto go = decide(img->size());
      if (!go) return go.error();
      if (!go.value()) return Ok{};
    }
    pipeline_.start_sequence();  // nothing seen in one image may be held into the next
    auto report = pipeline_.process(img.value(), image_index_);
    if (!report) return report.error();
    report->decode_ms = decode_ms;
    if (Status s = account(img.value(), report.value(), image_index_++); !s) return s;
    if (out) {
      const auto t1 = std::chrono::steady_clock::now();
      if (Status s = write_image(*out, img.value(), 95, &batch_); !s) return s;
      totals_.encode.push_back(ms_since(t1));
      written_.push_back(*out);
    }
    if (a_.preview) cv::waitKey(0);
    return Ok{};
  }

  Status run_video(const Job& job) {
    auto src = VideoSource::open(job.input);
    if (!src) return src.error();
    if (a_.fps > 0) {
      src = resample(std::move(src.value()), a_.fps);
      if (!src) return src.error();
    }
    VideoSource& source = *src.value();
    const cv::Size size = input_size_.value_or(source.size());
    auto out = output_path(a_, job, size);
    if (!out) return out.error();
    if (*out) {
      auto take = take_output(job, **out);
      if (!take) return take.error();
      if (!take.value()) return Ok{};
    }
    std::unique_ptr<VideoSink> sink;
    if (*out) {
      VideoSinkOptions o;
      o.batch = &batch_;
      o.codec = a_.codec;
      o.crf = a_.crf;
      o.bitrate_kbps = a_.bitrate_kbps;
      o.audio_from = a_.no_audio ? "" : source.audio_url();
      auto s = VideoSink::open(**out, size, source.fps(), o);
      if (!s) return s.error();
      sink = std::move(s.value());
    }
    Progress progress(fs::path(job.input).filename().string(), source.frame_count(), !a_.quiet);
    auto consume = [&](const cv::Mat& frame, const FrameReport& r, long long index) -> Status {
      if (sink) {
        const auto t0 = std::chrono::steady_clock::now();
        if (Status s = sink->write(frame); !s) return s;
        totals_.encode.push_back(ms_since(t0));
      }
      if (Status s = account(frame, r, index); !s) return s;
      progress.update(index + 1);
      return Ok{};
    };
    // A preview window must be drawn from this thread; otherwise encoding overlaps detection.
    StreamOptions stream;
    if (a_.preview) stream.queue_depth = 0;
    auto frames = run_stream(source, pipeline_, consume, interrupted, stream);
    progress.finish();
    if (!frames) return frames.error();
    // A file cut short is not a result; a live recording ends with Ctrl-C and is kept.
    if (interrupted() && job.kind != InputKind::Live) return make_error("interrupted");
    if (frames.value() == 0) return make_error("no frames could be decoded from " + job.input);
    // A decode error ends OpenCV's stream like the end of the file does: compare with what the
    // container says. Its own frame count is exact; one estimated from the duration may be off by
    // a frame or two.
    const long long expected = source.frame_count();
    const long long slack = source.frame_count_exact() ? 0 : std::max(2LL, expected / 50);
    if (job.kind == InputKind::Video && expected > 0 && frames.value() < expected - slack &&
        !a_.allow_truncated) {
      truncated_ = true;
      return make_error(fmt::format(
          "{}: read {} of its {} frames (truncated or damaged; --allow-truncated keeps what was "
          "read)",
          job.input, frames.value(), expected));
    }
    if (sink) {
      if (Status s = sink->finish(); !s) return s;
      written_.push_back(sink->path());
    }
    return Ok{};
  }

  const AnonymizeArgs& a_;
  std::optional<cv::Size> input_size_;  // -is: frames leave the pipeline at this size
  FramePipeline pipeline_;
  DetectionsWriter* dw_;
  Claims& claims_;
  OutputBatch& batch_;
  bool truncated_ = false;
  Totals totals_;
  std::vector<fs::path> written_;
  std::vector<Skipped> skipped_;
  long long image_index_ = 0;
};

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
  cmd->add_option("inputs", a.inputs, "image, folder, video, webcam[:N] or URL");
  cmd->add_option("--input", a.inputs, "an input (-id)");
  cmd->add_option("--input-type", a.input_type, "image, video or webcam (-if)")
      ->check(CLI::IsMember({"image", "video", "webcam"}));
  cmd->add_option("-o,--output", a.output,
                  "write exactly here (a folder for folder or several inputs)");
  cmd->add_flag("-s,--save", a.save, "save into --out-dir with the reference's file names");
  cmd->add_option("--out-dir", a.out_dir, "folder for -s (-od)")->capture_default_str();
  cmd->add_flag("-v,--preview", a.preview, "show a preview window with the AN time");
  cmd->add_flag("--no-audio", a.no_audio, "drop the source's audio track");
  cmd->add_option("--codec", a.codec,
                  "video encoder (libx264, mpeg4, mjpeg, ...); default by container");
  cmd->add_option("--crf", a.crf, "x264 quality, 0 (lossless) to 51")
      ->check(CLI::Range(0, 51))
      ->capture_default_str();
  cmd->add_option("--bitrate", a.bitrate_kbps, "video bitrate in kb/s (encoders without crf)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--save-detections", a.save_detections,
                  "write the detections used as JSON Lines");
  cmd->add_flag("-q,--quiet", a.quiet, "no progress bar");
  cmd->add_flag("--allow-truncated", a.allow_truncated,
                "keep the output of a video that ends before its container's frame count "
                "(otherwise exit 3, nothing written)");
  cmd->add_option("--fps", a.fps,
                  "resample videos to this frame rate first (frames dropped or repeated; -fps)")
      ->check(CLI::Range(0.001, 1000.0));
  auto* y = cmd->add_flag("-y,--overwrite", a.overwrite, "replace outputs that already exist");
  cmd->add_flag("--no-clobber", a.no_clobber,
                "skip inputs whose output already exists (reported as skipped)")
      ->excludes(y);
  cmd->add_flag("--json", a.json,
                "print a JSON summary on stdout (outputs, skipped files, frames, timing) instead "
                "of the output paths");
  add_engine_options(*cmd, a.engine, /*weak_allowed=*/true, "-t,--threshold,");
}

int run_anonymize(const AnonymizeArgs& a) {
  if (a.inputs.empty()) return fail("no input given (an image, folder, video, webcam or URL)");
  // OpenCV's Qt window aborts the whole process when there is no display; refuse before starting.
  if (a.preview && !std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY"))
    return fail("-v needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set)");
  std::vector<Skipped> not_media;
  auto jobs = plan_jobs(a, a.inputs, not_media);
  if (!jobs) return fail(jobs.error().message);
  auto engine = build_engine(a.engine);
  if (!engine) return fail(engine.error().message);
  warn_weak(engine.value());
  if (!a.quiet)
    for (const Skipped& s : not_media)
      std::cerr << "la3d: skipped " << s.path << ": " << s.why << "\n";

  const auto& js = jobs.value();
  const bool one_sequence =
      std::all_of(js.begin(), js.end(), [](const Job& j) { return j.kind == InputKind::Image; }) ||
      js.size() == 1;
  if ((!a.engine.detections_file.empty() || !a.save_detections.empty()) && !one_sequence)
    return fail(
        "--detections and --save-detections take one video, or images (a folder or a list)");
  Claims claims;
  for (const Job& job : js)
    if (job.kind != InputKind::Live)
      if (Status s = claims.claim(job.input, "the input"); !s) return fail(s.error().message);
  std::unique_ptr<DetectionsWriter> dw;
  if (!a.save_detections.empty()) {
    if (Status s = claims.claim(a.save_detections, "the --save-detections file"); !s)
      return fail(s.error().message);
    if (in_the_way(a, a.save_detections))
      return fail("the --save-detections file " + a.save_detections + " exists (-y overwrites it)");
    auto w = DetectionsWriter::open(a.save_detections);
    if (!w) return fail(w.error().message);
    dw = std::move(w.value());
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  // Every output of the run is committed together at the end, or none (the batch's destructor
  // removes them on any early return).
  OutputBatch batch;
  Runner runner(a, engine.value(), dw.get(), claims, batch);
  const bool live =
      std::any_of(js.begin(), js.end(), [](const Job& j) { return j.kind == InputKind::Live; });
  auto stopped = [&] {
    std::cerr << "la3d: interrupted; no output written\n";
    return 128 + g_signal.load();
  };
  // A signal stops at the next job or frame; a job it cut short fails, and that is reported as the
  // interruption, not as an error. A live recording is kept.
  const auto started = std::chrono::steady_clock::now();
  Status failed = Ok{};
  for (size_t k = 0; k < js.size(); ++k) {
    if (interrupted()) break;
    if (js.size() > 1 && !a.quiet)
      std::cerr << fmt::format("la3d: file {}/{}: {}\n", k + 1, js.size(), js[k].input);
    if (!(failed = runner.run(js[k]))) break;
  }
  if (interrupted() && !live) return stopped();
  if (!failed)
    return fail(failed.error().message, runner.truncated() ? kExitTruncated : kExitError);
  if (dw)
    if (Status s = dw->finish(&batch); !s) return fail(s.error().message);
  if (Status s = batch.commit(); !s) return fail(s.error().message);

  const Totals& t = runner.totals();
  const double wall_s = ms_since(started) / 1000.0;
  std::vector<Skipped> skipped = not_media;
  skipped.insert(skipped.end(), runner.skipped().begin(), runner.skipped().end());
  if (!a.quiet)
    for (const Skipped& s : runner.skipped())
      std::cerr << "la3d: skipped " << s.path << ": " << s.why << "\n";
  if (a.json) {
    nlohmann::ordered_json j;
    j["outputs"] = nlohmann::json::array();
    for (const auto& p : runner.written()) j["outputs"].push_back(p.string());
    j["skipped"] = nlohmann::json::array();
    for (const Skipped& s : skipped) j["skipped"].push_back({{"path", s.path}, {"why", s.why}});
    j["method"] = a.engine.method;
    j["frames"] = t.frames;
    j["regions_hidden"] = t.regions;
    j["frames_fully_masked"] = t.masked_frames;
    j["wall_s"] = wall_s;
    j["fps"] = wall_s > 0 ? t.frames / wall_s : 0.0;
    j["ms_per_frame"] = {{"decode", summarize(t.decode).mean},
                         {"detect", summarize(t.detect).mean},
                         {"anonymize", summarize(t.anonymize).mean},
                         {"encode", summarize(t.encode).mean}};
    std::cout << j.dump() << std::endl;
  } else {
    for (const auto& p : runner.written()) std::cout << p.string() << "\n";
  }
  if (!a.quiet)
    std::cerr << fmt::format(
        "la3d: {} frame(s) in {:.1f} s ({:.1f} fps), {} regions hidden{}, {}{} | ms/frame: decode "
        "{} detect {} anonymize {} encode {}\n",
        t.frames, wall_s, wall_s > 0 ? t.frames / wall_s : 0.0, t.regions,
        t.masked_frames ? fmt::format(", {} frame(s) fully masked", t.masked_frames) : "",
        a.engine.method, skipped.empty() ? "" : fmt::format(", {} skipped", skipped.size()),
        ms(t.decode), ms(t.detect), ms(t.anonymize), ms(t.encode));
  // Last, where it is seen: what was written is not anonymized.
  if (a.engine.method == "no-an")
    std::cerr << "la3d: warning: --method no-an hides nobody: the output shows every person\n";
  return 0;
}

}  // namespace la3d::cli
