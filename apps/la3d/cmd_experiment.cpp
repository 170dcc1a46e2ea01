// `la3d experiment`: the paper's privacy-vs-VAD trade-off in one command (run_experiment).
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "la3d/privacy/experiment.hpp"
#include "la3d/privacy/privacy.hpp"
#include "scorer_args.hpp"

namespace la3d::cli {

void add_experiment_command(CLI::App& app, ExperimentArgs& a) {
  auto* cmd = app.add_subcommand(
      "experiment",
      "the privacy-vs-VAD trade-off: la3d privacy on a photo set and AN -> VAD AUC on a labelled "
      "video set, per method; results.csv/json and tradeoff.png/svg");
  cmd->add_option("--privacy-set", a.privacy_set, "images or videos to measure privacy on")
      ->required();
  cmd->add_option("--vad-set", a.vad_set, "folder of test videos")->required();
  cmd->add_option("--labels", a.labels,
                  "UCF-Crime Temporal_Anomaly_Annotation file, XD-Violence annotations.txt, or a "
                  "folder of NAME.npy frame labels")
      ->required();
  auto* out = cmd->add_option("--out-dir", a.out, "output folder (results, cache)");
  // -o names a file everywhere else; -o/--out once named this folder and still do, out of --help.
  auto* old = cmd->add_option("-o,--out", a.out)->group("");
  out->excludes(old);
  cmd->callback([out, old] {
    if (out->count() + old->count() == 0) throw CLI::RequiredError("--out-dir");
  });
  cmd->add_option("--methods", a.methods, "all, or a comma-separated list")->capture_default_str();
  cmd->add_option("--privacy-metric", a.privacy_metric, "the figure's x axis")
      ->check(CLI::IsMember(privacy_metric_names()))
      ->capture_default_str();
  cmd->add_option("--every", a.every, "privacy set videos: every K-th frame")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_scorer_options(*cmd, a.scorer);
  cmd->add_option("--jobs", a.jobs, "videos processed at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "no progress on stderr");
  add_engine_options(*cmd, a.engine);
}

int run_experiment(const ExperimentArgs& a) {
  auto methods = parse_method_list(a.methods);
  if (!methods) return fail(methods.error().message, kExitUsage);
  ExperimentOptions o;
  o.privacy_set = a.privacy_set;
  o.vad_set = a.vad_set;
  o.labels = a.labels;
  o.out_dir = a.out;
  o.methods = methods.value();
  o.privacy_metric = a.privacy_metric;
  o.every = a.every;
  o.jobs = a.jobs;
  auto engine = engine_options(a.engine);
  if (!engine) return fail(engine.error().message);
  ScorerOptions scorer = a.scorer;
  scorer.threads = a.engine.threads;
  ExperimentCallbacks cb;
  bool counting = false;
  cb.stage = [&](const std::string& line) {
    if (!a.quiet) std::cerr << "la3d experiment: " << line << "\n";
  };
  cb.run_done = [&](size_t done, size_t total) {
    if (a.quiet) return;
    std::cerr << fmt::format("\rla3d experiment: {}/{} runs done", done, total) << std::flush;
    counting = true;
  };
  auto r = la3d::run_experiment(o, engine.value(), scorer, cb);
  if (counting) std::cerr << "\n";
  if (!r) return fail(r.error().message);
  for (const ExperimentRow& row : r->rows) {
    const auto it = row.privacy.find(a.privacy_metric);
    const auto leak = it == row.privacy.end() ? std::nullopt : it->second;
    std::cout << fmt::format(
        "{:<26} {} {:>6}  ROC-AUC {:.4f}  AP {:.4f}\n", row.method, a.privacy_metric,
        leak ? fmt::format("{:.3f}", *leak) : std::string("-"), row.roc_auc, row.ap);
  }
  if (r->videos_not_in_labels && !a.quiet)
    std::cerr << fmt::format("la3d experiment: {} video(s) not in the labels counted as normal\n",
                             r->videos_not_in_labels);
  if (!a.quiet)
    std::cerr << "la3d experiment: results in " << r->csv.string() << ", figure " << r->png.string()
              << "\n";
  return 0;
}

}  // namespace la3d::cli
