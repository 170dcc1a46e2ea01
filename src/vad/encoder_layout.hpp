#pragma once
// The layer tables both the schemas and the forward passes of the I3D encoders follow.
#include <cstdint>

namespace la3d {

// Inception Mixed block: in -> [a | b1->b2 | c1->c2 | pool->d] channels.
struct MixedSpec {
  const char* name;
  int64_t in, a, b1, b2, c1, c2, d;
};
extern const MixedSpec kMixed[9];

// ResNet-50: blocks per layer, temporal-kernel flag per block, non-local placement.
extern const int kR50Blocks[4];
extern const int kR50Temporal[4][6];
bool r50_has_nonlocal(int layer, int block);

}  // namespace la3d
