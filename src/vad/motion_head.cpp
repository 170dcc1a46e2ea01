#include "la3d/vad/motion_head.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace la3d {

MotionAnomalyHead::MotionAnomalyHead(MotionHeadOptions options) : options_(options) {}

void MotionAnomalyHead::add_frame(const cv::Mat& f) {
  cv::Mat grey, small;
  cv::cvtColor(f, grey, cv::COLOR_BGR2GRAY);
  const double scale = 160.0 / grey.cols;
  cv::resize(grey, small, {}, scale, scale, cv::INTER_AREA);
  if (!prev_.empty()) {
    cv::Mat flow, parts[2], mag, ang;
    cv::calcOpticalFlowFarneback(prev_, small, flow, 0.5, 2, 9, 2, 5, 1.1, 0);
    cv::split(flow, parts);
    cv::cartToPolar(parts[0], parts[1], mag, ang);
    // Speeds in pixels of a 160-px-wide frame per frame.
    std::vector<float> m(mag.begin<float>(), mag.end<float>());
    const double mean = cv::mean(mag)[0];
    std::nth_element(m.begin(), m.begin() + long(m.size() * 95 / 100), m.end());
    const double p95 = m[m.size() * 95 / 100];
    const cv::Mat moving = mag > 0.5;
    const double share = double(cv::countNonZero(moving)) / double(mag.total());
    // Direction scatter: 1 - |mean unit vector| over moving pixels (0 = one direction).
    double cx = 0, cy = 0;
    int n = 0;
    for (int y = 0; y < mag.rows; ++y)
      for (int x = 0; x < mag.cols; ++x)
        if (moving.at<uchar>(y, x)) {
          cx += std::cos(ang.at<float>(y, x));
          cy += std::sin(ang.at<float>(y, x));
          ++n;
        }
    const double scatter = n ? 1.0 - std::hypot(cx, cy) / n : 0.0;
    const Stats s{mean, p95, share, scatter * share};
    for (int k = 0; k < kStats; ++k) sum_[size_t(k)] += s[size_t(k)];
    ++pairs_;
  }
  prev_ = small;
}

float MotionAnomalyHead::score_snippet(const std::vector<cv::Mat>& frames) {
  for (const cv::Mat& f : frames) add_frame(f);
  return end_snippet();
}

float MotionAnomalyHead::end_snippet() {
  Stats s = sum_;
  for (double& v : s) v /= std::max(pairs_, 1);
  sum_ = {};
  pairs_ = 0;
  prev_.release();
  float score = 0.f;
  if (warm()) {
    double z = 0;
    for (int k = 0; k < kStats; ++k) {
      const double sd = std::max(std::sqrt(var_[size_t(k)]),
                                 options_.min_std_fraction * std::fabs(mean_[size_t(k)]) + 1e-6);
      z = std::max(z, (s[size_t(k)] - mean_[size_t(k)]) / sd);
    }
    score = float(1.0 / (1.0 + std::exp(-(z - 3.0))));
  }
  // Only what looks normal teaches the model, so a long anomaly does not become the norm.
  if (score < options_.threshold) {
    const double w = warm() ? options_.adapt : 1.0 / (seen_ + 1);
    for (int k = 0; k < kStats; ++k) {
      const double d = s[size_t(k)] - mean_[size_t(k)];
      mean_[size_t(k)] += w * d;
      var_[size_t(k)] = (1 - w) * (var_[size_t(k)] + w * d * d);
    }
    ++seen_;
  }
  return score;
}

}  // namespace la3d
