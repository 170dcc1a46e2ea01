// The anonymize run: plan the jobs and their outputs, then images and videos through one engine,
// every output committed together at the end.
#include "la3d/engine/anonymize_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "la3d/core/stats.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/io/io.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;

// Every path the run writes, with what it is: no output may replace an input, the detections file
// or another output (two inputs named alike into one output folder).
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

std::string live_stem(const std::string& spec) {
  if (spec.rfind("webcam", 0) == 0) return spec == "webcam" ? "webcam0" : "webcam" + spec.substr(7);
  return "stream";
}

// Where one input's output goes; nullopt when it is shown only (preview of a live source).
Result<std::optional<fs::path>> output_path(const AnonymizeRunOptions& a, const std::string& method,
                                            const Job& job, cv::Size size) {
  const bool image = job.kind == InputKind::Image;
  const fs::path in(job.input);
  const std::string stem = job.kind == InputKind::Live ? live_stem(job.input) : in.stem().string();
  std::string ext = job.kind == InputKind::Live ? ".mp4" : in.extension().string();
  // Inside a folder of outputs the original names are kept: the folder says what they are.
  std::string name = job.out_root.empty() ? stem + "_anonymized" + ext : in.filename().string();
  if (a.reference_names)
    name = fmt::format("{}_imwh{}x{}_{}_an{}", method, size.width, size.height, stem,
                       image ? ".jpg" : ".mp4");
  fs::path out;
  if (!job.out_root.empty()) {
    out = (job.out_root / job.rel_dir / name).lexically_normal();
  } else if (!a.output.empty()) {
    out = a.output;
    if (image && !is_image_path(out))
      return make_error("output for an image must be an image file: " + out.string());
  } else if (a.reference_names) {
    out = a.out_dir / name;
  } else if (job.kind == InputKind::Live) {
    if (a.preview) return std::optional<fs::path>();
    return make_error("a live source needs -o PATH or -s to write, or -v to show");
  } else {
    out = in.parent_path() / name;
  }
  return std::optional<fs::path>(out);
}

// The overwrite rule, for every file a run writes: an existing one stands in the way unless
// overwrite is set.
bool in_the_way(const AnonymizeRunOptions& a, const fs::path& path) {
  std::error_code ec;
  return !a.overwrite && fs::exists(path, ec);
}

