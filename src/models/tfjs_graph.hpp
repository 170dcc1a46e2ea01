#pragma once
// A TF.js graph model (model.json + weight shards) read into memory: nodes, constants, signature.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d::models {

// A dense tensor of float or integer values (all integer types widened to int64).
struct Tensor {
  bool is_float = true;
  std::vector<int64_t> shape;
  std::vector<float> f;
  std::vector<int64_t> i;
  int64_t size() const;
  double at(int64_t k) const { return is_float ? double(f[k]) : double(i[k]); }
};

// Element k of `perm` names the input axis that becomes output axis k (numpy's transpose).
Tensor transpose(const Tensor& t, const std::vector<int>& perm);
Tensor reshape(Tensor t, std::vector<int64_t> shape);
// numpy broadcasting of two shapes, and an elementwise op over broadcast constants.
std::vector<int64_t> broadcast_shapes(std::vector<int64_t> a, std::vector<int64_t> b);
Tensor fold_binary(const Tensor& a, const Tensor& b,
                   const std::function<double(double, double)>& op);

struct TfNode {
  std::string name, op;
  std::vector<std::string> inputs;  // "node" or "node:k"; control inputs ("^node") dropped
  nlohmann::json attr;
};

struct TfGraph {
  std::map<std::string, TfNode> nodes;
  std::map<std::string, Tensor> weights;               // by node name
  std::vector<std::string> input_names, output_names;  // node names (":0" dropped)
};

Result<TfGraph> load_tfjs_graph(const std::filesystem::path& model_json);

std::string base64_decode(const std::string& in);
float half_to_float(uint16_t h);

}  // namespace la3d::models
