// Research tools on arrays: run a head on published features, extract features, evaluate scores.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "la3d/engine/vad_tools.hpp"
#include "la3d/io/io.hpp"
#include "progress.hpp"

namespace la3d::cli {
namespace {

int run_score(const ScoreArgs& a) {
  auto features = read_npy(a.features);
  if (!features) return fail(features.error().message);
  ScorerOptions so;
  so.weights = a.weights;
  so.formula_weights = a.formula_weights;
  auto s = score_features(features.value(), a.head, a.dataset, so, a.smooth);
  if (!s) return fail(a.features + ": " + s.error().message);
  if (a.output.empty()) {
    for (float v : s.value()) std::cout << fmt::format("{:.6f}\n", v);
    return 0;
  }
  if (Status st = write_npy(a.output, NpyArray{{int64_t(s->size())}, s.value()}); !st)
    return fail(st.error().message);
  return 0;
}

int run_features(const FeaturesArgs& a, bool quiet) {
  auto kind = parse_encoder(a.encoder, nullptr);
  if (!kind) return fail(kind.error().message);
  auto engine = engine_options(a.engine);
  if (!engine) return fail(engine.error().message);
  ScorerOptions so;
  so.encoder_weights = a.encoder_weights;
  so.formula_weights = a.formula_weights;
  so.threads = a.engine.threads;
  std::unique_ptr<Progress> progress;
  auto features = extract_features(
      a.input, engine.value(), kind.value(), so, a.crops,
      [&](long long done, long long total) {
        if (!progress)
          progress =
              std::make_unique<Progress>(fs::path(a.input).filename().string(), total, !quiet);
        progress->update(done);
      },
      [](const std::vector<std::string>& weak) { warn_weak(weak); });
  if (progress) progress->finish();
  if (!features) return fail(features.error().message);
  const fs::path out = a.output.empty()
                           ? fs::path(fs::path(a.input).stem().string() + "_" + a.encoder + ".npy")
                           : fs::path(a.output);
  if (Status s = write_npy(out, features.value()); !s) return fail(s.error().message);
  std::cout << out.string() << "\n";
  return 0;
}

int run_eval(const EvalArgs& a) {
  auto scores = read_npy(a.scores);
  if (!scores) return fail(scores.error().message);
  auto labels = read_npy(a.labels);
  if (!labels) return fail(labels.error().message);
  auto e = evaluate_scores(scores->data, labels->data);
  if (!e) return fail(e.error().message);
  if (a.json)
    std::cout
        << nlohmann::json{{"frames", e->frames}, {"roc_auc", e->roc_auc}, {"ap", e->ap}}.dump()
        << "\n";
  else
    std::cout << fmt::format("frames {}  ROC-AUC {:.4f}  AP {:.4f}\n", e->frames, e->roc_auc,
                             e->ap);
  return 0;
}

}  // namespace

void add_vad_tool_commands(CLI::App& app, VadToolArgs& a) {
  auto* score = app.add_subcommand("score", "run a VAD head on a feature array (.npy)");
  score->add_option("features", a.score.features, "(N, crops, D) or (N, crops, D+1) .npy")
      ->required();
  score->add_option("--head", a.score.head, "pel or mgfn")
      ->check(CLI::IsMember({"pel", "pel4vad", "mgfn"}))
      ->capture_default_str();
  score->add_option("--dataset", a.score.dataset, "ucf or xd")
      ->check(CLI::IsMember({"ucf", "xd"}))
      ->capture_default_str();
  score->add_option("--weights", a.score.weights, "head checkpoint");
  score->add_flag("--formula-weights", a.score.formula_weights, "synthetic weights (tests)");
  score->add_option("-o,--output", a.score.output, "write the N snippet scores as .npy");
  score->add_option("--smooth", a.score.smooth, "none, fixed:K or slide:K")->capture_default_str();
  score->add_flag("-q,--quiet", a.quiet, "no progress");
  a.score_cmd = score;

  auto* features =
      app.add_subcommand("features", "anonymize a video and write its I3D features (.npy)");
  features->add_option("input", a.features.input, "video file")->required();
  features->add_option("--encoder", a.features.encoder, "inception or r50")->capture_default_str();
  features->add_option("--encoder-weights", a.features.encoder_weights, "I3D checkpoint");
  features->add_flag("--formula-weights", a.features.formula_weights, "synthetic weights (tests)");
  features->add_option("--crops", a.features.crops, "10 (UCF) or 5 (XD)")
      ->check(CLI::IsMember({1, 5, 10}))
      ->capture_default_str();
  features->add_option("-o,--output", a.features.output, "output .npy (N, crops, D+1)");
  a.features.engine.method = "no-an";
  add_engine_options(*features, a.features.engine);
  features->add_flag("-q,--quiet", a.quiet, "no progress");
  a.features_cmd = features;

  auto* eval =
      app.add_subcommand("eval", "frame-level ROC-AUC and AP of scores against 0/1 labels");
  eval->add_option("scores", a.eval.scores, "scores .npy (per frame, or per 16-frame snippet)")
      ->required();
  eval->add_option("labels", a.eval.labels, "0/1 frame labels .npy")->required();
  eval->add_flag("--json", a.eval.json, "print JSON");
  eval->add_flag("-q,--quiet", a.quiet, "(accepted for symmetry)");
  a.eval_cmd = eval;
}

int run_vad_tool(const VadToolArgs& a) {
  if (a.score_cmd->parsed()) return run_score(a.score);
  if (a.features_cmd->parsed()) return run_features(a.features, a.quiet);
  return run_eval(a.eval);
}

}  // namespace la3d::cli
