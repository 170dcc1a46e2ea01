// See local_canny.hpp for why this exists and which OpenCV rules it reproduces.
#include "local_canny.hpp"

#include "vector_clones.hpp"

#include <algorithm>
#include <cstdlib>

namespace la3d::detail {
namespace {

// tan(22.5 degrees) in OpenCV's 15-bit fixed point, as its non-maximum suppression uses it.
constexpr int kCannyShift = 15;
constexpr int kTg22 = int(0.4142135623730950488016887242097 * (1 << kCannyShift) + 0.5);

// n gray values from n BGR pixels (contiguous), as OpenCV 4.6's cvtColor(BGR2GRAY) computes
// them: 15-bit fixed point (its 14-bit table formula differs on some colours; this one was
// checked against cvtColor on all 2^24 colours).
LA3D_VECTOR_CLONES
void gray_row(const uint8_t* __restrict bgr, int n, int16_t* __restrict out) {
  for (int i = 0; i < n; ++i)
    out[i] = int16_t(
        (3735 * bgr[3 * i] + 19235 * bgr[3 * i + 1] + 9798 * bgr[3 * i + 2] + (1 << 14)) >> 15);
}

// 3x3 Sobel gradients and L1 magnitude of n pixels whose gray rows (with one more column each
// side) are up, mid, down.
LA3D_VECTOR_CLONES
void sobel_row(const int16_t* __restrict up, const int16_t* __restrict mid,
               const int16_t* __restrict down, int n, int16_t* __restrict dx,
               int16_t* __restrict dy, int16_t* __restrict mag) {
  for (int i = 0; i < n; ++i) {
    const int gx = (up[i + 2] - up[i]) + 2 * (mid[i + 2] - mid[i]) + (down[i + 2] - down[i]);
    const int gy = (down[i] - up[i]) + 2 * (down[i + 1] - up[i + 1]) + (down[i + 2] - up[i + 2]);
    dx[i] = int16_t(gx);
    dy[i] = int16_t(gy);
    mag[i] = int16_t(std::abs(gx) + std::abs(gy));
  }
}

}  // namespace

struct LocalCanny::Buffers {
  std::vector<uint8_t> state;
  // The frame size `state` was last used for, and every rectangle classified in it: only these
  // hold anything but kUnknown (the walks mark only classified pixels), so the next frame of that
  // size clears them instead of the whole frame (8 MB per 4K frame otherwise).
  cv::Size size;
  std::vector<cv::Rect> touched;
  std::vector<int16_t> gray, dx, dy, mag;
  std::vector<int> stack, visited;
};

namespace {
LocalCanny::Buffers& thread_buffers() {
  thread_local LocalCanny::Buffers b;
  return b;
}
}  // namespace

LocalCanny::LocalCanny(const cv::Mat& bgr, double low, double high)
    : bgr_(bgr),
      width_(bgr.cols),
      height_(bgr.rows),
      low_(cvFloor(std::min(low, high))),
      high_(cvFloor(std::max(low, high))),
      buf_(thread_buffers()),
      state_(buf_.state) {
  CV_Assert(bgr.type() == CV_8UC3);
  if (buf_.size != bgr.size()) {
    state_.assign(size_t(width_) * size_t(height_), kUnknown);
    buf_.size = bgr.size();
  } else {
    for (const cv::Rect& r : buf_.touched)
      for (int y = r.y; y < r.y + r.height; ++y)
        std::fill_n(&state_[size_t(y) * size_t(width_) + size_t(r.x)], r.width, kUnknown);
  }
  buf_.touched.clear();
}

// Classes of every pixel of r (inside the frame) that has none yet: gray over r grown by 2
// (replicated at the frame's edges, as cv::Canny's Sobel does), gradients and magnitudes over r
// grown by 1 (magnitude 0 outside the frame, as in cv::Canny's buffers), then suppression.
void LocalCanny::classify_rect(cv::Rect r) {
  Buffers& b = buf_;
  b.touched.push_back(r);
  const int gw = r.width + 4, gh = r.height + 4, mw = r.width + 2, mh = r.height + 2;
  b.gray.resize(size_t(gw) * size_t(gh));
  // Columns r.x - 2 .. inside the frame are converted as one run; the others replicate the
  // frame's first or last column.
  const int in0 = std::max(0, 2 - r.x), in1 = std::min(gw, width_ - (r.x - 2));
  for (int j = 0; j < gh; ++j) {
    const uint8_t* row = bgr_.ptr<uint8_t>(std::clamp(r.y - 2 + j, 0, height_ - 1));
    int16_t* g = &b.gray[size_t(j) * size_t(gw)];
    gray_row(row + 3 * (r.x - 2 + in0), in1 - in0, g + in0);
    std::fill(g, g + in0, g[in0]);
    std::fill(g + in1, g + gw, g[in1 - 1]);
  }
  b.dx.resize(size_t(mw) * size_t(mh));
  b.dy.resize(b.dx.size());
  b.mag.resize(b.dx.size());
  for (int j = 0; j < mh; ++j) {
    const int16_t* up = &b.gray[size_t(j) * size_t(gw)];
    const size_t at = size_t(j) * size_t(mw);
    sobel_row(up, up + gw, up + 2 * gw, mw, &b.dx[at], &b.dy[at], &b.mag[at]);
    // Outside the frame cv::Canny's magnitude buffers hold 0.
    const int y = r.y - 1 + j;
    if (y < 0 || y >= height_) {
      std::fill_n(&b.mag[at], mw, int16_t(0));
      continue;
    }
    if (r.x == 0) b.mag[at] = 0;
    if (r.x + r.width == width_) b.mag[at + size_t(mw) - 1] = 0;
  }
  for (int j = 1; j <= r.height; ++j) {
    const int16_t* mp = &b.mag[size_t(j - 1) * size_t(mw)];
    const int16_t* mc = mp + mw;
    const int16_t* mn = mc + mw;
    const int16_t* dxr = &b.dx[size_t(j) * size_t(mw)];
    const int16_t* dyr = &b.dy[size_t(j) * size_t(mw)];
    uint8_t* st = &state_[size_t(r.y + j - 1) * size_t(width_) + size_t(r.x)];
    for (int i = 1; i <= r.width; ++i) {
      uint8_t& s = st[i - 1];
      if (s != kUnknown) continue;
      const int m = mc[i];
      bool keep = false;
      if (m > low_) {
        const int xs = dxr[i], ys = dyr[i];
        const int x = std::abs(xs), y = std::abs(ys) << kCannyShift;
        const int tg22x = x * kTg22;
        if (y < tg22x) {
          keep = m > mc[i - 1] && m >= mc[i + 1];
        } else {
          const int tg67x = tg22x + (x << (kCannyShift + 1));
          if (y > tg67x) {
            keep = m > mp[i] && m >= mn[i];
          } else {
            const int sgn = (xs ^ ys) < 0 ? -1 : 1;
            keep = m > mp[i - sgn] && m > mn[i + sgn];
          }
        }
      }
      s = !keep ? kNone : m > high_ ? kStrong : kWeak;
    }
  }
}

uint8_t LocalCanny::state_at(int x, int y) {
  uint8_t& s = state_[size_t(y) * size_t(width_) + size_t(x)];
  // A walk out of a box usually goes on along an edge: classifying the 8x8 block around the
  // pixel (aligned, so blocks do not overlap) costs little more than the pixel alone.
  if (s == kUnknown)
    classify_rect(cv::Rect(x & ~7, y & ~7, 8, 8) & cv::Rect(0, 0, width_, height_));
  return s;
}

// Whether the weak pixel's component of candidates holds a strong pixel: followed depth first,
// out of any box, until one is met or the component ends. Every pixel visited gets the answer.
bool LocalCanny::resolve_weak(int x0, int y0) {
  Buffers& b = buf_;
  b.stack.clear();
  b.visited.clear();
  const int start = y0 * width_ + x0;
  state_[size_t(start)] = kVisiting;
  b.stack.push_back(start);
  b.visited.push_back(start);
  bool connected = false;
  while (!b.stack.empty() && !connected) {
    const int p = b.stack.back();
    b.stack.pop_back();
    const int px = p % width_, py = p / width_;
    for (int ny = std::max(0, py - 1); ny <= std::min(height_ - 1, py + 1) && !connected; ++ny)
      for (int nx = std::max(0, px - 1); nx <= std::min(width_ - 1, px + 1); ++nx) {
        const uint8_t s = state_at(nx, ny);
        if (s == kStrong || s == kEdge) {
          connected = true;
          break;
        }
        if (s == kWeak) {
          const int q = ny * width_ + nx;
          state_[size_t(q)] = kVisiting;
          b.stack.push_back(q);
          b.visited.push_back(q);
        }
      }
  }
  for (int p : b.visited) state_[size_t(p)] = connected ? kEdge : kNotEdge;
  return connected;
}

void LocalCanny::edges(cv::Rect box, cv::Mat1b& out) {
  CV_Assert((box & cv::Rect(0, 0, width_, height_)) == box);
  out.create(box.size());
  if (box.empty()) return;
  classify_rect(box);
  for (int y = 0; y < box.height; ++y) {
    uchar* o = out.ptr<uchar>(y);
    for (int x = 0; x < box.width; ++x) {
      const uint8_t s = state_[size_t(box.y + y) * size_t(width_) + size_t(box.x + x)];
      bool edge = s == kStrong || s == kEdge;
      if (s == kWeak) edge = resolve_weak(box.x + x, box.y + y);
      o[x] = edge ? 255 : 0;
    }
  }
}

}  // namespace la3d::detail
