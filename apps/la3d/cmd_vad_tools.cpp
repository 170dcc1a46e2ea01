// Research tools on arrays: run a head on published features, extract features, evaluate scores.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "la3d/io/io.hpp"
#include "la3d/vad/vad_pipeline.hpp"
#include "la3d/vad/vad_report.hpp"
#include "la3d/vad/vad_scorer.hpp"
#include "progress.hpp"

namespace la3d::cli {
namespace {

int run_score(const ScoreArgs& a) {
  auto smoothing = parse_smoothing(a.smooth);
  if (!smoothing) return fail(smoothing.error().message);
  auto config = parse_head_config(a.head, a.dataset);
  if (!config) return fail(config.error().message);
  auto features = read_npy(a.features);
  if (!features) return fail(features.error().message);
  ScorerOptions so;
  so.weights = a.weights;
  so.formula_weights = a.formula_weights;
  auto head = open_head(config.value(), so);
  if (!head) return fail(head.error().message);
  auto scores = head.value()->score(features.value());
  if (!scores) return fail(a.features + ": " + scores.error().message);
  const std::vector<float> s = smooth_scores(scores->snippet, smoothing->first, smoothing->second);
  if (a.output.empty()) {
    for (float v : s) std::cout << fmt::format("{:.6f}\n", v);
    return 0;
  }
  if (Status st = write_npy(a.output, NpyArray{{int64_t(s.size())}, s}); !st)
    return fail(st.error().message);
  return 0;
}

int run_features(const FeaturesArgs& a, bool quiet) {
  auto kind = parse_encoder(a.encoder, nullptr);
  if (!kind) return fail(kind.error().message);
  if (!fs::exists(a.input)) return fail("input not found: " + a.input);
  auto engine = build_engine(a.engine);
  if (!engine) return fail(engine.error().message);
  warn_weak(engine.value());
  ScorerOptions so;
  so.encoder_weights = a.encoder_weights;
  so.formula_weights = a.formula_weights;
  set_vad_threads(a.engine.threads);
  auto encoder = open_encoder(kind.value(), so);
  if (!encoder) return fail(encoder.error().message);
  auto source = VideoSource::open(a.input);
  if (!source) return fail(source.error().message);
  FramePipeline pipeline(engine->options, std::move(engine->detector));
  FeatureExtractor fx(std::move(encoder.value()), a.crops);
  Progress progress(fs::path(a.input).filename().string(), source.value()->frame_count(), !quiet);
  auto frames = run_stream(*source.value(), pipeline,
                           [&](const cv::Mat& f, const FrameReport&, long long i) -> Status {
                             progress.update(i + 1);
                             return fx.add_frame(f);
                           });
  progress.finish();
  if (!frames) return fail(frames.error().message);
  if (fx.features().shape.empty())
    return fail(fmt::format("{} has {} frame(s): fewer than one 16-frame snippet", a.input,
                            frames.value()));
  const fs::path out = a.output.empty()
                           ? fs::path(fs::path(a.input).stem().string() + "_" + a.encoder + ".npy")
                           : fs::path(a.output);
  if (Status s = write_npy(out, fx.features()); !s) return fail(s.error().message);
  std::cout << out.string() << "\n";
  return 0;
}

int run_eval(const EvalArgs& a) {
  auto scores = read_npy(a.scores);
  if (!scores) return fail(scores.error().message);
  auto labels = read_npy(a.labels);
  if (!labels) return fail(labels.error().message);
  std::vector<float> s = scores->data;
  // Snippet scores against frame labels: repeated over 16 frames, as the literature does.
  if (s.size() * 16 == labels->data.size()) s = frame_scores(s);
  if (s.size() != labels->data.size())
    return fail(
        fmt::format("{} scores and {} labels: expected equal lengths, or 16 labels per "
                    "snippet score",
                    scores->data.size(), labels->data.size()));
  auto auc = roc_auc(s, labels->data);
  if (!auc) return fail(auc.error().message);
  auto ap = pr_auc(s, labels->data);
  if (!ap) return fail(ap.error().message);
  if (a.json) {
    std::cout
        << nlohmann::json{{"frames", s.size()}, {"roc_auc", auc.value()}, {"ap", ap.value()}}.dump()
        << "\n";
  } else {
    std::cout << fmt::format("frames {}  ROC-AUC {:.4f}  AP {:.4f}\n", s.size(), auc.value(),
                             ap.value());
  }
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
