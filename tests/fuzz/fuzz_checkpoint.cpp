// torch.save bytes: the zip format and the legacy pickle stream (VAD head and encoder weights).
#include <cstdint>
#include <string_view>

#include "la3d/vad/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto sd = la3d::parse_checkpoint(std::string_view(reinterpret_cast<const char*>(data), size));
  if (sd)
    for (const auto& [name, t] : sd.value())
      if (t.numel() != int64_t(t.values.size())) __builtin_trap();
  return 0;
}
