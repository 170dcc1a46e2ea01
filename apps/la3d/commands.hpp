#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "engine_args.hpp"

namespace la3d::cli {

struct AnonymizeArgs {
  EngineArgs engine;
  std::vector<std::string> inputs;
  std::string input_type;  // -if: image, video or webcam (the reference's spelling)
  std::string output;      // -o
  bool save = false;       // -s: reference naming inside --out-dir
  std::string out_dir = "results";
  bool preview = false;  // -v
  bool no_audio = false;
  std::string codec;
  int crf = 20;
  int bitrate_kbps = 0;
  std::string save_detections;
  bool quiet = false;
};
void add_anonymize_command(CLI::App& app, AnonymizeArgs& args);
int run_anonymize(const AnonymizeArgs& args);

struct BenchArgs {
  EngineArgs engine;
  std::string input;
  int frames = 0;  // 0 = the whole video; images are repeated 50 times
  bool json = false;
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

// Prints "la3d: error: MESSAGE" on stderr and returns the exit status for runtime failures.
int fail(const std::string& message);

}  // namespace la3d::cli
