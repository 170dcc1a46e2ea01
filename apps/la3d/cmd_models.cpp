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
}

int run_models(const ModelsArgs& a) {
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
