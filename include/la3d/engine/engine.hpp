#pragma once
// The anonymization engine built from one options struct: detector stack, tracking, motion guard
// and anonymizer, checked and assembled in one place for every front-end (CLI, server, Python).
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/detect/detector.hpp"
#include "la3d/engine/pipeline.hpp"
#include "la3d/models/models.hpp"

namespace la3d {

// Whether the camera stands still: a fixed camera also gets the motion guard (what moves where
// nobody was detected is hidden too). Auto: fixed, except when detections come from a file.
enum class Camera { Auto, Fixed, Moving };

// Everything a run is made of. The member initialisers are the CLI's defaults.
struct EngineOptions {
  // Method, strengths, masks, input resize, what a detector failure does, --allow-weak.
  PipelineOptions pipeline;
  // Box-only detections get person silhouettes from the selfie model (--mask segment).
  bool segment = false;
  // nanodet, centernet, hog, or yolo:PATH.onnx (an Ultralytics export).
  std::string detector = "nanodet";
  // Threshold, classes (COCO ids, kFaceClassId for faces) and the hog detector's frame width.
  DetectOptions detect;
  // A dynamic YOLO export is imported at this input size; empty: the export's own.
  cv::Size network_size;
  // Detections from this JSON Lines file instead of a detector.
  std::filesystem::path detections_file;
  // Frames a lost person stays hidden; -1: 5 with a detector, 0 with a detections file.
  int hold = -1;
  // Run the detector on every K-th frame and track in between; 0: auto (every frame for a
  // detections file, else auto_detect_every of each video's rate).
  int detect_every = 0;
  Camera camera = Camera::Auto;
  // The motion guard also where the camera rule would not add it (a detections file).
  bool motion_guard = false;
  // min_area etc.; its hold follows the tracking hold.
  MotionGuardOptions guard;
  // Also detect on an N x N grid of overlapping tiles (1: the whole frame only).
  int tiles = 1;
  // OpenCV worker threads (0: all cores; more than the cores are not used).
  int threads = 0;
  // Where the embedded models are installed (`la3d models install`).
  std::filesystem::path model_dir = default_cache_dir();
};

// EngineOptions{} built once: front-ends read their defaults from it.
const EngineOptions& engine_defaults();

// The assembled engine: pipeline options and the detector stack, ready for a FramePipeline.
struct Engine {
  PipelineOptions options;
  std::unique_ptr<Detector> detector;  // null only for no-an
  // Settings below the privacy floor that allow_weak let through: a front-end must tell the user
  // about each on every run.
  std::vector<std::string> weak;

  // The pipeline that runs this engine (takes the detector).
  FramePipeline pipeline() &&;
};

// Checks every option (ranges, the privacy floor, the models it needs) and builds the engine.
// Settings are checked before any model is loaded, so a typo is reported as such even where a
// model is missing.
Result<Engine> build_engine(const EngineOptions& options);
// The same with detections from `given` (e.g. boxes a caller passes per frame) instead of the
// detector `options` names; they are taken as given, as a detections file's are (no hold, every
// frame, no motion guard unless asked for).
Result<Engine> build_engine(const EngineOptions& options, std::unique_ptr<Detector> given);

// The detector `options` name (detections file, object detector, BlazeFace for faces, or their
// union) alone: no tiles, tracking or motion guard, no privacy floor (it hides nothing itself).
Result<std::unique_ptr<Detector>> make_detector(const EngineOptions& options);

// The one rule for front-ends whose output must be anonymized (serve, privacy): no-an refused.
// `what` names the front-end in the message.
Status require_anonymization(const EngineOptions& options, const std::string& what);

// Spellings shared by every front-end (CLI, config files, Python).
// "#RRGGBB" or "RRGGBB" as BGR.
Result<cv::Scalar> parse_colour(const std::string& text);
std::string colour_name(const cv::Scalar& bgr);  // "#RRGGBB"
// "WxH" (each 1..16384), or "none" for an empty size.
Result<cv::Size> parse_size_text(const std::string& text, const std::string& what);
std::string size_name(cv::Size size);  // "WxH", or "none" when empty
// COCO class names (and "face") as ids.
Result<std::set<int>> parse_classes(const std::vector<std::string>& names);
// "auto" (0) or a whole number from 1.
Result<int> parse_detect_every(const std::string& text);
Result<Camera> parse_camera(const std::string& text);  // "", "fixed", "moving"
Result<Inference> parse_inference(const std::string& text);  // "auto", "opencv"

}  // namespace la3d
