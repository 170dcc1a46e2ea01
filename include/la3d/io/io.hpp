#pragma once
// Frame sources and sinks. Sinks write to a temporary file and rename it at finish(), so an
// interrupted or failed run leaves nothing half-written behind.
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

namespace fs = std::filesystem;

// A temporary sibling of `final_path` that keeps its extension (encoders choose by extension):
// `.NAME.partial-HOST-PID-N.EXT`. A run killed outright (SIGKILL, power) cannot remove its
// partials, so the first call for a folder removes those that this host's dead processes left
// there; partials of live processes, and of other hosts sharing the folder, are left alone.
fs::path partial_path_for(const fs::path& final_path);
// Renames `temp` onto `final_path`, creating parent folders; removes `temp` on failure.
Status commit_file(const fs::path& temp, const fs::path& final_path);

// Outputs of one run, committed together. A writer given a batch leaves its finished file under
// the temporary name and hands it here; commit() renames them all into place, and a batch
// destroyed without commit() removes them, so a run that fails or is interrupted anywhere (the
// detections file after the video, the 60th image of a folder) leaves none of its outputs.
class OutputBatch {
 public:
  OutputBatch() = default;
  OutputBatch(const OutputBatch&) = delete;
  OutputBatch& operator=(const OutputBatch&) = delete;
  ~OutputBatch();
  void add(fs::path temp, fs::path final_path);
  // Renames every output into place; if one fails, those already renamed are removed again.
  Status commit();

 private:
  std::vector<std::pair<fs::path, fs::path>> pending_;
};
// A finished temporary: into `batch` when there is one, else renamed into place now.
Status finish_output(const fs::path& temp, const fs::path& final_path, OutputBatch* batch);

// The whole content of a file.
Result<std::string> read_file(const fs::path& path);

// Writes `bytes` to a temporary sibling and renames it into place.
Status write_file_atomically(const fs::path& path, const std::string& bytes);

bool is_image_path(const fs::path& path);
bool is_video_path(const fs::path& path);
struct FolderListing {
  std::vector<fs::path> images, videos;                   // sorted
  std::vector<std::pair<fs::path, std::string>> skipped;  // with why
  std::string error;                                      // the walk stopped early: why
};
// Everything below `folder`, by kind (extension); hidden files and folders are left out.
FolderListing list_media(const fs::path& folder);

struct Rational {
  int num = 0, den = 1;
  double value() const { return den ? double(num) / den : 0.0; }
};

// What libav says about a media file: stream layout and exact frame rate.
struct MediaInfo {
  cv::Size size;
  Rational fps;
  long long frame_count = -1;      // -1 when the container does not say
  bool frame_count_exact = false;  // from the container's frame count, not estimated from duration
  bool has_audio = false;
  std::string video_codec, audio_codec;
};
Result<MediaInfo> probe_media(const std::string& url);

enum class SourceKind { Video, Webcam, Stream };

// `webcam`, `webcam:N` or a URL: a source spec that is not a path to a local file.
bool is_live_spec(const std::string& spec);

// A sequence of frames: a video file, a webcam (`webcam`, `webcam:N`) or any URL FFmpeg opens.
class VideoSource {
 public:
  static Result<std::unique_ptr<VideoSource>> open(const std::string& spec);
  virtual ~VideoSource() = default;
  // false at the end of the stream.
  virtual Result<bool> read(cv::Mat& frame) = 0;
  virtual SourceKind kind() const = 0;
  virtual cv::Size size() const = 0;
  virtual Rational fps() const = 0;
  virtual long long frame_count() const = 0;  // -1 when unknown (live)
  // Whether frame_count() is the container's own count rather than an estimate from its duration.
  virtual bool frame_count_exact() const { return false; }
  virtual std::string description() const = 0;
  // The file whose audio track an output may copy; empty for live sources.
  virtual std::string audio_url() const = 0;
};

// The source at another frame rate (-fps): frames dropped or repeated, duration kept.
Result<std::unique_ptr<VideoSource>> resample(std::unique_ptr<VideoSource> source, double fps);

Result<cv::Mat> read_image(const fs::path& path);
// Writes the image to a temporary file and renames it into place (or hands it to `batch`).
Status write_image(const fs::path& path, const cv::Mat& image, int jpeg_quality = 95,
                   OutputBatch* batch = nullptr);

struct VideoSinkOptions {
  std::string codec;  // encoder name (libx264, mpeg4, mjpeg, ...); empty = best for the container
  int crf = 20;       // quality for x264 (lower is better)
  int bitrate_kbps = 0;  // for encoders without crf; 0 = encoder default
  std::string preset = "veryfast";
  std::string audio_from;        // copy this file's first audio stream; empty = no audio
  OutputBatch* batch = nullptr;  // finish() hands the file to it instead of renaming it
};

// Encodes frames with libavcodec and muxes them, with the source's audio copied packet by packet.
class VideoSink {
 public:
  static Result<std::unique_ptr<VideoSink>> open(const fs::path& path, cv::Size size, Rational fps,
                                                 const VideoSinkOptions& options);
  virtual ~VideoSink() = default;
  virtual Status write(const cv::Mat& frame) = 0;
  // Flushes the encoder, copies the remaining audio and renames the file into place.
  virtual Status finish() = 0;
  virtual fs::path path() const = 0;
};

}  // namespace la3d
