// LA3D's encoder input preparation, reproduced exactly: features are only comparable with the
// published ones when the pixels going in are the same (OpenCV's INTER_LANCZOS4 is not Pillow's).
#include <cmath>
#include <opencv2/core.hpp>

#include "la3d/vad/vad_encoder.hpp"

namespace la3d {
namespace {

constexpr int kPrecision = 22;  // Pillow: 32 - 8 bits - 2

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}
double lanczos3(double x) {
  return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
}

struct Taps {
  std::vector<int> first;           // first input index per output
  std::vector<std::vector<int>> k;  // fixed-point weights per output
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis.
Taps coefficients(int in, int out) {
  const double scale = double(in) / out, fs = std::max(scale, 1.0), support = 3.0 * fs;
  Taps t;
  for (int o = 0; o < out; ++o) {
    const double center = (o + 0.5) * scale;
    const int xmin = std::max(int(center - support + 0.5), 0);
    const int xmax = std::min(int(center + support + 0.5), in) - xmin;
    std::vector<double> w(size_t(std::max(xmax, 0)));
    double total = 0;
    for (int x = 0; x < xmax; ++x) total += w[size_t(x)] = lanczos3((x + xmin - center + 0.5) / fs);
    std::vector<int> k(w.size());
    for (size_t x = 0; x < w.size(); ++x) {
      const double v = (total != 0.0 ? w[x] / total : w[x]) * (1 << kPrecision);
      k[x] = int(v < 0 ? v - 0.5 : v + 0.5);  // rounded half away from zero
    }
    t.first.push_back(xmin);
    t.k.push_back(std::move(k));
  }
  return t;
}

uchar clip8(int64_t acc) {
  if (acc <= 0) return 0;
  const int64_t v = acc >> kPrecision;
  return v > 255 ? 255 : uchar(v);
}

// One pass along x, 3 interleaved channels.
cv::Mat horizontal_pass(const cv::Mat& src, int out) {
  const Taps t = coefficients(src.cols, out);
  cv::Mat dst(src.rows, out, CV_8UC3);
  for (int y = 0; y < src.rows; ++y) {
    const uchar* in = src.ptr<uchar>(y);
    uchar* o = dst.ptr<uchar>(y);
    for (int x = 0; x < out; ++x) {
      const auto& k = t.k[size_t(x)];
      const uchar* p = in + 3 * t.first[size_t(x)];
      int64_t acc[3] = {1 << (kPrecision - 1), 1 << (kPrecision - 1), 1 << (kPrecision - 1)};
      for (size_t j = 0; j < k.size(); ++j, p += 3)
        for (int c = 0; c < 3; ++c) acc[c] += int64_t(p[c]) * k[j];
      for (int c = 0; c < 3; ++c) o[3 * x + c] = clip8(acc[c]);
    }
  }
  return dst;
}

// One pass along y: whole rows are accumulated, which keeps memory access sequential.
cv::Mat vertical_pass(const cv::Mat& src, int out) {
  const Taps t = coefficients(src.rows, out);
  const int width = src.cols * 3;
  cv::Mat dst(out, src.cols, CV_8UC3);
  std::vector<int64_t> acc(static_cast<size_t>(width));
  for (int y = 0; y < out; ++y) {
    std::fill(acc.begin(), acc.end(), int64_t(1) << (kPrecision - 1));
    const auto& k = t.k[size_t(y)];
    for (size_t j = 0; j < k.size(); ++j) {
      const uchar* in = src.ptr<uchar>(t.first[size_t(y)] + int(j));
      for (int i = 0; i < width; ++i) acc[size_t(i)] += int64_t(in[i]) * k[j];
    }
    uchar* o = dst.ptr<uchar>(y);
    for (int i = 0; i < width; ++i) o[i] = clip8(acc[size_t(i)]);
  }
  return dst;
}

}  // namespace

cv::Mat pil_lanczos_resize(const cv::Mat& image, cv::Size size) {
  CV_Assert(image.type() == CV_8UC3);
  cv::Mat m = image;
  // Pillow skips a pass whose size does not change.
  if (size.width != m.cols) m = horizontal_pass(m, size.width);
  if (size.height != m.rows) m = vertical_pass(m, size.height);
  return m.data == image.data ? image.clone() : m;
}

std::vector<float> snippet_crops(const std::vector<cv::Mat>& frames, int crops, EncoderKind kind) {
  // (row, col) of the five 224x224 windows on a 256x340 frame.
  const int origin[5][2] = {{0, 0}, {0, 116}, {16, 58}, {32, 0}, {32, 116}};
  const size_t t = frames.size(), plane = 224 * 224;
  std::vector<float> out(size_t(crops) * 3 * t * plane);
  const bool inception = kind == EncoderKind::I3dInception;
  for (int c = 0; c < crops; ++c) {
    const bool flip = c >= 5;
    const int r0 = origin[c % 5][0], c0 = origin[c % 5][1];
    for (size_t f = 0; f < t; ++f) {
      const cv::Mat& img = frames[f];
      for (int y = 0; y < 224; ++y)
        for (int x = 0; x < 224; ++x) {
          const int sx = flip ? 339 - (c0 + x) : c0 + x;
          const cv::Vec3b p = img.at<cv::Vec3b>(r0 + y, sx);
          for (int ch = 0; ch < 3; ++ch) {
            const double v = p[ch];
            // In float64, then float32, as LA3D's numpy code.
            const double n = inception ? v * 2 / 255 - 1 : (v / 255 - 0.45) / 0.225;
            out[((size_t(c) * 3 + size_t(ch)) * t + f) * plane + size_t(y) * 224 + size_t(x)] =
                float(n);
          }
        }
    }
  }
  return out;
}

}  // namespace la3d
