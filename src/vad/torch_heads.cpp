// PEL4VAD and MGFN forward passes in ATen (libtorch's tensor library), written from the VAD spec
// (sections 7.2 and 8.2). Weights are looked up by their state-dict names.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <map>
#include <thread>

#include "vad/head_schema.hpp"
#include "vad/torch_weights.hpp"

namespace la3d {
namespace {

using at::Tensor;

using Weights = TorchWeights;

Tensor linear(const Tensor& x, const Weights& w, const std::string& p) {
  return at::linear(x, w[p + ".weight"], w[p + ".bias"]);
}
Tensor conv1d(const Tensor& x, const Weights& w, const std::string& p, int pad = 0,
              bool bias = true, int groups = 1) {
  return at::conv1d(x, w[p + ".weight"], bias ? w[p + ".bias"] : Tensor(), 1, pad, 1, groups);
}

// (crops, N) crop scores -> per-crop lists and their mean per snippet.
HeadScores to_scores(const Tensor& crop_scores) {
  HeadScores out;
  const Tensor cs = crop_scores.contiguous();
  const int64_t crops = cs.size(0), n = cs.size(1);
  out.per_crop.assign(size_t(crops), std::vector<float>(size_t(n)));
  for (int64_t c = 0; c < crops; ++c)
    std::copy(cs[c].data_ptr<float>(), cs[c].data_ptr<float>() + n,
              out.per_crop[size_t(c)].begin());
  const Tensor mean = cs.mean(0).contiguous();
  out.snippet.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + n);
  return out;
}

class Pel4vad final : public VadHead {
 public:
  Pel4vad(HeadConfig c, const StateDict& sd) : c_(c), w_(sd) {}
  const HeadConfig& config() const override { return c_; }

  Result<HeadScores> score(const NpyArray& features) override {
    auto f = prepare_features(features, c_);
    if (!f) return f.error();
    at::NoGradGuard no_grad;
    const Tensor x = at::from_blob(f->values.data(), {f->crops, f->snippets, f->dim}, at::kFloat);
    return to_scores(forward(x));
  }

 private:
  // x: (B, T, 1024) -> scores (B, T).
  Tensor forward(const Tensor& x) const {
    const int64_t t = x.size(1);
    const std::string a = "self_attention.self_attn.";
    const Tensor idx = at::arange(t, at::kFloat);
    const Tensor dist = (idx.unsqueeze(1) - idx.unsqueeze(0)).abs();
    const Tensor adj = at::exp(
        -(w_["self_attention.loc_adj.w"] * dist.pow(2) - w_["self_attention.loc_adj.b"]).abs());
    const Tensor q = linear(x, w_, a + "q"), k = linear(x, w_, a + "k"), v = linear(x, w_, a + "v");
    const Tensor s = at::matmul(q, k.transpose(1, 2)) / std::sqrt(128.0) + adj;
    const Tensor global = at::matmul(at::softmax(s, -1), v);
    // The local branch masks with -1e9, not -inf, as the reference does.
    const Tensor outside = dist > 4;  // win_size 9
    const Tensor local = at::matmul(at::softmax(s.masked_fill(outside, -1e9), -1), v);
    const Tensor alpha = at::sigmoid(w_[a + "alpha"]);
    Tensor h = alpha * global + (1 - alpha) * local;
    if (c_.dataset == Dataset::Ucf) {
      h = at::sqrt(at::relu(h)) - at::sqrt(at::relu(-h));
      // F.normalize's default dim=1 on (B, T, C): each channel across time.
      h = h / at::clamp_min(h.norm(2, {1}, true), 1e-12);
    }
    const Tensor y = linear(h, w_, a + "o");
    const Tensor z = at::layer_norm(x + y, {1024}, w_["self_attention.norm.weight"],
                                    w_["self_attention.norm.bias"], 1e-5)
                         .transpose(1, 2);
    // GELU in its exact erf form (ATen's default), as the reference.
    const Tensor xv = at::gelu(conv1d(z, w_, "self_attention.linear1"));
    const Tensor xe = at::gelu(conv1d(xv, w_, "self_attention.linear2"));
    const int64_t t_step = w_["classifier.weight"].size(2);
    const Tensor logits = conv1d(at::constant_pad_nd(xe, {t_step - 1, 0}), w_, "classifier");
    return at::sigmoid(logits.squeeze(1));
  }

  HeadConfig c_;
  Weights w_;
};

class Mgfn final : public VadHead {
 public:
  Mgfn(HeadConfig c, const StateDict& sd) : c_(c), w_(sd) {}
  const HeadConfig& config() const override { return c_; }