// The jobs of a run, in order; files of a folder that are not media go to `skipped`.
Result<std::vector<Job>> plan_jobs(const AnonymizeRunOptions& a,
                                   std::vector<SkippedInput>& skipped) {
  std::vector<Job> jobs;
  const bool many = a.inputs.size() > 1;
  for (std::string input : a.inputs) {
    if (a.input_type == "webcam" && input.find_first_not_of("0123456789") == std::string::npos)
      input = "webcam:" + input;
    if (is_live_spec(input)) {
      jobs.push_back(
          {input, InputKind::Live, many && !a.output.empty() ? a.output : fs::path(), {}});
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
      const fs::path normal = fs::path(input).lexically_normal();
      fs::path root = !a.output.empty() ? a.output
                      : a.reference_names
                          ? a.out_dir
                          : normal.parent_path() / (normal.filename().string() + "_anonymized");
      if (normal.filename().empty())  // "dir/" spelled with a slash
        root = normal.parent_path().string() + "_anonymized";
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
    jobs.push_back({input, kind, many && !a.output.empty() ? a.output : fs::path(), {}});
  }
  return jobs;
}

bool stop_asked(const AnonymizeCallbacks& cb) {
  return cb.stop && cb.stop();
}

// Drives the jobs of one run through one pipeline and collects the totals.
class Runner {
 public:
  Runner(const AnonymizeRunOptions& a, std::string method, Engine& e, DetectionsWriter* dw,
         Claims& claims, OutputBatch& batch, const AnonymizeCallbacks& cb)
      : a_(a),
        method_(std::move(method)),
        input_size_(e.options.input_size),
        pipeline_(std::move(e).pipeline()),
        dw_(dw),
        claims_(claims),
        batch_(batch),
        cb_(cb) {}

  Status run(const Job& job) {
    return job.kind == InputKind::Image ? run_image(job) : run_video(job);
  }
  const AnonymizeTotals& totals() const { return totals_; }
  const std::vector<fs::path>& written() const { return written_; }
  bool truncated() const { return truncated_; }
  const std::vector<SkippedInput>& skipped() const { return skipped_; }

 private:
  Status account(const cv::Mat& frame, const FrameReport& r, long long index) {
    ++totals_.frames;
    totals_.regions += r.instances;
    totals_.masked_frames += r.masked_whole_frame;
    totals_.decode_ms.push_back(r.decode_ms);
    totals_.detect_ms.push_back(r.detect_ms);
    totals_.anonymize_ms.push_back(r.anonymize_ms);
    if (dw_)
      if (Status s = dw_->write({index, frame.size(), r.detections}); !s) return s;
    if (cb_.frame_done) cb_.frame_done(frame, r, index);
    return Ok{};
  }

  // Claims `out` for this run and applies the overwrite rule: false when no_clobber skips the
  // job (recorded with why), an error when the file exists and overwrite is not set.
  Result<bool> take_output(const Job& job, const fs::path& out) {
    if (Status s = claims_.claim(out, "the output"); !s) return s.error();
    if (!in_the_way(a_, out)) return true;
    if (!a_.no_clobber)
      return make_error("the output " + out.string() +
                        " exists (-y overwrites it, --no-clobber skips it)");
    skipped_.push_back({job.input, "its output " + out.string() + " exists (--no-clobber)"});
    if (cb_.skipped) cb_.skipped(skipped_.back());
    return false;
  }

  // Images count as frames of one sequence (a folder's sorted images), for detections files.
  Status run_image(const Job& job) {
    // The output and the overwrite rule before the image is read (a no_clobber re-run over a
    // large folder reads nothing), unless its name needs the image's size (reference names
    // without an input size).
    std::optional<fs::path> out;
    auto decide = [&](cv::Size size) -> Result<bool> {  // false: skipped
      auto o = output_path(a_, method_, job, size);
      if (!o) return o.error();
      out = o.value();
      if (!out) return true;
      auto take = take_output(job, *out);
      if (take && !take.value()) ++image_index_;  // the next image keeps its detections place
      return take;
    };
    const bool name_needs_size = a_.reference_names && !input_size_;
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
      totals_.encode_ms.push_back(ms_since(t1));
      written_.push_back(*out);
    }
    if (cb_.image_done) cb_.image_done(job.input);
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
    auto out = output_path(a_, method_, job, size);
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
      o.audio_from = a_.keep_audio ? source.audio_url() : "";
      auto s = VideoSink::open(**out, size, source.fps(), o);
      if (!s) return s.error();
      sink = std::move(s.value());
    }
    if (cb_.video_started) cb_.video_started(job.input, source.frame_count());
    auto consume = [&](const cv::Mat& frame, const FrameReport& r, long long index) -> Status {
      if (sink) {
        const auto t0 = std::chrono::steady_clock::now();
        if (Status s = sink->write(frame); !s) return s;
        totals_.encode_ms.push_back(ms_since(t0));
      }
      return account(frame, r, index);
    };
    // A preview is drawn from the calling thread; otherwise encoding overlaps detection.
    StreamOptions stream;
    if (a_.preview) stream.queue_depth = 0;
    auto frames = run_stream(
        source, pipeline_, consume, [this] { return stop_asked(cb_); }, stream);
    if (cb_.video_finished) cb_.video_finished(job.input);
    if (!frames) return frames.error();
    // A file cut short is not a result; a live recording ends when stopped and is kept.
    if (stop_asked(cb_) && job.kind != InputKind::Live) return make_error("interrupted");
    if (frames.value() == 0) return make_error("no frames could be decoded from " + job.input);
    // A decode error ends the stream like the end of the file does: compare with what the
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

  const AnonymizeRunOptions& a_;
  std::string method_;
  std::optional<cv::Size> input_size_;  // frames leave the pipeline at this size
  FramePipeline pipeline_;
  DetectionsWriter* dw_;
  Claims& claims_;
  OutputBatch& batch_;
  const AnonymizeCallbacks& cb_;
  bool truncated_ = false;
  AnonymizeTotals totals_;
  std::vector<fs::path> written_;
  std::vector<SkippedInput> skipped_;
  long long image_index_ = 0;
};

