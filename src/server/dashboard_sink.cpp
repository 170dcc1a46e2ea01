// Feeds the dashboard's state from a live session: JPEG-encodes what the session hands on.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/core/stats.hpp"
#include "la3d/server/dashboard.hpp"

namespace la3d {
namespace {

std::string jpeg_of(const cv::Mat& frame, int quality) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", frame, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(buf.begin(), buf.end());
}

}  // namespace

DashboardSink::DashboardSink(DashboardState& state, int jpeg_quality)
    : state_(state), quality_(std::clamp(jpeg_quality, 10, 100)) {}

Status DashboardSink::frame(const cv::Mat& anonymized, const LiveFrameStats& s, double fps) {
  FrameStats stats;
  stats.index = s.index;
  stats.decode_ms = s.decode_ms;
  stats.detect_ms = s.detect_ms;
  stats.anonymize_ms = s.anonymize_ms;
  stats.people = s.people;
  stats.detect_every = s.detect_every;
  stats.wait_ms = s.wait_ms;
  const auto t0 = std::chrono::steady_clock::now();
  std::string jpeg = jpeg_of(anonymized, quality_);
  stats.jpeg_ms = ms_since(t0);
  state_.publish_frame(std::move(jpeg), stats, fps);
  return Ok{};
}

void DashboardSink::score(const SnippetScore& score, long long index, const cv::Mat& frame,
                          double fps) {
  cv::Mat thumb;
  cv::resize(frame, thumb, {160, std::max(1, frame.rows * 160 / std::max(1, frame.cols))});
  state_.add_score({score.snippet, index, score.score}, jpeg_of(thumb, 80), fps);
}

void DashboardSink::compare(const cv::Mat& anonymized) {
  state_.publish_compare(jpeg_of(anonymized, quality_));
}

}  // namespace la3d
