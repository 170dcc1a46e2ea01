#pragma once
// Model conversion and the model cache: TF.js graph models from npm packages become ONNX that
// OpenCV's dnn module runs.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "la3d/result.hpp"

namespace la3d {

struct ConvertOptions {
  // Node names to cut the graph at and expose as outputs; empty = the model's signature outputs.
  std::vector<std::string> outputs;
};

struct OnnxModel {
  std::string bytes;  // serialized ONNX ModelProto
  std::vector<std::string> input_names, output_names;
  std::vector<std::vector<int64_t>> input_shapes,
      output_shapes;  // TF layouts, as the model.json says
  int node_count = 0;
  int transpose_count = 0;  // Transpose nodes left after layout tracking
};

// Converts a TF.js graph model (model.json beside its .bin shards) to ONNX opset 11 as OpenCV 4.6
// reads it. Unsupported ops are refused with their names.
Result<OnnxModel> convert_tfjs_to_onnx(const std::filesystem::path& model_json,
                                       const ConvertOptions& options = {});

}  // namespace la3d
