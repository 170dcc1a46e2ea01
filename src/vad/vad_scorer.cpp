// Finds and opens VAD heads and encoders: a file the user gives, the official file name in the
// model cache's vad/ folder, or (benchmarks and tests only) the reference vectors' formula.
#include "la3d/vad/vad_scorer.hpp"

#include "la3d/vad/vad_weights.hpp"

namespace la3d {
namespace {

// The official release names, looked for in <cache>/vad/ when no file is given.
std::string official_name(const HeadConfig& c) {
  if (c.kind == HeadKind::Pel4vad)
    return c.dataset == Dataset::Ucf ? "ucf__8636.pkl" : "xd__8526.pkl";
  return c.dataset == Dataset::Ucf ? "mgfn_ucf.pkl" : "mgfn_xd.pkl";
}
std::string official_name(EncoderKind k) {
  return k == EncoderKind::I3dInception ? "i3d_rgb.pt" : "i3d_r50_nl_kinetics.pth";
}

Result<std::filesystem::path> checkpoint_path(const std::filesystem::path& given,
                                              const std::filesystem::path& model_dir,
                                              const std::string& official, const std::string& what,
                                              const std::string& flag) {
  if (!given.empty()) {
    if (!std::filesystem::exists(given))
      return make_error(what + " checkpoint not found: " + given.string());
    return given;
  }
  const auto cached = model_dir / "vad" / official;
  if (std::filesystem::exists(cached)) return cached;
  return make_error(what + " needs its checkpoint: pass " + flag + " FILE or put the official " +
                    official + " at " + cached.string() +
                    " (la3d downloads nothing; --head motion needs no checkpoint)");
}

}  // namespace

Result<std::unique_ptr<VadHead>> open_head(const HeadConfig& c, const ScorerOptions& o) {
  if (!torch_available()) return make_head(c, {});  // says what is missing
  if (o.formula_weights) {
    const ModelSchema schema = c.kind == HeadKind::Pel4vad
                                   ? pel4vad_schema(c.dataset == Dataset::Ucf ? 9 : 3)
                                   : mgfn_schema(c.feature_dim());
    return make_head(c, formula_weights(schema, 2.0));
  }
  auto path = checkpoint_path(o.weights, o.model_dir, official_name(c), c.name(), "--weights");
  if (!path) return path.error();
  return load_head(c, path.value());
}

Result<EncoderKind> parse_encoder(const std::string& name, const HeadConfig* head) {
  if (name == "inception" || name == "i3d") return EncoderKind::I3dInception;
  if (name == "r50" || name == "resnet50" || name == "i3d_r50_nl")
    return EncoderKind::I3dResnet50Nl;
  if (name == "auto" && head)
    return head->feature_dim() == 2048 ? EncoderKind::I3dResnet50Nl : EncoderKind::I3dInception;
  return make_error("unknown encoder '" + name + "' (inception, r50" + (head ? ", auto)" : ")"));
}

Result<std::unique_ptr<VideoEncoder>> open_encoder(EncoderKind kind, const ScorerOptions& o) {
  if (!torch_available()) return make_encoder(kind, {});
  if (o.formula_weights)
    return make_encoder(
        kind, formula_weights(encoder_schema(kind), kind == EncoderKind::I3dInception ? 2.0 : 1.5));
  auto path = checkpoint_path(o.encoder_weights, o.model_dir, official_name(kind),
                              encoder_name(kind), "--encoder-weights");
  if (!path) return path.error();
  return load_encoder(kind, path.value());
}

Result<std::unique_ptr<SnippetScorer>> make_scorer(const ScorerOptions& o) {
  return guarded("make_scorer", [&]() -> Result<std::unique_ptr<SnippetScorer>> {
    if (!(o.alert_threshold >= 0 && o.alert_threshold <= 1))
      return make_error("the alert threshold must be in [0, 1]");
    if (o.head == "motion") {
      if (!o.weights.empty() || !o.encoder_weights.empty())
        return make_error(
            "--head motion is training-free: it takes no --weights/--encoder-weights");
      MotionHeadOptions m;
      m.threshold = o.alert_threshold;
      return SnippetScorer::motion(m);
    }
    set_vad_threads(o.threads);
    auto config = parse_head_config(o.head, o.dataset);
    if (!config) return config.error();
    auto kind = parse_encoder(o.encoder, &config.value());
    if (!kind) return kind.error();
    auto head = open_head(config.value(), o);
    if (!head) return head.error();
    auto encoder = open_encoder(kind.value(), o);
    if (!encoder) return encoder.error();
    return SnippetScorer::learned(std::move(encoder.value()), std::move(head.value()));
  });
}

StreamingScorer::StreamingScorer(std::unique_ptr<SnippetScorer> scorer, int window,
                                 double alert_threshold)
    : scorer_(std::move(scorer)), window_(std::max(1, window)), alert_threshold_(alert_threshold) {}

Result<std::optional<SnippetScore>> StreamingScorer::add_frame(const cv::Mat& bgr) {
  const long long before = scorer_->snippets();
  if (Status s = scorer_->add_frame(bgr); !s) return s.error();
  if (scorer_->snippets() == before) return std::optional<SnippetScore>{};
  auto score = scorer_->score_latest(window_);
  if (!score) return score.error();
  scores_.push_back(score.value());
  SnippetScore out;
  out.snippet = before;
  out.first_frame = before * kSnippetFrames;
  out.last_frame = out.first_frame + kSnippetFrames - 1;
  out.score = score.value();
  out.alert = out.score >= alert_threshold_;
  return std::optional<SnippetScore>(out);
}

}  // namespace la3d
