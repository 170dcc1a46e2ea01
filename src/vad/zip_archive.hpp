#pragma once
// Just enough of ZIP to read `torch.save` archives: they store their records uncompressed.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "la3d/core/result.hpp"

namespace la3d {

struct ZipEntry {
  uint64_t offset = 0;  // of the data in the archive
  uint64_t size = 0;
};

// Lists the stored (uncompressed) records of `bytes`; a compressed or encrypted record is an error.
Result<std::map<std::string, ZipEntry>> list_zip(std::string_view bytes);

bool looks_like_zip(std::string_view bytes);

}  // namespace la3d
