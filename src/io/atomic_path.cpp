#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>

#include "la3d/io.hpp"

namespace la3d {

fs::path partial_path_for(const fs::path& final_path) {
  static std::atomic<int> counter{0};
  // Appended piecewise: g++ 12 warns falsely (-Wrestrict) on a chain starting with "." + string.
  std::string name(".");
  name += final_path.stem().string();
  name += ".partial-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  name += final_path.extension().string();
  return final_path.parent_path() / name;
}

Status commit_file(const fs::path& temp, const fs::path& final_path) {
  std::error_code ec;
  fs::rename(temp, final_path, ec);
  if (ec) {
    fs::remove(temp, ec);
    return make_error("cannot move output into place at " + final_path.string());
  }
  return Ok{};
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error("cannot read " + path.string());
  return std::move(ss).str();
}

Status write_file_atomically(const fs::path& path, const std::string& bytes) {
  const fs::path tmp = partial_path_for(path);
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return make_error("cannot write " + path.string());
    }
  }
  return commit_file(tmp, path);
}

namespace {
std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return e;
}
}  // namespace

bool is_image_path(const fs::path& p) {
  static const char* kExt[] = {".jpg",  ".jpeg", ".png", ".bmp", ".tif",
                               ".tiff", ".webp", ".ppm", ".pgm"};
  const std::string e = lower_extension(p);
  return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* x) { return e == x; });
}

bool is_video_path(const fs::path& p) {
  static const char* kExt[] = {".mp4", ".avi",  ".mkv", ".mov", ".webm", ".m4v",
                               ".mpg", ".mpeg", ".ts",  ".wmv", ".flv"};
  const std::string e = lower_extension(p);
  return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* x) { return e == x; });
}

std::vector<fs::path> list_images(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && is_image_path(it->path()) &&
        it->path().filename().string()[0] != '.')
      out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace la3d
