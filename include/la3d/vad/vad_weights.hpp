#pragma once
// What each VAD model's state dict holds (keys in state_dict order, shapes, roles), the strict
// check a checkpoint must pass before a model takes it, and the closed-form "formula" weights of
// the shared reference vectors (set A), which let tests and benchmarks run every model with no
// checkpoint file at all.
#include <string>
#include <vector>

#include "la3d/vad/checkpoint.hpp"

namespace la3d {

enum class ParamKind {
  Weight,
  Bias,
  BnWeight,
  BnBias,
  BnMean,
  BnVar,
  BnCount,
  LnWeight,
  LnBias,
  Scalar
};

struct ParamSpec {
  std::string key;
  std::vector<int64_t> shape;
  ParamKind kind;
};
using ModelSchema = std::vector<ParamSpec>;

// Appends a BatchNorm's five entries (weight, bias, running_mean, running_var,
// num_batches_tracked) under `name`, in PyTorch's order.
void add_batch_norm(ModelSchema& schema, const std::string& name, int64_t channels);

// PEL4VAD (feature 1024): t_step 9 for UCF-Crime, 3 for XD-Violence.
ModelSchema pel4vad_schema(int t_step);
// MGFN for 2048-d (UCF-Crime, I3D ResNet-50) or 1024-d (XD-Violence, I3D Inception) features.
ModelSchema mgfn_schema(int channels);

// Loaders' key clean-up: PEL4VAD drops the first dotted segment of keys containing "module",
// MGFN removes every "module." (both as LA3D does).
StateDict strip_module_prefix(StateDict sd, bool first_segment_only);

// Every schema key present with its shape, nothing else (BatchNorm's num_batches_tracked may be
// absent). The error lists missing, unexpected and mis-shaped keys by name.
Status check_state_dict(const StateDict& sd, const ModelSchema& schema, const std::string& model);

// "[1,300,9]"
std::string shape_text(const std::vector<int64_t>& shape);

// The weights of the shared vectors' MANIFEST (set A): w = f_kind(sin(b*i*i + c*k + phase)) for
// the k-th tensor and flat index i, gain G on conv/linear weights.
StateDict formula_weights(const ModelSchema& schema, double gain);

}  // namespace la3d
