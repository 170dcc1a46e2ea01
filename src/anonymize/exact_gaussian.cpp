// See exact_gaussian.hpp for why this exists and what "exact" rests on.
#include "exact_gaussian.hpp"
#include "vector_clones.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <random>
#include <utility>

namespace la3d::detail {
namespace {

constexpr int kOne = 256;  // 1.0 in OpenCV's 8-bit fixed-point taps (ufixedpoint16)

// OpenCV rounds the column pass once: 16 fraction bits, half up.
inline uint8_t round_fixed16(uint32_t v) {
  return uint8_t(std::min<uint32_t>((v + (1u << 15)) >> 16, 255));
}

// What cv::GaussianBlur writes for an impulse of `level` under tap c (a 1-row image: the column
// pass is the single tap 1.0): floor((level * c * 256 + 2^15) / 2^16).
int impulse_response(int level, int c) {
  return (level * c + 128) >> 8;
}

// Tap c from the responses to impulses of 255 and 128: 255 gives c up to 128 and c - 1 above
// (so 128 and 129 both give 128); 128 gives floor((c + 1) / 2), which tells those two apart.
int decode_tap(int r255, int r128) {
  if (r255 < 128) return r255;
  if (r255 == 128) return r128 == 64 ? 128 : 129;
  return r255 + 1;
}

// Row pass of one (ksize x 1) blur done here, for the self-check against OpenCV.
std::vector<uint8_t> blur_row_here(const uint8_t* row, int width, const std::vector<int>& taps) {
  const int r = int(taps.size()) / 2;
  std::vector<uint8_t> out(size_t(width) * 3);
  for (int x = 0; x < width; ++x)
    for (int ch = 0; ch < 3; ++ch) {
      uint32_t sum = 0;
      for (int t = -r; t <= r; ++t) {
        const int sx = cv::borderInterpolate(x + t, width, cv::BORDER_REFLECT_101);
        sum += uint32_t(taps[t + r]) * row[sx * 3 + ch];
      }
      out[size_t(x) * 3 + ch] = round_fixed16(sum * kOne);
    }
  return out;
}

std::shared_ptr<const FixedGaussian> probe_kernel(int ksize, double sigma) {
  const int r = ksize / 2;
  const int len = 4 * r + 1, centre = 2 * r;
  cv::Mat1b impulses(2, len, uchar(0));
  impulses(0, centre) = 255;
  impulses(1, centre) = 128;
  cv::Mat1b resp;
  cv::GaussianBlur(impulses, resp, {ksize, 1}, sigma, sigma,
                   cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
  auto k = std::make_shared<FixedGaussian>();
  k->taps.resize(size_t(ksize));
  int sum = 0;
  for (int t = -r; t <= r; ++t) {
    const int r255 = resp(0, centre - t), r128 = resp(1, centre - t);
    const int c = decode_tap(r255, r128);
    if (impulse_response(255, c) != r255 || impulse_response(128, c) != r128) return nullptr;
    k->taps[size_t(t + r)] = c;
    sum += c;
  }
  if (sum != kOne) return nullptr;
  for (int t = 0; t < r; ++t)  // the row pass pairs taps at equal distance
    if (k->taps[size_t(t)] != k->taps[size_t(ksize - 1 - t)]) return nullptr;

  // Random rows at three widths (shorter than the kernel, so reflected more than once; as long;
  // longer): OpenCV's bytes and this arithmetic's must agree everywhere.
  std::mt19937 rng(unsigned(ksize) * 7919u + unsigned(sigma * 1000));
  for (const int width : {std::max(1, r), ksize, 2 * ksize + 3}) {
    cv::Mat row(1, width, CV_8UC3), theirs;
    for (int i = 0; i < width * 3; ++i) row.data[i] = uchar(rng() & 255);
    cv::GaussianBlur(row, theirs, {ksize, 1}, sigma, sigma,
                     cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
    const std::vector<uint8_t> mine = blur_row_here(row.data, width, k->taps);
    if (!std::equal(mine.begin(), mine.end(), theirs.data)) return nullptr;
  }

  // Summation by parts: weights c[j-1] - c[j] at prefix offsets j = 0..ksize.
  for (int j = 0; j <= ksize; ++j) {
    const int before = j > 0 ? k->taps[size_t(j - 1)] : 0;
    const int here = j < ksize ? k->taps[size_t(j)] : 0;
    if (before != here) {
      k->step_offset.push_back(j);
      k->step_weight.push_back(before - here);
    }
  }
  k->taps16.assign(k->taps.begin(), k->taps.end());
  int nonzero = 0;
  for (int c : k->taps) nonzero += c != 0;
  // Costs per value, in vector operations: the row pass sums 8-bit pixels into 16-bit lanes
  // directly, but its prefix sums need 32-bit lanes (half as many per vector) and a serial
  // running sum; the column pass is 32-bit either way, its prefix sums one addition per value.
  const int steps = int(k->step_offset.size());
  k->steps_in_rows = 2 * steps + 4 < nonzero;
  k->steps_in_columns = steps + 1 < nonzero;
  return k;
}

// ---- inner loops (n values each; wrap-around uint32 arithmetic is exact because every true
// result lies in [0, 2^32)) ----

// The direct row pass: h[i] = sum_t taps[t] * src[i + 3t], 32 values at a time kept in registers
// across all taps (one call per row; a call per tap cost more than the arithmetic on
// person-sized rows). Reads up to kRowPad bytes past the last window: the caller pads src.
constexpr int kRowBlock = 32, kRowPad = kRowBlock;
// OpenCV's Gaussian taps are symmetric (checked when probed): each pair of pixels at equal
// distance is added first (at most 510, still inside 16 bits) and multiplied once.
LA3D_VECTOR_CLONES
void direct_row(uint16_t* __restrict h, const uint8_t* __restrict src, int n,
                const uint16_t* __restrict taps, int k) {
  const int r = k / 2;
  for (int i0 = 0; i0 < n; i0 += kRowBlock) {
    uint16_t acc[kRowBlock];
    const uint16_t cr = taps[r];
    const uint8_t* mid = src + i0 + 3 * r;
    for (int i = 0; i < kRowBlock; ++i) acc[i] = uint16_t(cr * mid[i]);
    for (int t = 0; t < r; ++t) {
      const uint16_t c = taps[t];
      const uint8_t* a = src + i0 + 3 * t;
      const uint8_t* b = src + i0 + 3 * (k - 1 - t);
      for (int i = 0; i < kRowBlock; ++i) acc[i] = uint16_t(acc[i] + c * (a[i] + b[i]));
    }
    std::copy_n(acc, std::min(kRowBlock, n - i0), h + i0);
  }
}

LA3D_VECTOR_CLONES
void add_scaled_u16(uint32_t* __restrict acc, const uint16_t* __restrict src, int n, uint32_t c) {
  for (int i = 0; i < n; ++i) acc[i] += c * src[i];
}

LA3D_VECTOR_CLONES
void add_scaled_u32(uint32_t* __restrict acc, const uint32_t* __restrict src, int n, uint32_t c) {
  for (int i = 0; i < n; ++i) acc[i] += c * src[i];
}

LA3D_VECTOR_CLONES
void prefix_u8(uint32_t* __restrict prefix, const uint8_t* __restrict src, int n) {
  // prefix[i + 3] = prefix[i] + src[i] per channel (3 interleaved channels)
  for (int i = 0; i < n; ++i) prefix[i + 3] = prefix[i] + src[i];
}

LA3D_VECTOR_CLONES
void accumulate_u16(uint32_t* __restrict dst, const uint32_t* __restrict prev,
                    const uint16_t* __restrict src, int n) {
  for (int i = 0; i < n; ++i) dst[i] = prev[i] + src[i];
}

LA3D_VECTOR_CLONES
void round_out(uint8_t* __restrict out, const uint32_t* __restrict acc, int n) {
  for (int i = 0; i < n; ++i) out[i] = round_fixed16(acc[i]);
}

// Buffers reused from call to call on each thread (the AN step runs per frame and per person).
struct Scratch {
  std::vector<uint8_t> ext;              // one extended row of pixels
  std::vector<uint16_t> h, h_ext;        // row-pass results: per source row; per extended row
  std::vector<uint32_t> prefix, q, acc;  // prefix sums of a row; of the columns; column sums
};

// Row pass over one extended row (ow + 2 rx pixels, 3 channels): h = sum(c * pixel), <= 65280.
void row_pass(const uint8_t* ext, int n, const FixedGaussian& kx, Scratch& s, uint16_t* h) {
  if (!kx.steps_in_rows) {
    direct_row(h, ext, n, kx.taps16.data(), int(kx.taps16.size()));
    return;
  }
  const int ext_n = n + 6 * kx.radius();
  s.prefix.assign(size_t(ext_n) + 3, 0u);
  prefix_u8(s.prefix.data(), ext, ext_n);
  s.acc.assign(size_t(n), 0u);
  for (size_t j = 0; j < kx.step_offset.size(); ++j)
    add_scaled_u32(s.acc.data(), s.prefix.data() + 3 * kx.step_offset[j], n,
                   uint32_t(kx.step_weight[j]));
  for (int i = 0; i < n; ++i) h[i] = uint16_t(s.acc[size_t(i)]);
}

}  // namespace

std::shared_ptr<const FixedGaussian> fixed_gaussian(int ksize, double sigma) {
  if (ksize < 1 || ksize % 2 == 0) return nullptr;
  static std::mutex mutex;
  static std::map<std::pair<int, double>, std::shared_ptr<const FixedGaussian>> cache;
  const std::pair key{ksize, sigma > 0 ? sigma : 0.0};
  {
    const std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::shared_ptr<const FixedGaussian> k;
  try {
    k = probe_kernel(ksize, key.second);
  } catch (const cv::Exception&) {
    k = nullptr;  // the caller falls back to cv::GaussianBlur, which will report the problem
  }
  const std::lock_guard lock(mutex);
  // Person-sized kernels (adaptive_max_blur) take every odd size up to the frame's: bounded.
  if (cache.size() > 4096) cache.clear();
  cache.emplace(key, k);
  return k;
}

bool exact_gaussian_blur(const cv::Mat& src, cv::Rect roi, const FixedGaussian& kx,
                         const FixedGaussian& ky, cv::Mat& dst) {
  CV_Assert(src.type() == CV_8UC3 && (roi & cv::Rect({0, 0}, src.size())) == roi);
  const int W = src.cols, H = src.rows, rx = kx.radius(), ry = ky.radius();
  const int ow = roi.width, oh = roi.height, n = ow * 3;
  if (!exact_gaussian_fits(roi.size(), int(ky.taps.size()))) return false;
  dst.create(oh, ow, CV_8UC3);
  if (ow == 0 || oh == 0) return true;
  thread_local Scratch s;

  // Source row of each row of the extended column (roi.y - ry .. roi.y + oh - 1 + ry) and source
  // column of each pixel of the extended row, reflected as OpenCV reflects them.
  const int ext_rows = oh + 2 * ry, ext_cols = ow + 2 * rx;
  std::vector<int> row_of(static_cast<size_t>(ext_rows)), col_of(static_cast<size_t>(ext_cols));
  for (int j = 0; j < ext_rows; ++j)
    row_of[size_t(j)] = cv::borderInterpolate(roi.y - ry + j, H, cv::BORDER_REFLECT_101);
  for (int j = 0; j < ext_cols; ++j)
    col_of[size_t(j)] = cv::borderInterpolate(roi.x - rx + j, W, cv::BORDER_REFLECT_101);
  const auto [lo_it, hi_it] = std::minmax_element(row_of.begin(), row_of.end());
  const int lo = *lo_it, rows = *hi_it - lo + 1;
  // The columns inside the image are one contiguous run: copied, not gathered.
  const int inner0 = std::max(0, rx - roi.x);
  const int inner1 = std::min(ext_cols, W - (roi.x - rx));

  // Row pass once per source row (a row reflected into the column twice is computed once).
  s.ext.assign(size_t(ext_cols) * 3 + kRowPad, 0);
  s.h.resize(size_t(rows) * size_t(n));
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = src.ptr<uint8_t>(lo + r);
    uint8_t* e = s.ext.data();
    for (int c = 0; c < inner0; ++c) std::copy_n(row + 3 * col_of[size_t(c)], 3, e + 3 * c);
    std::copy_n(row + 3 * (roi.x - rx + inner0), 3 * (inner1 - inner0), e + 3 * inner0);
    for (int c = inner1; c < ext_cols; ++c) std::copy_n(row + 3 * col_of[size_t(c)], 3, e + 3 * c);
    row_pass(e, n, kx, s, &s.h[size_t(r) * size_t(n)]);
  }
  // The column in extended order, contiguous, so that the column pass is a few long loops
  // (output row y reads extended rows y .. y + 2 ry: the same buffer shifted by whole rows).
  const uint16_t* h = s.h.data();
  bool in_order = true;
  for (int j = 0; j < ext_rows && in_order; ++j) in_order = row_of[size_t(j)] == lo + j;
  if (!in_order) {
    s.h_ext.resize(size_t(ext_rows) * size_t(n));
    for (int j = 0; j < ext_rows; ++j)
      std::copy_n(&s.h[size_t(row_of[size_t(j)] - lo) * size_t(n)], n,
                  &s.h_ext[size_t(j) * size_t(n)]);
    h = s.h_ext.data();
  }

  const int out_len = oh * n;
  s.acc.assign(size_t(out_len), 0u);
  if (!ky.steps_in_columns) {
    for (int t = 0; t <= 2 * ry; ++t)
      if (ky.taps[size_t(t)] != 0)
        add_scaled_u16(s.acc.data(), h + size_t(t) * size_t(n), out_len,
                       uint32_t(ky.taps[size_t(t)]));
  } else {
    // Column prefix sums Q[j] = h(extended row 0) + ... + h(extended row j - 1), wrapping.
    s.q.assign(size_t(ext_rows + 1) * size_t(n), 0u);
    for (int j = 0; j < ext_rows; ++j)
      accumulate_u16(&s.q[size_t(j + 1) * size_t(n)], &s.q[size_t(j) * size_t(n)],
                     h + size_t(j) * size_t(n), n);
    for (size_t j = 0; j < ky.step_offset.size(); ++j)
      add_scaled_u32(s.acc.data(), &s.q[size_t(ky.step_offset[j]) * size_t(n)], out_len,
                     uint32_t(ky.step_weight[j]));
  }
  for (int y = 0; y < oh; ++y) round_out(dst.ptr<uint8_t>(y), &s.acc[size_t(y) * size_t(n)], n);
  return true;
}

}  // namespace la3d::detail
