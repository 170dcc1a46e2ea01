#pragma once
// The paper's privacy-vs-VAD trade-off as one call: per AN method, privacy on a photo set and
// AN -> VAD frame-level ROC-AUC/AP on a labelled video set; results.csv/json, tradeoff.png/svg.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "la3d/engine/engine.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d {

struct ExperimentOptions {
  std::filesystem::path privacy_set;  // images or videos to measure privacy on
  std::filesystem::path vad_set;      // videos (folder)
  std::filesystem::path labels;       // UCF temporal annotation, XD's, or .npy
  // Results and the cache of every video x method run: a re-run does only what is missing.
  std::filesystem::path out_dir;
  std::vector<Method> methods = all_method_values();
  std::string privacy_metric = "face_rank1";  // the figure's x axis (privacy_metric_names())
  int every = 25;                             // privacy set videos: every K-th frame
  int jobs = 1;                               // video x method runs at once
  std::filesystem::path model_dir = default_cache_dir();  // the privacy attackers' models

  static std::vector<Method> all_method_values();
};

struct ExperimentRow {
  std::string method, parameters;
  std::map<std::string, std::optional<double>> privacy;  // by privacy_metric_names()
  double roc_auc = 0, ap = 0;
  double an_ms_per_frame = 0, vad_ms_per_frame = 0, peak_memory_mib = 0;
};

struct ExperimentResult {
  std::vector<ExperimentRow> rows;  // in the order of options.methods
  size_t videos = 0, videos_not_in_labels = 0;
  std::filesystem::path csv, json, png, svg;
};

struct ExperimentCallbacks {
  std::function<void(const std::string& line)> stage;  // what starts now, in words
  std::function<void(size_t done, size_t total)> run_done;
};

Result<ExperimentResult> run_experiment(const ExperimentOptions& options,
                                        const EngineOptions& engine, const ScorerOptions& scorer,
                                        const ExperimentCallbacks& callbacks = {});

}  // namespace la3d
