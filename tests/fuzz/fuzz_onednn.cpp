// An ONNX graph given to the oneDNN runner (the installed NanoDet, or whatever a cache holds):
// built for a 1x4x16x16 input and, when it builds, run once.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "detect/onednn_net.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes)) return 0;
  std::vector<std::string> outputs;
  for (const auto& o : m.graph().output()) outputs.push_back(o.name());
  auto net = la3d::OneDnnNet::load(bytes, {1, 4, 16, 16}, outputs, 1);
  if (!net) return 0;
  const int dims[] = {1, 4, 16, 16};
  cv::Mat input(4, dims, CV_32F, cv::Scalar(0.5));
  auto out = net.value()->forward(input);
  (void)out;
  return 0;
}
