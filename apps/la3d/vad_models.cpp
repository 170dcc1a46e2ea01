#include "vad_models.hpp"

#include "la3d/models.hpp"
#include "la3d/vad_weights.hpp"

namespace la3d::cli {
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

Result<std::filesystem::path> checkpoint_path(const std::string& given, const std::string& official,
                                              const std::string& what, const std::string& flag) {
  if (!given.empty()) {
    if (!std::filesystem::exists(given))
      return make_error(what + " checkpoint not found: " + given);
    return std::filesystem::path(given);
  }
  const auto cached = default_cache_dir() / "vad" / official;
  if (std::filesystem::exists(cached)) return cached;
  return make_error(what + " needs its checkpoint: pass " + flag + " FILE or put the official " +
                    official + " at " + cached.string() +
                    " (la3d downloads nothing; --head motion needs no checkpoint)");
}

}  // namespace

Result<std::unique_ptr<VadHead>> open_head(const HeadConfig& c, const std::string& weights,
                                           bool formula) {
  if (!torch_available()) return make_head(c, {});  // says what is missing
  if (formula) {
    const ModelSchema schema = c.kind == HeadKind::Pel4vad
                                   ? pel4vad_schema(c.dataset == Dataset::Ucf ? 9 : 3)
                                   : mgfn_schema(c.feature_dim());
    return make_head(c, formula_weights(schema, 2.0));
  }
  auto path = checkpoint_path(weights, official_name(c), c.name(), "--weights");
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

Result<std::unique_ptr<VideoEncoder>> open_encoder(EncoderKind kind, const std::string& weights,
                                                   bool formula) {
  if (!torch_available()) return make_encoder(kind, {});
  if (formula)
    return make_encoder(
        kind, formula_weights(encoder_schema(kind), kind == EncoderKind::I3dInception ? 2.0 : 1.5));
  auto path =
      checkpoint_path(weights, official_name(kind), encoder_name(kind), "--encoder-weights");
  if (!path) return path.error();
  return load_encoder(kind, path.value());
}

Result<std::unique_ptr<SnippetScorer>> make_scorer(const ScorerChoice& c) {
  if (c.head == "motion") {
    if (!c.weights.empty() || !c.encoder_weights.empty())
      return make_error("--head motion is training-free: it takes no --weights/--encoder-weights");
    MotionHeadOptions o;
    o.threshold = c.threshold;
    return SnippetScorer::motion(o);
  }
  auto config = parse_head_config(c.head, c.dataset);
  if (!config) return config.error();
  auto kind = parse_encoder(c.encoder, &config.value());
  if (!kind) return kind.error();
  auto head = open_head(config.value(), c.weights, c.formula_weights);
  if (!head) return head.error();
  auto encoder = open_encoder(kind.value(), c.encoder_weights, c.formula_weights);
  if (!encoder) return encoder.error();
  return SnippetScorer::learned(std::move(encoder.value()), std::move(head.value()));
}

}  // namespace la3d::cli
