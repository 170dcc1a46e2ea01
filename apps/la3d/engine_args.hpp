#pragma once
// Options shared by every command that runs the anonymization engine (anonymize, bench).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "la3d/engine/engine.hpp"

namespace la3d::cli {

// The engine's options as the command line spells them. Defaults come from the library's
// options structs (EngineOptions and what it holds), never written here.
struct EngineArgs {
  std::string method = std::string(method_name(AnParams{}.method));
  std::vector<int> input_size;  // -is W H
  std::vector<int> detect_size{engine_defaults().detect.detect_size.width,
                               engine_defaults().detect.detect_size.height};
  bool detect_size_given = false;                        // -ods W H
  float threshold = engine_defaults().detect.threshold;  // -odt
  std::vector<std::string> classes{"person"};            // -odc (DetectOptions{}.classes)
  std::string detector = engine_defaults().detector;
  std::string detections_file;          // --detections
  int hold = engine_defaults().hold;    // -1: 5 frames for a detector, 0 for --detections
  std::string detect_every = "auto";    // or K
  std::string camera;                   // fixed, moving; empty = fixed unless --detections
  int tiles = engine_defaults().tiles;  // detector also on a tiles x tiles grid
  bool motion_guard = false;
  double motion_min_area = MotionGuardOptions{}.min_area;
  std::string box_shape = "box";
  double mask_scale = MaskOptions{}.scale;
  int mask_dilate = MaskOptions{}.dilate_px;
  AnParams an;  // numeric parameters are bound directly
  std::string scaler = std::string(scaler_name(AnParams{}.scaler));
  std::string mask_colour = colour_name(AnParams{}.mask_colour);
  std::string strength_reference = size_name(AnParams{}.strength_reference);
  std::string on_detector_error = "fail";
  std::string inference = "auto";  // DetectOptions{}.inference
  int threads = engine_defaults().threads;
  bool allow_weak = false;  // run below the privacy floor, with a warning each run
};

// `weak_allowed` offers --allow-weak; the dashboard never does. `threshold_aliases` are extra
// names of --detect-threshold (anonymize keeps LA3D's -t/--threshold).
void add_engine_options(CLI::App& app, EngineArgs& args, bool weak_allowed = true,
                        const std::string& threshold_aliases = "");

// The library's options from the command line's spellings: an unknown method, class or malformed
// size fails here, before any input is opened.
Result<EngineOptions> engine_options(const EngineArgs& args);
// One stderr line per setting --allow-weak let through, printed by every command on every run.
void warn_weak(const std::vector<std::string>& weak);

}  // namespace la3d::cli
