#pragma once
// Options shared by every command that runs the anonymization engine (anonymize, bench).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "la3d/pipeline.hpp"

namespace la3d::cli {

// "WxH", or "none" for an empty size: how --strength-reference spells its value.
std::string strength_reference_name(cv::Size reference);

struct EngineArgs {
  std::string method = "adaptive_blur";
  std::vector<int> input_size;  // -is W H
  std::vector<int> detect_size{320, 240};
  bool detect_size_given = false;              // -ods W H
  float threshold = 0.25f;                     // -odt
  std::vector<std::string> classes{"person"};  // -odc
  std::string detector = "nanodet";
  std::string detections_file;        // --detections
  int hold = -1;                      // -1: 5 frames for a detector, 0 for --detections
  std::string detect_every = "auto";  // or K
  std::string camera;                 // fixed, moving; empty = fixed unless --detections
  int tiles = 1;                      // detector also on a tiles x tiles grid
  bool motion_guard = false;
  double motion_min_area = MotionGuardOptions{}.min_area;
  std::string box_shape = "box";
  double mask_scale = 1.0;
  int mask_dilate = 0;
  AnParams an;  // numeric parameters are bound directly
  std::string scaler = "ln";
  std::string mask_colour = "#000000";
  std::string strength_reference = strength_reference_name(AnParams{}.strength_reference);
  std::string on_detector_error = "fail";
  int threads = 0;
  bool allow_weak = false;  // run below the privacy floor, with a warning each run
};

// `threshold_flag` names the detector's threshold option (`vad` keeps --threshold for the VAD
// alert).
// `weak_allowed` offers --allow-weak; the dashboard never does.
void add_engine_options(CLI::App& app, EngineArgs& args,
                        const std::string& threshold_flag = "-t,--threshold",
                        bool weak_allowed = true);

// Everything the pipeline needs, checked: an unknown method, class or malformed size fails here,
// before any input is opened.
struct Engine {
  PipelineOptions options;
  std::unique_ptr<Detector> detector;
  // Settings below the privacy floor that --allow-weak let through: print each on every run.
  std::vector<std::string> weak;
};
Result<Engine> build_engine(const EngineArgs& args);
// One stderr line per setting --allow-weak let through, printed by every command on every run.
void warn_weak(const Engine& engine);

}  // namespace la3d::cli