  Result<HeadScores> score(const NpyArray& features) override {
    auto f = prepare_features(features, c_);
    if (!f) return f.error();
    at::NoGradGuard no_grad;
    const Tensor x = at::from_blob(f->values.data(), {f->crops, f->snippets, f->dim}, at::kFloat)
                         .transpose(1, 2);
    const Tensor mag = at::from_blob(f->magnitude.data(), {f->crops, 1, f->snippets}, at::kFloat);
    Tensor h = conv1d(x, w_, "to_tokens", 1) + 0.1 * conv1d(mag, w_, "to_mag", 1);
    const int depths[3] = {3, 3, 2};
    for (int st = 0; st < 3; ++st) {
      const int64_t heads = h.size(1) / 64;
      for (int l = 0; l < depths[st]; ++l) {
        const std::string p =
            "stages." + std::to_string(st) + ".0.layers." + std::to_string(l) + ".";
        h = conv1d(h, w_, p + "0", 1) + h;
        h = (st == 0 ? glance(h, p + "1.", heads) : focus(h, p + "1.", heads)) + h;
        h = feed_forward(h, p + "2.") + h;
      }
      if (st < 2) {
        const std::string p = "stages." + std::to_string(st) + ".1.";
        h = conv1d(chan_ln(h, p + "0"), w_, p + "1");
      }
    }
    const Tensor z = at::layer_norm(h.transpose(1, 2), {1024}, w_["to_logits.0.weight"],
                                    w_["to_logits.0.bias"], 1e-5);
    return to_scores(at::sigmoid(linear(z, w_, "fc")).squeeze(2));
  }

 private:
  // MGFN's LayerNorm over channels of (B, C, T): eps added to the std, not the variance.
  Tensor chan_ln(const Tensor& x, const std::string& p) const {
    const Tensor mean = x.mean(1, true);
    const Tensor std = at::sqrt(at::var(x, {1}, /*unbiased=*/false, true));
    return (x - mean) / (std + 1e-5) * w_[p + ".g"] + w_[p + ".b"];
  }
  Tensor feed_forward(const Tensor& x, const std::string& p) const {
    return conv1d(at::gelu(conv1d(chan_ln(x, p + "0"), w_, p + "1")), w_, p + "4");
  }
  // Full attention over time, heads as the slow channel index.
  Tensor glance(const Tensor& x, const std::string& p, int64_t heads) const {
    const int64_t b = x.size(0), t = x.size(2);
    const auto qkv = conv1d(chan_ln(x, p + "norm"), w_, p + "to_qkv", 0, false).chunk(3, 1);
    const Tensor q = qkv[0].reshape({b, heads, 64, t}).transpose(2, 3) * std::pow(64.0, -0.5);
    const Tensor k = qkv[1].reshape({b, heads, 64, t}).transpose(2, 3);
    const Tensor v = qkv[2].reshape({b, heads, 64, t}).transpose(2, 3);
    const Tensor out = at::matmul(at::softmax(at::matmul(q, k.transpose(2, 3)), -1), v);
    return conv1d(out.transpose(2, 3).reshape({b, heads * 64, t}), w_, p + "to_out");
  }
  // A 5-tap temporal kernel per head, shared by its 64 sub-channels (head the fast index).
  Tensor focus(const Tensor& x, const std::string& p, int64_t heads) const {
    const int64_t b = x.size(0), t = x.size(2);
    const Tensor z =
        at::batch_norm(x, w_[p + "norm.weight"], w_[p + "norm.bias"], w_[p + "norm.running_mean"],
                       w_[p + "norm.running_var"], false, 0.1, 1e-5, false);
    const Tensor v = conv1d(z, w_, p + "to_v", 0, false).reshape({b * 64, heads, t});
    const Tensor out = conv1d(v, w_, p + "rel_pos", 2, true, int(heads));
    return conv1d(out.reshape({b, 64 * heads, t}), w_, p + "to_out");
  }

  HeadConfig c_;
  Weights w_;
};

}  // namespace

bool torch_available() {
  return true;
}

void set_vad_threads(int threads) {
  at::set_num_threads(threads > 0 ? threads
                                  : int(std::max(1u, std::thread::hardware_concurrency())));
}

Result<std::unique_ptr<VadHead>> make_head(const HeadConfig& config, const StateDict& weights) {
  const bool pel = config.kind == HeadKind::Pel4vad;
  // The reference loaders' key clean-up: PEL4VAD drops the first segment of "module" keys,
  // MGFN removes every "module.".
  const StateDict sd = strip_module_prefix(weights, pel);
  if (Status s = check_state_dict(sd, head_schema(config), config.name()); !s) return s.error();
  if (pel) return std::unique_ptr<VadHead>(std::make_unique<Pel4vad>(config, sd));
  return std::unique_ptr<VadHead>(std::make_unique<Mgfn>(config, sd));
}

}  // namespace la3d
