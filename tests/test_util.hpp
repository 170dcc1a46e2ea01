#pragma once
#include <filesystem>
#include <functional>
#include <opencv2/core.hpp>
#include <string>

#include "la3d/core/types.hpp"

namespace la3d::test {

namespace fs = std::filesystem;

// A textured frame (noise over gradients) so that blurs, edges and pixelation all change pixels.
cv::Mat textured_frame(cv::Size size, unsigned seed = 1);

// An instance from a full-frame mask, built without la3d's own mask code.
Instance instance_from_full_mask(const cv::Mat1b& full);

// A fresh, empty folder removed when the test ends.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};
// Runs a shell command, capturing its output.
CommandResult run(const std::string& command);
// Runs the la3d binary with these arguments (already shell-quoted where needed).
CommandResult la3d(const std::string& args);

std::string quote(const fs::path& p);

// Debian's opencv-doc photo with one player's face, used by the privacy tests.
inline const std::string kMessi = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";
// Why the privacy attackers cannot run here (models not installed, opencv-doc missing), or "".
std::string attackers_missing();
// A little-endian float32 C-order .npy file as an N-d CV_32F Mat; empty on any other content.
cv::Mat read_npy(const fs::path& path);
// Files below `dir`, recursively, relative names sorted; hidden partial files included.
std::vector<std::string> files_below(const fs::path& dir);
// A TCP port on 127.0.0.1 that was free a moment ago (for servers a test starts).
int free_loopback_port();
// A detections file (JSON Lines) with the same person `box` on each of `frames` frames of `size`.
void write_person_boxes(const fs::path& path, int frames, cv::Size size, cv::Rect box);
// A lossless (FFV1) clip: frame i is `frame(i)`; false when OpenCV cannot write it.
bool write_lossless_clip(const fs::path& path, int frames, cv::Size size, double fps,
                         const std::function<cv::Mat(int)>& frame);

}  // namespace la3d::test
