// The two I3D encoders in ATen, written from vad-spec sections 4 and 5.
#include <ATen/ATen.h>

#include <map>

#include "la3d/vad/vad_encoder.hpp"
#include "vad/encoder_layout.hpp"
#include "vad/torch_weights.hpp"

namespace la3d {
namespace {

using at::Tensor;

using Params = TorchWeights;

std::vector<float> channel_means(const Tensor& x) {
  const Tensor m = x[0].to(at::kDouble).mean({1, 2, 3}).to(at::kFloat).contiguous();
  return {m.data_ptr<float>(), m.data_ptr<float>() + m.numel()};
}

// (B, 3, 16, 224, 224) over the caller's buffer.
Tensor clip_tensor(const std::vector<float>& clips, int batch) {
  return at::from_blob(const_cast<float*>(clips.data()), {batch, 3, kSnippetFrames, 224, 224},
                       at::kFloat);
}

// Per-module channel means of clip 0 (and the stem's first channels) for parity checks.
void record(EncoderTrace* trace, const std::string& name, const Tensor& t) {
  if (!trace) return;
  trace->names.push_back(name);
  trace->channel_means.push_back(channel_means(t));
}
void record_stem(EncoderTrace* trace, const Tensor& t) {
  if (!trace) return;
  const Tensor s = t[0].slice(0, 0, 4).contiguous();
  trace->stem_first4.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
}

Tensor batch_norm(const Tensor& x, const Params& w, const std::string& p) {
  return at::batch_norm(x, w[p + ".weight"], w[p + ".bias"], w[p + ".running_mean"],
                        w[p + ".running_var"], false, 0.1, 1e-5, false);
}

// TF "SAME" padding for kernel k and stride s, fixed per dimension: total max(k - s, 0), the
// smaller half in front. Given as constant_pad_nd's (W, H, T) pairs.
std::vector<int64_t> same_pad(const std::array<int64_t, 3>& k, const std::array<int64_t, 3>& s) {
  std::vector<int64_t> pad;
  for (int d = 2; d >= 0; --d) {
    const int64_t total = std::max<int64_t>(k[size_t(d)] - s[size_t(d)], 0);
    pad.push_back(total / 2);
    pad.push_back(total - total / 2);
  }
  return pad;
}

class I3dInception final : public VideoEncoder {
 public:
  explicit I3dInception(const StateDict& sd) : w_(sd) {}
  EncoderKind kind() const override { return EncoderKind::I3dInception; }

  Result<std::vector<float>> encode(const std::vector<float>& clips, int batch,
                                    EncoderTrace* trace) override {
    at::NoGradGuard no_grad;
    Tensor x = clip_tensor(clips, batch);
    x = unit(x, "conv3d_1a_7x7", 7, 2);
    record_stem(trace, x);
    record(trace, "conv3d_1a_7x7", x);
    x = pool(x, {1, 3, 3}, {1, 2, 2});
    record(trace, "maxPool3d_2a_3x3", x);
    x = unit(x, "conv3d_2b_1x1", 1, 1);
    record(trace, "conv3d_2b_1x1", x);
    x = unit(x, "conv3d_2c_3x3", 3, 1);
    record(trace, "conv3d_2c_3x3", x);
    x = pool(x, {1, 3, 3}, {1, 2, 2});
    record(trace, "maxPool3d_3a_3x3", x);
    for (const MixedSpec& m : kMixed) {
      const std::string name = m.name;
      if (name == "mixed_4b") {
        x = pool(x, {3, 3, 3}, {2, 2, 2});
        record(trace, "maxPool3d_4a_3x3", x);
      } else if (name == "mixed_5b") {
        x = pool(x, {2, 2, 2}, {2, 2, 2});
        record(trace, "maxPool3d_5a_2x2", x);
      }
      x = mixed(x, name);
      record(trace, m.name, x);
    }
    // LA3D's feature: mixed_5c averaged over time and space.
    const Tensor f = x.mean({2, 3, 4}).contiguous();
    return std::vector<float>(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
  }

 private:
  // Unit3D: TF-SAME zero padding, conv (no bias), BatchNorm, ReLU.
  Tensor unit(const Tensor& x, const std::string& p, int64_t k, int64_t s) const {
    const Tensor padded = at::constant_pad_nd(x, same_pad({k, k, k}, {s, s, s}), 0);
    return at::relu(
        batch_norm(at::conv3d(padded, w_[p + ".conv3d.weight"], {}, s), w_, p + ".batch3d"));
  }
  // Zero padding equals -inf padding here: every pooled input follows a ReLU.
  static Tensor pool(const Tensor& x, std::array<int64_t, 3> k, std::array<int64_t, 3> s) {
    return at::max_pool3d(at::constant_pad_nd(x, same_pad(k, s), 0), {k[0], k[1], k[2]},
                          {s[0], s[1], s[2]}, 0, 1, /*ceil_mode=*/true);
  }
  Tensor mixed(const Tensor& x, const std::string& p) const {
    const Tensor b0 = unit(x, p + ".branch_0", 1, 1);
    const Tensor b1 = unit(unit(x, p + ".branch_1.0", 1, 1), p + ".branch_1.1", 3, 1);
    const Tensor b2 = unit(unit(x, p + ".branch_2.0", 1, 1), p + ".branch_2.1", 3, 1);
    const Tensor b3 = unit(pool(x, {3, 3, 3}, {1, 1, 1}), p + ".branch_3.1", 1, 1);
    return at::cat({b0, b1, b2, b3}, 1);
  }

  Params w_;
};

class I3dResnet50Nl final : public VideoEncoder {
 public:
  explicit I3dResnet50Nl(const StateDict& sd) : w_(sd) {}
  EncoderKind kind() const override { return EncoderKind::I3dResnet50Nl; }

