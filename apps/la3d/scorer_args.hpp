#pragma once
// The VAD scorer's command-line options, written once for every subcommand that scores (vad,
// serve, bench, experiment); they bind straight to the library's ScorerOptions.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "la3d/vad/vad_scorer.hpp"

namespace la3d::cli {

struct ScorerFlags {
  std::string head = "--head";        // bench: --vad
  std::string dataset = "--dataset";  // bench: --vad-dataset
  bool off = false;                   // `--head off` turns VAD off (serve)
  bool encoder = false;               // --encoder (vad)
  bool alert = false;                 // --alert-threshold (alias --threshold): vad, serve
  bool head_default = true;           // show the default head in --help
};

// Returns the head option, so that a command can tell whether it was given.
CLI::Option* add_scorer_options(CLI::App& cmd, ScorerOptions& options,
                                const ScorerFlags& flags = {});

}  // namespace la3d::cli
