#include <cmath>
#include <numeric>
#include <opencv2/videoio.hpp>

#include "la3d/io/io.hpp"

namespace la3d {
namespace {

class CaptureSource final : public VideoSource {
 public:
  CaptureSource(cv::VideoCapture cap, SourceKind kind, std::string desc, MediaInfo info,
                std::string audio)
      : cap_(std::move(cap)),
        kind_(kind),
        desc_(std::move(desc)),
        info_(info),
        audio_(std::move(audio)) {}

  Result<bool> read(cv::Mat& frame) override {
    try {
      if (!cap_.read(frame) || frame.empty()) return false;
    } catch (const cv::Exception& e) {
      return make_error("cannot decode a frame of " + desc_ + ": " + e.what());
    }
    if (frame.type() != CV_8UC3)
      return make_error(desc_ + ": decoder gave a frame that is not 8-bit BGR");
    return true;
  }
  SourceKind kind() const override { return kind_; }
  cv::Size size() const override { return info_.size; }
  Rational fps() const override { return info_.fps; }
  long long frame_count() const override { return info_.frame_count; }
  bool frame_count_exact() const override { return info_.frame_count_exact; }
  std::string description() const override { return desc_; }
  std::string audio_url() const override { return audio_; }

 private:
  cv::VideoCapture cap_;
  SourceKind kind_;
  std::string desc_;
  MediaInfo info_;
  std::string audio_;
};

// A camera's rate as OpenCV reports it, as a rational; cameras that say nothing get 30 fps.
Rational rate_from_capture(const cv::VideoCapture& cap) {
  const double fps = cap.get(cv::CAP_PROP_FPS);
  if (!(fps > 0 && fps < 1000)) return {30, 1};
  return {int(std::lround(fps * 1000)), 1000};
}

Result<std::unique_ptr<VideoSource>> open_webcam(const std::string& spec) {
  int index = 0;
  if (spec.size() > 7) {
    const std::string n = spec.substr(7);
    if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos)
      return make_error("bad webcam spec '" + spec + "' (use webcam or webcam:N, N < 10000)");
    index = std::stoi(n);
  }
  cv::VideoCapture cap(index);
  if (!cap.isOpened()) return make_error("cannot open webcam " + std::to_string(index));
  MediaInfo info;
  info.size = {int(cap.get(cv::CAP_PROP_FRAME_WIDTH)), int(cap.get(cv::CAP_PROP_FRAME_HEIGHT))};
  info.fps = rate_from_capture(cap);
  return std::unique_ptr<VideoSource>(
      std::make_unique<CaptureSource>(std::move(cap), SourceKind::Webcam, spec, info, ""));
}

}  // namespace

bool is_live_spec(const std::string& s) {
  return s == "webcam" || s.rfind("webcam:", 0) == 0 || s.find("://") != std::string::npos;
}

Result<std::unique_ptr<VideoSource>> VideoSource::open(const std::string& spec) {
  if (spec == "webcam" || spec.rfind("webcam:", 0) == 0) return open_webcam(spec);
  const bool is_url = spec.find("://") != std::string::npos;
  if (!is_url) {
    std::error_code ec;
    if (!fs::exists(spec, ec)) return make_error("input not found: " + spec);
    if (!fs::is_regular_file(spec, ec)) return make_error("input is not a file: " + spec);
  }
  auto info = probe_media(spec);
  if (!info) return make_error("cannot open video " + spec + ": " + info.error().message);
  cv::VideoCapture cap(spec, cv::CAP_FFMPEG);
  if (!cap.isOpened()) return make_error("cannot decode video " + spec);
  if (info->fps.num <= 0) info->fps = rate_from_capture(cap);
  const SourceKind kind =
      is_url && spec.rfind("file://", 0) != 0 ? SourceKind::Stream : SourceKind::Video;
  if (kind == SourceKind::Stream) info->frame_count = -1;
  return std::unique_ptr<VideoSource>(
      std::make_unique<CaptureSource>(std::move(cap), kind, spec, info.value(),
                                      info->has_audio && kind == SourceKind::Video ? spec : ""));
}

}  // namespace la3d

namespace la3d {
namespace {

// Keeps the frame shown at each tick of the new rate: frames are dropped to go slower, repeated
// to go faster, as the reference's -fps resampling of a video does.
class ResampledSource final : public VideoSource {
 public:
  ResampledSource(std::unique_ptr<VideoSource> inner, Rational fps)
      : inner_(std::move(inner)), fps_(fps), ratio_(inner_->fps().value() / fps.value()) {}

  Result<bool> read(cv::Mat& frame) override {
    const long long wanted = (long long)std::floor(double(emitted_) * ratio_ + 1e-9);
    while (read_ <= wanted) {
      auto more = inner_->read(current_);
      if (!more || !more.value()) return more;
      ++read_;
    }
    current_.copyTo(frame);  // a repeated frame must not share pixels with the one handed out
    ++emitted_;
    return true;
  }
  SourceKind kind() const override { return inner_->kind(); }
  cv::Size size() const override { return inner_->size(); }
  Rational fps() const override { return fps_; }
  long long frame_count() const override {
    const long long n = inner_->frame_count();
    return n < 0 ? n : (long long)std::ceil(double(n) / ratio_ - 1e-9);
  }
  std::string description() const override {
    return inner_->description() + " resampled to " + std::to_string(fps_.value()) + " fps";
  }
  // The audio keeps its own clock; a resampled video keeps the duration, so it still fits.
  std::string audio_url() const override { return inner_->audio_url(); }

 private:
  std::unique_ptr<VideoSource> inner_;
  Rational fps_;
  double ratio_;  // source frames per output frame
  cv::Mat current_;
  long long read_ = 0, emitted_ = 0;
};

}  // namespace

Result<std::unique_ptr<VideoSource>> resample(std::unique_ptr<VideoSource> source, double fps) {
  if (!(fps > 0 && fps <= 1000)) return make_error("--fps must be in (0, 1000]");
  if (source->fps().value() <= 0) return make_error("--fps needs a source with a known frame rate");
  // A rational close to `fps` that encoders accept (whole frames per 1000 s).
  const int num = int(std::lround(fps * 1000)), g = std::gcd(num, 1000);
  const Rational r{num / g, 1000 / g};
  return std::unique_ptr<VideoSource>(std::make_unique<ResampledSource>(std::move(source), r));
}

}  // namespace la3d
