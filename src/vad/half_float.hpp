#pragma once
// IEEE 754 binary16 to float (checkpoints and .npy files may hold float16).
#include <cmath>
#include <cstdint>

namespace la3d {

inline float half_to_float(uint16_t h) {
  const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
  const float sign = (h & 0x8000) ? -1.f : 1.f;
  if (e == 0) return sign * std::ldexp(float(m), -24);  // zero and subnormals
  if (e == 31) return m ? NAN : sign * INFINITY;
  return sign * std::ldexp(float(m + 1024), e - 25);
}

}  // namespace la3d
