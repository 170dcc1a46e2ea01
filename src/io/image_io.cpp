#include <opencv2/imgcodecs.hpp>

#include "la3d/io/io.hpp"

namespace la3d {

Result<cv::Mat> read_image(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return make_error("input not found: " + path.string());
  cv::Mat img;
  try {
    img = cv::imread(path.string(), cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
  }
  if (img.empty())
    return make_error("cannot decode image " + path.string() +
                      " (unreadable, corrupt or unsupported)");
  return img;
}

Status write_image(const fs::path& path, const cv::Mat& image, int jpeg_quality,
                   OutputBatch* batch) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) return make_error("cannot create output folder " + path.parent_path().string());
  const fs::path temp = partial_path_for(path);
  bool ok = false;
  try {
    ok = cv::imwrite(temp.string(), image, {cv::IMWRITE_JPEG_QUALITY, jpeg_quality});
  } catch (const cv::Exception&) {
    ok = false;
  }
  if (!ok) {
    fs::remove(temp, ec);
    return make_error("cannot write image " + path.string());
  }
  return finish_output(temp, path, batch);
}

}  // namespace la3d
