// Head configuration, weight loading and the checks around it: everything about the VAD heads that
// does not need libtorch, so that a build without it still explains itself.
#include <cmath>

#include "vad/head_schema.hpp"

namespace la3d {

int HeadConfig::feature_dim() const {
  return kind == HeadKind::Mgfn && dataset == Dataset::Ucf ? 2048 : 1024;
}
int HeadConfig::crops() const {
  return dataset == Dataset::Ucf ? 10 : 5;
}
std::string HeadConfig::name() const {
  return std::string(kind == HeadKind::Pel4vad ? "PEL4VAD" : "MGFN") +
         (dataset == Dataset::Ucf ? "-UCF" : "-XD");
}

Result<HeadConfig> parse_head_config(const std::string& head, const std::string& dataset) {
  HeadConfig c;
  if (head == "pel" || head == "pel4vad")
    c.kind = HeadKind::Pel4vad;
  else if (head == "mgfn")
    c.kind = HeadKind::Mgfn;
  else
    return make_error("unknown head '" + head + "' (pel, mgfn, or motion)");
  if (dataset == "ucf")
    c.dataset = Dataset::Ucf;
  else if (dataset == "xd")
    c.dataset = Dataset::Xd;
  else
    return make_error("unknown dataset '" + dataset + "' (ucf or xd)");
  return c;
}

ModelSchema head_schema(const HeadConfig& c) {
  if (c.kind == HeadKind::Pel4vad) return pel4vad_schema(c.dataset == Dataset::Ucf ? 9 : 3);
  return mgfn_schema(c.feature_dim());
}

std::string guess_head_config(const StateDict& weights) {
  for (HeadKind k : {HeadKind::Pel4vad, HeadKind::Mgfn})
    for (Dataset d : {Dataset::Ucf, Dataset::Xd}) {
      HeadConfig c{k, d};
      const StateDict cleaned = strip_module_prefix(weights, k == HeadKind::Pel4vad);
      if (check_state_dict(cleaned, head_schema(c), c.name()).ok()) return c.name();
    }
  return "";
}

Result<std::unique_ptr<VadHead>> load_head(const HeadConfig& config,
                                           const std::filesystem::path& checkpoint) {
  auto sd = read_checkpoint(checkpoint);
  if (!sd) return sd.error();
  auto head = make_head(config, sd.value());
  if (head) return head;
  const std::string looks = guess_head_config(sd.value());
  if (!looks.empty() && looks != config.name())
    return make_error(checkpoint.string() + " is a " + looks + " checkpoint, not " + config.name() +
                      " (choose --head/--dataset to match)");
  return make_error(checkpoint.string() + ": " + head.error().message);
}

}  // namespace la3d

namespace la3d {

Result<SnippetFeatures> prepare_features(const NpyArray& f, const HeadConfig& config) {
  if (f.shape.size() != 3)
    return make_error("features must be (snippets, crops, D) or (snippets, crops, D+1), got " +
                      shape_text(f.shape));
  const int64_t n = f.shape[0], crops_in = f.shape[1], width = f.shape[2];
  const int64_t d = config.feature_dim();
  if (n < 1 || crops_in < 1) return make_error("features hold no snippet");
  if (width != d && width != d + 1) {
    const std::string fits = (width == 2048 || width == 2049) ? " (I3D ResNet-50: MGFN-UCF)"
                             : (width == 1024 || width == 1025)
                                 ? " (I3D Inception: PEL4VAD, MGFN-XD)"
                                 : "";
    return make_error(config.name() + " takes " + std::to_string(d) + "-d features, these are " +
                      std::to_string(width) + "-d" + fits);
  }
  SnippetFeatures s;
  s.snippets = n;
  s.crops = std::min<int64_t>(crops_in, config.crops());
  s.dim = d;
  s.values.resize(size_t(s.crops * n * d));
  s.magnitude.resize(size_t(s.crops * n));
  for (int64_t c = 0; c < s.crops; ++c)
    for (int64_t i = 0; i < n; ++i) {
      const float* src = f.data.data() + (i * crops_in + c) * width;
      std::copy(src, src + d, s.values.begin() + (c * n + i) * d);
      double sq = 0;
      for (int64_t k = 0; k < d; ++k) sq += double(src[k]) * double(src[k]);
      s.magnitude[size_t(c * n + i)] = width == d + 1 ? src[d] : float(std::sqrt(sq));
    }
  return s;
}

}  // namespace la3d
