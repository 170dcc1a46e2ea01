// score_features, extract_features, evaluate_scores: the array tools behind `la3d score`,
// `la3d features` and `la3d eval`.
#include "la3d/engine/vad_tools.hpp"

#include <fmt/format.h>

#include "la3d/io/io.hpp"
#include "la3d/vad/vad_pipeline.hpp"
#include "la3d/vad/vad_report.hpp"

namespace la3d {

Result<std::vector<float>> score_features(const NpyArray& features, const std::string& head,
                                          const std::string& dataset, const ScorerOptions& so,
                                          const std::string& smooth) {
  return guarded("score_features", [&]() -> Result<std::vector<float>> {
    auto smoothing = parse_smoothing(smooth);
    if (!smoothing) return smoothing.error();
    auto config = parse_head_config(head, dataset);
    if (!config) return config.error();
    set_vad_threads(so.threads);
    auto h = open_head(config.value(), so);
    if (!h) return h.error();
    auto scores = h.value()->score(features);
    if (!scores) return scores.error();
    return smooth_scores(scores->snippet, smoothing->first, smoothing->second);
  });
}

Result<NpyArray> extract_features(
    const std::string& input, const EngineOptions& eo, EncoderKind kind, const ScorerOptions& so,
    int crops, const std::function<void(long long, long long)>& progress,
    const std::function<void(const std::vector<std::string>&)>& weak) {
  return guarded("extract_features", [&]() -> Result<NpyArray> {
    if (crops != 1 && crops != 5 && crops != 10)
      return make_error("crops must be 1, 5 or 10, got " + std::to_string(crops));
    if (!is_live_spec(input) && !std::filesystem::exists(input))
      return make_error("input not found: " + input);
    auto engine = build_engine(eo);
    if (!engine) return engine.error();
    if (weak && !engine->weak.empty()) weak(engine->weak);
    set_vad_threads(so.threads);
    auto encoder = open_encoder(kind, so);
    if (!encoder) return encoder.error();
    auto source = VideoSource::open(input);
    if (!source) return source.error();
    const long long total = source.value()->frame_count();
    FramePipeline pipeline = std::move(engine.value()).pipeline();
    FeatureExtractor fx(std::move(encoder.value()), crops);
    auto frames = run_stream(*source.value(), pipeline,
                             [&](const cv::Mat& f, const FrameReport&, long long i) -> Status {
                               if (progress) progress(i + 1, total);
                               return fx.add_frame(f);
                             });
    if (!frames) return frames.error();
    if (fx.features().shape.empty())
      return make_error(fmt::format("{} has {} frame(s): fewer than one 16-frame snippet", input,
                                    frames.value()));
    return fx.features();
  });
}

Result<ScoreEvaluation> evaluate_scores(const std::vector<float>& scores,
                                        const std::vector<float>& labels) {
  return guarded("evaluate_scores", [&]() -> Result<ScoreEvaluation> {
    std::vector<float> s = scores;
    if (s.size() * kSnippetFrames == labels.size()) s = frame_scores(s);
    if (s.size() != labels.size())
      return make_error(
          fmt::format("{} scores and {} labels: expected equal lengths, or 16 labels per "
                      "snippet score",
                      scores.size(), labels.size()));
    auto auc = roc_auc(s, labels);
    if (!auc) return auc.error();
    auto ap = pr_auc(s, labels);
    if (!ap) return ap.error();
    return ScoreEvaluation{s.size(), auc.value(), ap.value()};
  });
}

}  // namespace la3d
