// `la3d serve --config FILE`: whatever the file holds is read into per-camera settings or refused
// with a reason; what is read names only valid cameras and bounded numbers.
#include <cmath>
#include <cstdint>
#include <string>

#include "la3d/server/camera_config.hpp"
#include "la3d/server/camera_name.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = la3d::parse_camera_config(text);
  if (!r) {
    if (r.error().message.empty()) __builtin_trap();
    return 0;
  }
  for (const auto& [name, c] : r.value()) {
    if (!la3d::validate_camera_name(name)) __builtin_trap();
    for (const auto& v : {c.an_scale, c.an_bound, c.alert_threshold})
      if (v && !(std::isfinite(*v) && *v >= 0 && *v <= 1000)) __builtin_trap();
  }
  return 0;
}
