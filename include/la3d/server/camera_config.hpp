#pragma once
// `la3d serve --config FILE`: settings per camera, over the command line's, as JSON:
//   {"cameras": {"gate": {"method": "mask", "head": "off"}, "hall": {"alert_threshold": 0.7}}}
// Each field is checked when the file is read, and the error names the camera and the field.
#include <map>
#include <optional>
#include <string>

#include "la3d/core/result.hpp"
#include "la3d/engine/engine.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d {

struct CameraSettings {
  std::optional<Method> method;
  std::optional<double> an_scale, an_bound;
  std::optional<std::string> detector, detect_every;
  std::optional<float> detect_threshold;
  std::optional<std::string> head;  // off, motion, pel, mgfn
  std::optional<double> alert_threshold;
};

// The file's text, read and checked (at most 64 KiB; names as validate_camera_name).
Result<std::map<std::string, CameraSettings>> parse_camera_config(const std::string& text);

// The camera's settings over the command line's; the engine's own checks (ranges, the privacy
// floor, no-an) still run when it is built.
Status apply_camera_settings(const CameraSettings& settings, EngineOptions& engine,
                             ScorerOptions& scorer);

}  // namespace la3d