  Result<std::vector<float>> encode(const std::vector<float>& clips, int batch,
                                    EncoderTrace* trace) override {
    at::NoGradGuard no_grad;
    Tensor x = clip_tensor(clips, batch);
    x = at::relu(
        batch_norm(at::conv3d(x, w_["conv1.weight"], {}, {2, 2, 2}, {2, 3, 3}), w_, "bn1"));
    record_stem(trace, x);
    record(trace, "stem_relu", x);
    x = at::max_pool3d(x, {2, 3, 3}, {2, 2, 2});
    record(trace, "maxpool1", x);
    for (int l = 0; l < 4; ++l) {
      for (int b = 0; b < kR50Blocks[l]; ++b) {
        const std::string p = "layer" + std::to_string(l + 1) + "." + std::to_string(b);
        x = bottleneck(x, p, kR50Temporal[l][b], (b == 0 && l > 0) ? 2 : 1);
        if (r50_has_nonlocal(l, b)) x = nonlocal(x, p + ".nl");
        record(trace, p, x);
      }
      if (l == 0) {
        x = at::max_pool3d(x, {2, 1, 1}, {2, 1, 1});
        record(trace, "maxpool2", x);
      }
    }
    const Tensor f = x.mean({2, 3, 4}).contiguous();  // AdaptiveAvgPool3d(1)
    return std::vector<float>(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
  }

 private:
  Tensor bottleneck(const Tensor& x, const std::string& p, int tc, int64_t stride) const {
    Tensor h = at::relu(batch_norm(
        at::conv3d(x, w_[p + ".conv1.weight"], {}, 1, {int64_t(tc), 0, 0}), w_, p + ".bn1"));
    h = at::relu(
        batch_norm(at::conv3d(h, w_[p + ".conv2.weight"], {}, {1, stride, stride}, {0, 1, 1}), w_,
                   p + ".bn2"));
    h = batch_norm(at::conv3d(h, w_[p + ".conv3.weight"], {}), w_, p + ".bn3");
    const Tensor residual =
        w_.has(p + ".downsample.0.weight")
            ? batch_norm(at::conv3d(x, w_[p + ".downsample.0.weight"], {}, {1, stride, stride}), w_,
                         p + ".downsample.1")
            : x;
    return at::relu(h + residual);
  }
  // Embedded-Gaussian non-local block over (T, H, W), keys and values from a 2x2 spatial pool.
  Tensor nonlocal(const Tensor& x, const std::string& p) const {
    const int64_t b = x.size(0), c = x.size(1), ci = c / 2;
    const Tensor mp = at::max_pool3d(x, {1, 2, 2}, {1, 2, 2});
    const Tensor theta =
        at::conv3d(x, w_[p + ".theta.weight"], w_[p + ".theta.bias"]).reshape({b, ci, -1});
    const Tensor phi =
        at::conv3d(mp, w_[p + ".phi.weight"], w_[p + ".phi.bias"]).reshape({b, ci, -1});
    const Tensor g = at::conv3d(mp, w_[p + ".g.weight"], w_[p + ".g.bias"]).reshape({b, ci, -1});
    const Tensor attn =
        at::softmax(at::matmul(theta.transpose(1, 2), phi) * std::pow(double(ci), -0.5), -1);
    const Tensor t =
        at::matmul(g, attn.transpose(1, 2)).reshape({b, ci, x.size(2), x.size(3), x.size(4)});
    return batch_norm(at::conv3d(t, w_[p + ".out.weight"], w_[p + ".out.bias"]), w_, p + ".bn") + x;
  }

  Params w_;
};

}  // namespace

Result<std::unique_ptr<VideoEncoder>> make_encoder(EncoderKind kind, const StateDict& weights) {
  const StateDict sd = strip_module_prefix(weights, false);
  if (Status s = check_state_dict(sd, encoder_schema(kind), encoder_name(kind)); !s)
    return s.error();
  if (kind == EncoderKind::I3dInception)
    return std::unique_ptr<VideoEncoder>(std::make_unique<I3dInception>(sd));
  return std::unique_ptr<VideoEncoder>(std::make_unique<I3dResnet50Nl>(sd));
}

}  // namespace la3d
