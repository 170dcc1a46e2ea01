// VAD annotation files (UCF-Crime, XD-Violence) that users pass to `la3d experiment --labels`.
#include <cstdint>
#include <string>

#include "la3d/vad/vad_labels.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto labels = la3d::parse_anomaly_annotations(std::string(reinterpret_cast<const char*>(data), size));
  if (!labels) return 0;
  for (const auto& [name, segments] : labels->segments) {
    for (const auto& [s, e] : segments)
      if (s < 0 || e < s) __builtin_trap();  // the parser promised frame ranges
    auto l = la3d::frame_labels(labels.value(), name, 64);
    if (!l || l->size() != 64) __builtin_trap();
  }
  return 0;
}
