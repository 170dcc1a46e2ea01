#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "la3d/io/io.hpp"

namespace la3d {

namespace {

// This host's name as it may stand in a file name (letters, digits, '-', '_' kept).
const std::string& host_tag() {
  static const std::string tag = [] {
    char name[256] = {0};
    std::string t = gethostname(name, sizeof name - 1) == 0 ? name : "host";
    for (char& c : t)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return t.empty() ? std::string("host") : t;
  }();
  return tag;
}

// Removes `.*.partial-HOST-PID-N*` files of this host whose PID is no longer running. A reused
// PID keeps a stale file until that process ends: the safe side.
void sweep_dead_partials(const fs::path& folder) {
  const std::string marker = ".partial-" + host_tag() + "-";
  std::error_code ec;
  for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.find(marker);
    if (name.empty() || name[0] != '.' || at == std::string::npos) continue;
    const size_t digits = at + marker.size();
    const size_t end = name.find('-', digits);
    if (end == std::string::npos || end == digits || end - digits > 9 ||
        name.find_first_not_of("0123456789", digits) != end)
      continue;
    const pid_t pid = pid_t(std::stol(name.substr(digits, end - digits)));
    if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    fs::remove(it->path(), rm);
  }
}

}  // namespace

fs::path partial_path_for(const fs::path& final_path) {
  static std::atomic<int> counter{0};
  static std::mutex swept_mutex;
  static std::set<fs::path> swept;
  const fs::path folder = final_path.parent_path();
  {
    std::lock_guard lock(swept_mutex);
    if (swept.insert(folder.empty() ? fs::path(".") : folder).second)
      sweep_dead_partials(folder.empty() ? fs::path(".") : folder);
  }
  // Appended piecewise: g++ 12 warns falsely (-Wrestrict) on a chain starting with "." + string.
  std::string name(".");
  name += final_path.stem().string();
  name +=
      ".partial-" + host_tag() + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  name += final_path.extension().string();
  return folder / name;
}

OutputBatch::~OutputBatch() {
  std::error_code ec;
  for (const auto& [temp, final_path] : pending_) fs::remove(temp, ec);
}

void OutputBatch::add(fs::path temp, fs::path final_path) {
  pending_.emplace_back(std::move(temp), std::move(final_path));
}

Status OutputBatch::commit() {
  std::vector<fs::path> placed;
  for (size_t i = 0; i < pending_.size(); ++i) {
    const auto& [temp, final_path] = pending_[i];
    if (Status s = commit_file(temp, final_path); !s) {
      std::error_code ec;
      for (const fs::path& p : placed) fs::remove(p, ec);
      for (size_t k = i + 1; k < pending_.size(); ++k) fs::remove(pending_[k].first, ec);
      pending_.clear();
      return s;
    }
    placed.push_back(final_path);
  }
  pending_.clear();
  return Ok{};
}

Status finish_output(const fs::path& temp, const fs::path& final_path, OutputBatch* batch) {
  if (!batch) return commit_file(temp, final_path);
  batch->add(temp, final_path);
  return Ok{};
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

FolderListing list_media(const fs::path& folder) {
  FolderListing out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    // Hidden entries (dot files, la3d's own partial outputs) are neither media nor worth a word.
    if (p.filename().string().starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory()) continue;
    if (!it->is_regular_file())
      out.skipped.push_back({p, "not a regular file"});
    else if (is_image_path(p))
      out.images.push_back(p);
    else if (is_video_path(p))
      out.videos.push_back(p);
    else
      out.skipped.push_back({p, "not an image or video"});
  }
  if (ec) out.error = ec.message();
  std::sort(out.images.begin(), out.images.end());
  std::sort(out.videos.begin(), out.videos.end());
  std::sort(out.skipped.begin(), out.skipped.end());
  return out;
}

}  // namespace la3d
