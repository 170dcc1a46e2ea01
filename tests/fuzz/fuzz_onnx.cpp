// An ONNX file given to `la3d models import` (a user's YOLO export).
#include <cstdint>
#include <string>

#include "fuzz_files.hpp"
#include "la3d/models/models.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz_file("model.onnx", std::string(reinterpret_cast<const char*>(data), size));
  auto model = la3d::import_onnx_for_opencv(path);
  (void)model;
  return 0;
}