AnonymizeOutcome failed(std::string message, RunEnd end = RunEnd::Failed) {
  AnonymizeOutcome o;
  o.end = end;
  o.error = std::move(message);
  return o;
}

}  // namespace

static AnonymizeOutcome anonymize_unguarded(const AnonymizeRunOptions& a, const EngineOptions& eo,
                                            const AnonymizeCallbacks& cb);

AnonymizeOutcome anonymize_inputs(const AnonymizeRunOptions& a, const EngineOptions& eo,
                                  const AnonymizeCallbacks& cb) {
  // No foreign exception crosses the library; the batch's destructor has removed partial outputs
  // by the time one arrives here.
  try {
    return anonymize_unguarded(a, eo, cb);
  } catch (const std::exception& e) {
    return failed(error_from_exception("anonymize", e.what()).message);
  }
}

static AnonymizeOutcome anonymize_unguarded(const AnonymizeRunOptions& a, const EngineOptions& eo,
                                            const AnonymizeCallbacks& cb) {
  if (a.inputs.empty()) return failed("no input given (an image, folder, video, webcam or URL)");
  std::vector<SkippedInput> not_media;
  auto jobs = plan_jobs(a, not_media);
  if (!jobs) return failed(jobs.error().message);
  auto engine = build_engine(eo);
  if (!engine) return failed(engine.error().message);
  if (cb.weak_settings && !engine->weak.empty()) cb.weak_settings(engine->weak);
  if (cb.skipped)
    for (const SkippedInput& s : not_media) cb.skipped(s);

  const auto& js = jobs.value();
  const bool one_sequence =
      std::all_of(js.begin(), js.end(), [](const Job& j) { return j.kind == InputKind::Image; }) ||
      js.size() == 1;
  if ((!eo.detections_file.empty() || !a.save_detections.empty()) && !one_sequence)
    return failed(
        "--detections and --save-detections take one video, or images (a folder or a list)");
  Claims claims;
  for (const Job& job : js)
    if (job.kind != InputKind::Live)
      if (Status s = claims.claim(job.input, "the input"); !s) return failed(s.error().message);
  std::unique_ptr<DetectionsWriter> dw;
  if (!a.save_detections.empty()) {
    if (Status s = claims.claim(a.save_detections, "the --save-detections file"); !s)
      return failed(s.error().message);
    if (in_the_way(a, a.save_detections))
      return failed("the --save-detections file " + a.save_detections.string() +
                    " exists (-y overwrites it)");
    auto w = DetectionsWriter::open(a.save_detections);
    if (!w) return failed(w.error().message);
    dw = std::move(w.value());
  }
  // Every output of the run is committed together at the end, or none (the batch's destructor
  // removes them on any early return).
  OutputBatch batch;
  Runner runner(a, std::string(method_name(eo.pipeline.an.method)), engine.value(), dw.get(),
                claims, batch, cb);
  const bool live =
      std::any_of(js.begin(), js.end(), [](const Job& j) { return j.kind == InputKind::Live; });
  // A stop request ends the run at the next input or frame; an input it cut short fails, and that
  // is reported as the interruption, not as an error. A live recording is kept.
  const auto started = std::chrono::steady_clock::now();
  Status status = Ok{};
  for (size_t k = 0; k < js.size(); ++k) {
    if (stop_asked(cb)) break;
    if (cb.input_started) cb.input_started(k, js.size(), js[k].input);
    if (!(status = runner.run(js[k]))) break;
  }
  if (stop_asked(cb) && !live) return failed("interrupted; no output written", RunEnd::Interrupted);
  if (!status)
    return failed(status.error().message, runner.truncated() ? RunEnd::Truncated : RunEnd::Failed);
  if (dw)
    if (Status s = dw->finish(&batch); !s) return failed(s.error().message);
  if (Status s = batch.commit(); !s) return failed(s.error().message);

  AnonymizeOutcome out;
  out.written = runner.written();
  out.skipped = not_media;
  out.skipped.insert(out.skipped.end(), runner.skipped().begin(), runner.skipped().end());
  out.totals = runner.totals();
  out.wall_s = ms_since(started) / 1000.0;
  return out;
}

}  // namespace la3d
