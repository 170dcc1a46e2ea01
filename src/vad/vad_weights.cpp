#include "la3d/vad/vad_weights.hpp"

#include <cmath>
#include <map>

namespace la3d {
namespace {

using P = ParamKind;

void linear(ModelSchema& s, const std::string& name, std::vector<int64_t> w, bool bias = true) {
  const int64_t out = w.front();
  s.push_back({name + ".weight", std::move(w), P::Weight});
  if (bias) s.push_back({name + ".bias", {out}, P::Bias});
}

void chan_ln(ModelSchema& s, const std::string& name, int64_t c) {
  s.push_back({name + ".g", {1, c, 1}, P::LnWeight});
  s.push_back({name + ".b", {1, c, 1}, P::LnBias});
}

}  // namespace

void add_batch_norm(ModelSchema& s, const std::string& name, int64_t c) {
  s.push_back({name + ".weight", {c}, P::BnWeight});
  s.push_back({name + ".bias", {c}, P::BnBias});
  s.push_back({name + ".running_mean", {c}, P::BnMean});
  s.push_back({name + ".running_var", {c}, P::BnVar});
  s.push_back({name + ".num_batches_tracked", {}, P::BnCount});
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  s += ']';
  return s;
}

ModelSchema pel4vad_schema(int t_step) {
  ModelSchema s;
  s.push_back({"logit_scale", {}, P::Scalar});
  s.push_back({"self_attention.self_attn.alpha", {}, P::Scalar});
  for (const char* n : {"q", "k", "v"})
    linear(s, std::string("self_attention.self_attn.") + n, {128, 1024});
  linear(s, "self_attention.self_attn.o", {1024, 128});
  linear(s, "self_attention.linear1", {512, 1024, 1});
  linear(s, "self_attention.linear2", {300, 512, 1});
  s.push_back({"self_attention.norm.weight", {1024}, P::LnWeight});
  s.push_back({"self_attention.norm.bias", {1024}, P::LnBias});
  s.push_back({"self_attention.loc_adj.w", {1}, P::Scalar});
  s.push_back({"self_attention.loc_adj.b", {1}, P::Scalar});
  linear(s, "classifier", {1, 300, t_step});
  return s;
}

ModelSchema mgfn_schema(int channels) {
  ModelSchema s;
  linear(s, "to_tokens", {64, channels, 3});
  const int64_t dims[3] = {64, 128, 1024}, depths[3] = {3, 3, 2};
  for (int st = 0; st < 3; ++st) {
    const int64_t c = dims[st], heads = c / 64;
    for (int l = 0; l < depths[st]; ++l) {
      const std::string p = "stages." + std::to_string(st) + ".0.layers." + std::to_string(l) + ".";
      linear(s, p + "0", {c, c, 3});
      if (st == 0) {  // GLANCE
        chan_ln(s, p + "1.norm", c);
        linear(s, p + "1.to_qkv", {3 * c, c, 1}, false);
      } else {  // FOCUS
        add_batch_norm(s, p + "1.norm", c);
        linear(s, p + "1.to_v", {c, c, 1}, false);
        linear(s, p + "1.rel_pos", {heads, 1, 5});
      }
      linear(s, p + "1.to_out", {c, c, 1});
      chan_ln(s, p + "2.0", c);
      linear(s, p + "2.1", {4 * c, c, 1});
      linear(s, p + "2.4", {c, 4 * c, 1});
    }
    if (st < 2) {
      const std::string p = "stages." + std::to_string(st) + ".1.";
      chan_ln(s, p + "0", c);
      linear(s, p + "1", {dims[st + 1], c, 1});
    }
  }
  s.push_back({"to_logits.0.weight", {1024}, P::LnWeight});
  s.push_back({"to_logits.0.bias", {1024}, P::LnBias});
  linear(s, "fc", {1, 1024});
  linear(s, "to_mag", {64, 1, 3});
  return s;
}

StateDict strip_module_prefix(StateDict sd, bool first_segment_only) {
  for (auto& [key, t] : sd) {
    if (first_segment_only) {
      if (key.find("module") != std::string::npos && key.find('.') != std::string::npos)
        key = key.substr(key.find('.') + 1);
    } else {
      for (size_t p; (p = key.find("module.")) != std::string::npos;) key.erase(p, 7);
    }
  }
  return sd;
}

Status check_state_dict(const StateDict& sd, const ModelSchema& schema, const std::string& model) {
  std::map<std::string, const TensorData*> have;
  for (const auto& [k, t] : sd) have[k] = &t;
  std::vector<std::string> missing, wrong, unexpected;
  std::map<std::string, bool> expected;
  for (const ParamSpec& p : schema) {
    expected[p.key] = true;
    const auto it = have.find(p.key);
    if (it == have.end()) {
      if (p.kind != P::BnCount) missing.push_back(p.key);
      continue;
    }
    if (p.kind != P::BnCount && it->second->shape != p.shape)
      wrong.push_back(p.key + " is " + shape_text(it->second->shape) + " not " +
                      shape_text(p.shape));
  }
  for (const auto& [k, t] : sd)
    if (!expected.count(k)) unexpected.push_back(k);
  if (missing.empty() && wrong.empty() && unexpected.empty()) return Ok{};
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < 4; ++i) {
      if (i) s += ", ";
      s += v[i];
    }
    if (v.size() > 4) s += ", ... (" + std::to_string(v.size()) + " in all)";
    return s;
  };
  std::string msg = "not a " + model + " checkpoint:";
  if (!missing.empty()) msg += " missing " + list(missing) + ";";
  if (!unexpected.empty()) msg += " unexpected " + list(unexpected) + ";";
  if (!wrong.empty()) msg += " shape " + list(wrong) + ";";
  msg.pop_back();
  return make_error(msg);
}

StateDict formula_weights(const ModelSchema& schema, double gain) {
  // Set A's constants, as the MANIFEST writes them.
  const double b = 3.883222077450933, c = 0.5, phase = 0.25;
  StateDict out;
  for (size_t k = 0; k < schema.size(); ++k) {
    const ParamSpec& p = schema[k];
    TensorData t;
    t.dtype = p.kind == P::BnCount ? "int64" : "float32";
    t.shape = p.shape;
    int64_t fan_in = 1;
    for (size_t d = 1; d < p.shape.size(); ++d) fan_in *= p.shape[d];
    const double amp = gain / std::sqrt(double(fan_in));
    t.values.resize(size_t(t.numel()));
    for (uint64_t i = 0; i < t.values.size(); ++i) {
      if (p.kind == P::BnCount) break;
      // One rounding per step, in the MANIFEST's order. ISO C++ mode (no GNU extensions) keeps
      // g++ from fusing these into multiply-adds.
      const double t1 = b * double(i * i) + c * double(k);
      const double s = std::sin(t1 + phase);
      double v;
      switch (p.kind) {
        case P::Weight:
          v = amp * s;
          break;
        case P::Bias:
          v = 0.01 * s;
          break;
        case P::BnWeight:
        case P::LnWeight:
          v = 1.0 + 0.1 * s;
          break;
        case P::BnBias:
        case P::LnBias:
        case P::BnMean:
          v = 0.05 * s;
          break;
        case P::BnVar:
          v = 1.0 + 0.2 * std::fabs(s);
          break;
        default:
          v = s;
      }
      t.values[i] = float(v);
    }
    out.emplace_back(p.key, std::move(t));
  }
  return out;
}

}  // namespace la3d
