#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "engine_args.hpp"
#include "la3d/engine/anonymize_run.hpp"
#include "la3d/engine/vad_run.hpp"
#include "la3d/privacy/privacy.hpp"
#include "la3d/vad/vad_scorer.hpp"
#include "mqtt_args.hpp"

namespace la3d::cli {

struct AnonymizeArgs {
  EngineArgs engine;
  AnonymizeRunOptions run;  // inputs, outputs and the overwrite rule, bound directly
  bool no_audio = false;    // run.keep_audio, negated
  bool quiet = false;
  bool json = false;  // a machine summary on stdout instead of the paths
};
void add_anonymize_command(CLI::App& app, AnonymizeArgs& args);
int run_anonymize(const AnonymizeArgs& args);

struct BenchArgs {
  EngineArgs engine;
  std::string input;
  int frames = 0;  // 0 = the whole video; images are repeated 50 times
  bool json = false;
  ScorerOptions vad;                // --vad HEAD, --vad-dataset, --weights...
  CLI::Option* vad_head = nullptr;  // not given: no VAD stage
};
void add_bench_command(CLI::App& app, BenchArgs& args);
int run_bench(const BenchArgs& args);

struct ModelsArgs {
  std::string model_json, output;
  std::vector<std::string> outputs;
  std::string cache_dir;
  CLI::App* install = nullptr;
  CLI::App* list = nullptr;
  std::string import_path, import_size;
  CLI::App* import = nullptr;
};
void add_models_command(CLI::App& app, ModelsArgs& args);
int run_models(const ModelsArgs& args);

struct VadArgs {
  EngineArgs engine;
  MqttArgs mqtt;      // --stream: events on MQTT
  VadRunOptions run;  // input, outputs, streaming, bound directly
  ScorerOptions scorer;
  bool no_video = false;  // run.write_video, negated
  bool quiet = false;
};
void add_vad_command(CLI::App& app, VadArgs& args);
int run_vad(const VadArgs& args);

// `la3d score`, `la3d features`, `la3d eval`: the research tools on feature and score arrays.
struct ScoreArgs {
  std::string features, head = "pel", dataset = "xd", weights, output, smooth = "none";
  bool formula_weights = false;
};
struct FeaturesArgs {
  EngineArgs engine;
  std::string input, encoder = "inception", encoder_weights, output;
  int crops = 10;
  bool formula_weights = false;
};
struct EvalArgs {
  std::string scores, labels;
  bool json = false;
};
struct VadToolArgs {
  ScoreArgs score;
  FeaturesArgs features;
  EvalArgs eval;
  CLI::App *score_cmd = nullptr, *features_cmd = nullptr, *eval_cmd = nullptr;
  bool quiet = false;
};
void add_vad_tool_commands(CLI::App& app, VadToolArgs& args);
int run_vad_tool(const VadToolArgs& args);

struct ServeArgs {
  EngineArgs engine;
  MqttArgs mqtt;
  std::vector<std::string> sources;  // --source, repeatable: [NAME=]URI
  std::string bind = "127.0.0.1", token;
  std::vector<std::string> allowed_hosts;  // --allowed-host
  int port = 8080;
  ScorerOptions scorer;  // --head off: no VAD
  int window = 8;
  bool once = false;
  int jpeg_quality = 80;
  std::string camera_config;  // --camera-config: JSON settings per camera
  int rtsp_port = -1;         // -1: no RTSP re-stream
  int rtsp_bitrate = 2000;
  double target_fps = 0;  // 0: no target
  bool quiet = false;
};
void add_serve_command(CLI::App& app, ServeArgs& args);
int run_serve(const ServeArgs& args);

struct PrivacyArgs {
  EngineArgs engine;
  std::vector<std::string> inputs;
  std::string methods = "all";
  int every = 25;  // videos: every K-th frame
  std::string json, report;
  AttackerOptions attack;    // thresholds and --reid-model, with the library's defaults
  std::string anonymized;    // outputs made elsewhere
  std::string ground_truth;  // detections JSONL: the people and faces to measure against
  bool quiet = false;
};
void add_privacy_command(CLI::App& app, PrivacyArgs& args);
int run_privacy(const PrivacyArgs& args);

struct ExperimentArgs {
  EngineArgs engine;
  std::string privacy_set, vad_set, labels, out;
  std::string methods = "all";
  std::string privacy_metric = "face_rank1";
  int every = 25;
  ScorerOptions scorer;
  int jobs = 1;
  bool quiet = false;
};
void add_experiment_command(CLI::App& app, ExperimentArgs& args);
int run_experiment(const ExperimentArgs& args);

// Exit statuses, as the README and --help list them.
inline constexpr int kExitError = 1;      // a runtime failure, named on stderr
inline constexpr int kExitUsage = 2;      // the command line itself is wrong
inline constexpr int kExitTruncated = 3;  // a video ended before its container's frame count
// Interrupted by a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM), as shells do.

// Prints "la3d: error: MESSAGE" on stderr and returns kExitError (or `status`).
int fail(const std::string& message, int status = kExitError);

}  // namespace la3d::cli
