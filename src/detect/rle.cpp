// COCO uncompressed RLE: runs over the mask in column-major order, alternating zeros and ones,
// always starting with a (possibly empty) run of zeros.
#include "la3d/detect/detections_file.hpp"

namespace la3d {

std::vector<uint32_t> rle_encode(const cv::Mat1b& m) {
  std::vector<uint32_t> counts;
  uchar current = 0;
  uint32_t run = 0;
  for (int x = 0; x < m.cols; ++x)
    for (int y = 0; y < m.rows; ++y) {
      const uchar v = m(y, x) ? 1 : 0;
      if (v != current) {
        counts.push_back(run);
        run = 0;
        current = v;
      }
      ++run;
    }
  counts.push_back(run);
  return counts;
}

Result<cv::Mat1b> rle_decode(const std::vector<uint32_t>& counts, cv::Size size) {
  const long long total = static_cast<long long>(size.width) * size.height;
  long long sum = 0;
  for (uint32_t c : counts) sum += c;
  if (sum != total)
    return make_error("RLE counts sum to " + std::to_string(sum) + ", mask has " +
                      std::to_string(total) + " pixels");
  cv::Mat1b m(size, uchar(0));
  long long pos = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i % 2 == 1)
      for (long long k = pos; k < pos + counts[i]; ++k)
        m(int(k % size.height), int(k / size.height)) = 255;
    pos += counts[i];
  }
  return m;
}

}  // namespace la3d
