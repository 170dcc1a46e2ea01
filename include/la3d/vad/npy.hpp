#pragma once
// NumPy .npy arrays: what research users have (published features, score files).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
  int64_t numel() const;
};

// Format 1.0-3.0, little-endian float32/float64/float16/int64/int32 (converted to float32); C or
// Fortran order (Fortran is reordered). A NaN or infinity is reported, never passed on.
Result<NpyArray> read_npy(const std::filesystem::path& path);
// The same from the file's bytes; `name` names it in errors.
Result<NpyArray> parse_npy(std::string_view bytes, const std::string& name);
// Little-endian float32, C order, written to a temporary name and renamed.
Status write_npy(const std::filesystem::path& path, const NpyArray& array);

}  // namespace la3d
