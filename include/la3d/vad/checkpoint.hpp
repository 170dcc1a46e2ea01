#pragma once
// PyTorch checkpoints as users download them: `torch.save` files (the zip format of torch >= 1.6,
// whatever its top folder, and the legacy pre-1.6 stream), holding a state dict that is usually a
// `collections.OrderedDict`. Read without libtorch: libtorch 1.13's own `pickle_load` turns every
// OrderedDict into None, reads no legacy file and insists on moving `cuda:0` storages to a GPU.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

struct TensorData {
  std::string dtype;  // as stored: float32, float64, float16, bfloat16, int64, int32, uint8, bool
  std::vector<int64_t> shape;  // empty for a 0-dim tensor
  std::vector<float> values;   // row-major, converted to float32 (integers exactly up to 2^24)
  int64_t numel() const;
};

// Entries in file order (the state_dict order of the model that was saved).
using StateDict = std::vector<std::pair<std::string, TensorData>>;

// Reads the tensors of a checkpoint. The top object may be the state dict itself or a dict that
// holds it under "state_dict", "model", "net" or "module"; "module." prefixes are kept (models
// strip them as their loaders do). Errors name the file and what is wrong with it.
Result<StateDict> read_checkpoint(const std::filesystem::path& file);
// The same from the file's bytes (what the fuzz target drives).
Result<StateDict> parse_checkpoint(std::string_view bytes);

}  // namespace la3d
