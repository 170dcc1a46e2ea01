#pragma once
// Anonymizing inputs to files, as `la3d anonymize` does it: images, folders (mirrored), videos
// (audio kept), webcams and streams. Outputs are claimed before anything is written, never replace
// an input or each other, and are committed together at the end, or none of them.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "la3d/engine/engine.hpp"

namespace la3d {

struct AnonymizeRunOptions {
  std::vector<std::string> inputs;  // image, folder, video, webcam[:N] or URL
  std::string input_type;           // "", image, video or webcam (then a bare number is a webcam)
  // Exactly here (a folder for a folder or several inputs); empty: beside each input, named
  // NAME_anonymized.EXT (a folder: FOLDER_anonymized/).
  std::filesystem::path output;
  // The reference's names ({method}_imwh{W}x{H}_{name}_an.jpg|mp4) inside out_dir.
  bool reference_names = false;
  std::filesystem::path out_dir = "results";
  // A front-end shows each frame (frame_done on the calling thread); a live source then needs no
  // output.
  bool preview = false;
  bool keep_audio = true;
  std::string codec;  // empty: by container
  int crf = 20;
  int bitrate_kbps = 0;
  std::filesystem::path save_detections;  // JSON Lines of the detections used
  bool allow_truncated = false;           // keep what a damaged or cut video gave
  bool overwrite = false;                 // replace existing outputs
  bool no_clobber = false;                // skip inputs whose output exists
  double fps = 0;                         // resample videos to this rate first; 0 keeps theirs
};

struct SkippedInput {
  std::string path, why;
};

struct AnonymizeTotals {
  long long frames = 0, regions = 0, masked_frames = 0;
  std::vector<double> decode_ms, detect_ms, anonymize_ms, encode_ms;  // per frame
};

// What a front-end hears while the run goes on; each may be empty.
struct AnonymizeCallbacks {
  // After the plan, before anything runs: settings allow_weak let through, and folder files that
  // are not media.
  std::function<void(const std::vector<std::string>& weak)> weak_settings;
  std::function<void(const SkippedInput&)> skipped;  // also inputs --no-clobber skips
  std::function<void(size_t k, size_t n, const std::string& input)> input_started;
  std::function<void(const std::string& input, long long frames)> video_started;  // 0: unknown
  std::function<void(const cv::Mat& frame, const FrameReport&, long long index)> frame_done;
  std::function<void(const std::string& input)> video_finished;
  std::function<void(const std::string& input)> image_done;
  // Checked before each input and frame: true stops the run (a live recording is kept).
  std::function<bool()> stop;
};

enum class RunEnd {
  Done,
  Failed,       // error says why; nothing was written
  Truncated,    // a video ended before its container's frame count; nothing was written
  Interrupted,  // stop() asked; nothing was written
};

struct AnonymizeOutcome {
  RunEnd end = RunEnd::Done;
  std::string error;
  std::vector<std::filesystem::path> written;
  std::vector<SkippedInput> skipped;  // not media, then --no-clobber
  AnonymizeTotals totals;
  double wall_s = 0;
};

// Plans the run (inputs, outputs, the overwrite rule), builds the engine, runs every input through
// it and commits the outputs. A missing input is reported before any model is loaded.
AnonymizeOutcome anonymize_inputs(const AnonymizeRunOptions& options, const EngineOptions& engine,
                                  const AnonymizeCallbacks& callbacks = {});

}  // namespace la3d
