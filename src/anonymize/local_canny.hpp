// OpenCV 4.6's Canny edge map of a frame (gray conversion, 3x3 Sobel, L1 gradient), evaluated
// only inside the boxes that need it.
//
// Why by hand: the `edge` method is defined by cv::Canny over the whole frame (an-methods.md),
// and hysteresis can follow a weak edge from a strong pixel anywhere, so a crop's Canny differs
// from the frame's. But each pixel's class (not a candidate / weak / strong) depends only on the
// gray pixels within 2 of it, and whether a weak pixel is an edge only on its own 8-connected
// component of candidates. So this computes the classes over each box in bulk, and follows a
// weak component out of the box pixel by pixel, classifying lazily, until it meets a strong
// pixel or ends: the same bytes as cv::Canny inside the box, from a few percent of the frame.
// The rules reproduced (tested against cv::Canny): gray = (3735 B + 19235 G + 9798 R + 2^14) >> 15;
// Sobel with replicated borders; magnitude |dx| + |dy|, 0 outside the frame; candidates
// m > floor(low) surviving non-maximum suppression with OpenCV's 22.5-degree sectors and tie
// rules; strong m > floor(high).
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace la3d::detail {

class LocalCanny {
 public:
  // `bgr`: the whole frame (CV_8UC3), kept by reference for the object's life.
  LocalCanny(const cv::Mat& bgr, double low, double high);
  // The edge map (0 or 255) over `box` (inside the frame): cv::Canny(gray(frame))(box).
  void edges(cv::Rect box, cv::Mat1b& out);

  struct Buffers;  // this thread's scratch (defined in the .cpp)

 private:
  enum : uint8_t { kUnknown = 0, kNone, kWeak, kStrong, kEdge, kNotEdge, kVisiting };
  void classify_rect(cv::Rect r);
  uint8_t state_at(int x, int y);
  bool resolve_weak(int x, int y);

  const cv::Mat& bgr_;
  int width_, height_, low_, high_;
  Buffers& buf_;                 // this thread's scratch, reused from frame to frame
  std::vector<uint8_t>& state_;  // per frame pixel, in buf_
};

}  // namespace la3d::detail
