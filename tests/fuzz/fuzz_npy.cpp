// .npy bytes (features and score arrays users pass to `la3d score` and `eval`).
#include <cstdint>
#include <string_view>

#include "la3d/vad/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto a = la3d::parse_npy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  if (a && a->numel() != int64_t(a->data.size())) __builtin_trap();
  return 0;
}
