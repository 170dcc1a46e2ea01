#pragma once
// Detections as JSON Lines, one object per frame, COCO conventions:
// {"frame": 0, "width": W, "height": H, "objects": [{"class": "person", "score": 0.93,
//   "box": [x1, y1, x2, y2], "mask": {"size": [H, W], "counts": [...]}}]}
// box corners inclusive; mask = COCO uncompressed RLE (column-major, first run is zeros);
// "polygons": [[x0, y0, x1, y1, ...], ...] may stand instead of "mask"; neither means a box.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/core/types.hpp"
#include "la3d/detect/detector.hpp"
#include "la3d/io/io.hpp"

namespace la3d {

// COCO uncompressed RLE of a full-frame binary mask (non-zero = inside).
std::vector<uint32_t> rle_encode(const cv::Mat1b& full_mask);
Result<cv::Mat1b> rle_decode(const std::vector<uint32_t>& counts, cv::Size size);

// Parses one line of the format; `line_no` only names the line in errors.
struct FrameDetections {
  long long frame = 0;
  cv::Size size;
  std::vector<Detection> objects;
};
Result<FrameDetections> parse_detections_line(const std::string& line, int line_no);
std::string format_detections_line(const FrameDetections& record);

// A detector that replays a file, keeping the objects of `options.classes` scored at least
// `options.threshold` (objects without a score count as 1). The whole file is checked when it is
// opened, so a malformed line fails before any output is written. Frames absent from the file have
// no objects.
Result<std::unique_ptr<Detector>> open_detections_file(const std::filesystem::path& path,
                                                       const DetectOptions& options);

// A box given as inclusive corners (x1, y1, x2, y2), in any numbers, clipped to the frame in double
// before any int conversion: what it covers of the frame, empty when it covers nothing. The one
// rule for boxes from outside (detections files, Python).
cv::Rect clip_inclusive_box(double x1, double y1, double x2, double y2, cv::Size frame);

// Writes what was used, one line per frame, to a temporary file renamed into place by finish().
class DetectionsWriter {
 public:
  static Result<std::unique_ptr<DetectionsWriter>> open(const std::filesystem::path& path);
  ~DetectionsWriter();
  Status write(const FrameDetections& record);
  // Renames the file into place, or hands it to `batch` to be committed with the run's others.
  Status finish(OutputBatch* batch = nullptr);

 private:
  DetectionsWriter() = default;
  std::filesystem::path final_path_, temp_path_;
  std::ofstream out_;
  bool finished_ = false;
};

}  // namespace la3d
