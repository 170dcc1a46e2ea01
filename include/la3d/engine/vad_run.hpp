#pragma once
// One video (or live source) through AN then VAD, as `la3d vad` runs it: anonymized frames scored
// per 16-frame snippet, written as an annotated video, a score plot, CSV and JSON.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "la3d/engine/engine.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d {

struct VadRunOptions {
  std::string input;  // video file, webcam[:N] or URL
  std::filesystem::path out_dir = "results";
  // Score each snippet as it completes, over the last `window` snippets (always for live
  // sources); otherwise the whole video is scored at once, as LA3D does.
  bool stream = false;
  int window = 8;
  std::string smooth = "none";  // none, fixed:K or slide:K (PEL4VAD's protocol)
  bool write_video = true;      // the annotated 320x240 video
  std::string codec;            // empty: by container
  int crf = 20;
  double fps = 0;  // resample the video to this rate first; 0 keeps its own
};

struct VadRunCallbacks {
  // Settings allow_weak let through, before the run starts.
  std::function<void(const std::vector<std::string>& weak)> weak_settings;
  // Streaming: each snippet's score as it completes (the CLI prints it as a JSON line).
  std::function<void(const SnippetScore&, double fps)> snippet_scored;
  std::function<void(long long frames)> started;  // whole-video runs; 0 when unknown
  std::function<void(long long frames_done)> progress;
  std::function<void()> finished;
  std::function<bool()> stop;  // checked before each frame
};

struct VadRunResult {
  bool streaming = false;
  std::string scorer;
  long long frames = 0, snippets = 0;
  size_t segments = 0;  // anomalous segments at the alert threshold
  double an_ms = 0, prepare_ms = 0, encode_ms = 0, head_ms = 0;  // means
  double wall_s = 0, real_time_factor = 0;
  std::vector<std::filesystem::path> written;  // CSV, JSON, plot, then the video
};

// The output files' name stem: {head}_{dataset}_{method}_imwh{W}x{H}_{video}, as LA3D names them.
std::string vad_output_stem(const ScorerOptions& scorer, Method method, cv::Size size,
                            const std::string& input);

// Checks the input and options, opens the scorer then the engine (a missing checkpoint is the
// likelier mistake), runs, and writes the outputs. A whole-video run interrupted by stop() writes
// nothing; a live one keeps what it scored.
Result<VadRunResult> run_vad(const VadRunOptions& options, const EngineOptions& engine,
                             const ScorerOptions& scorer, const VadRunCallbacks& callbacks = {});

}  // namespace la3d
