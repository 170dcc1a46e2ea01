#pragma once
// `la3d privacy` as one call: anonymize inputs with each method (or take outputs made elsewhere),
// attack them, and write the JSON and the HTML report with side-by-side crops.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "la3d/engine/engine.hpp"
#include "la3d/privacy/privacy.hpp"

namespace la3d {

struct MeasurePrivacyOptions {
  std::vector<std::string> inputs;  // images, folders, videos
  std::vector<Method> methods;      // empty: every method
  int every = 25;                   // videos: every K-th frame
  AttackerOptions attack;           // thresholds, --reid-model
  // Outputs made elsewhere (a file, or a folder paired by name): attacked instead of la3d's.
  std::filesystem::path anonymized;
  // Detections JSONL: the people and faces to measure against, instead of the engine's detector.
  std::filesystem::path ground_truth;
  std::filesystem::path json;    // the report as JSON; empty: not written
  std::filesystem::path report;  // folder for index.html and crops; empty: not written
  std::filesystem::path model_dir = default_cache_dir();  // the attackers' models
};

struct MeasurePrivacyCallbacks {
  std::function<void(const std::vector<std::string>& weak)> weak_settings;
  std::function<void(size_t file, size_t files, const std::string& picture)> picture_started;
};

// The engine must anonymize (no-an is refused). Returns the report; files asked for are written.
Result<PrivacyReport> measure_privacy(const MeasurePrivacyOptions& options,
                                      const EngineOptions& engine,
                                      const MeasurePrivacyCallbacks& callbacks = {});

}  // namespace la3d
