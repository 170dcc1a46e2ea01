#pragma once
// The model parsers read files: each fuzz input is written into a folder of this process first.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

inline std::filesystem::path fuzz_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("la3d-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::filesystem::path fuzz_file(const std::string& name, const std::string& bytes) {
  const auto p = fuzz_dir() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  return p;
}
