// A TF.js graph model as a package ships it: model.json, then the line "--weights--", then the
// bytes of its one weight shard ("w.bin"), converted to ONNX as `la3d models convert` does.
#include <cstdint>
#include <string>

#include "fuzz_files.hpp"
#include "la3d/models/models.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const std::string sep = "\n--weights--\n";
  const size_t at = in.find(sep);
  fuzz_file("w.bin", at == std::string::npos ? "" : in.substr(at + sep.size()));
  const auto json = fuzz_file("model.json", in.substr(0, at));
  auto onnx = la3d::convert_tfjs_to_onnx(json, {});
  (void)onnx;
  return 0;
}
