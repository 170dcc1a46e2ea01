// anonymize_image IN OUT METHOD [DETECTIONS.jsonl]: one image through la3d's engine, built from
// the library's options with the CLI's defaults. With a detections file its output is the same
// file, byte for byte, as `la3d anonymize IN -o OUT --method METHOD --detections DETECTIONS.jsonl`.
#include <iostream>

#include "la3d/engine/engine.hpp"
#include "la3d/io/io.hpp"

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::cerr << "usage: anonymize_image IN OUT METHOD [DETECTIONS.jsonl]\n";
    return 2;
  }
  auto fail = [](const std::string& message) {
    std::cerr << "anonymize_image: error: " << message << "\n";
    return 1;
  };
  la3d::EngineOptions options;  // every default as `la3d anonymize` has it
  auto method = la3d::parse_method(argv[3]);
  if (!method) return fail(method.error().message);
  options.pipeline.an.method = method.value();
  if (argc == 5) options.detections_file = argv[4];

  auto engine = la3d::build_engine(options);
  if (!engine) return fail(engine.error().message);
  for (const std::string& weak : engine->weak) std::cerr << "warning: " << weak << "\n";
  la3d::FramePipeline pipeline = std::move(engine.value()).pipeline();

  auto image = la3d::read_image(argv[1]);
  if (!image) return fail(image.error().message);
  pipeline.start_sequence();
  auto report = pipeline.process(image.value(), 0);
  if (!report) return fail(report.error().message);  // nothing is written
  if (la3d::Status s = la3d::write_image(argv[2], image.value()); !s)
    return fail(s.error().message);
  std::cout << argv[2] << ": " << report->instances << " hidden\n";
  return 0;
}
