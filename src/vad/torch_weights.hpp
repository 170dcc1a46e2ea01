#pragma once
// A state dict as ATen tensors, looked up by name (shared by the heads and the encoders).
#include <ATen/ATen.h>

#include <map>
#include <string>

#include "la3d/vad/checkpoint.hpp"

namespace la3d {

class TorchWeights {
 public:
  explicit TorchWeights(const StateDict& sd) {
    for (const auto& [k, t] : sd)
      w_[k] = at::from_blob(const_cast<float*>(t.values.data()), t.shape, at::kFloat).clone();
  }
  const at::Tensor& operator[](const std::string& k) const { return w_.at(k); }
  bool has(const std::string& k) const { return w_.count(k) > 0; }

 private:
  std::map<std::string, at::Tensor> w_;
};

}  // namespace la3d
