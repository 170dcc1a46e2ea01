#include "la3d/vad/vad_pipeline.hpp"

#include "la3d/core/stats.hpp"

#include <chrono>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace la3d {
namespace {

// One frame as the encoder preparation wants it: RGB, 340x256 by Pillow's Lanczos.
cv::Mat encoder_frame(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return pil_lanczos_resize(rgb, {340, 256});
}

// Encodes one snippet and appends (crops, D) features plus magnitudes to `out` (N grows by one).
// `resize_ms` is what the snippet's frames took to resize, counted into its preparation time.
Status encode_snippet(VideoEncoder& encoder, const std::vector<cv::Mat>& resized, int crops,
                      double resize_ms, NpyArray& out, VadTimes& times) {
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> clips = snippet_crops(resized, crops, encoder.kind());
  times.prepare_ms.push_back(resize_ms + ms_since(t0));
  t0 = std::chrono::steady_clock::now();
  auto f = encoder.encode(clips, crops);
  if (!f) return f.error();
  times.encode_ms.push_back(ms_since(t0));
  const int64_t d = encoder_dim(encoder.kind());
  if (out.shape.empty()) out.shape = {0, crops, d + 1};
  for (int c = 0; c < crops; ++c) {
    const float* v = f->data() + size_t(c) * size_t(d);
    double sq = 0;
    for (int64_t k = 0; k < d; ++k) sq += double(v[k]) * double(v[k]);
    out.data.insert(out.data.end(), v, v + d);
    out.data.push_back(float(std::sqrt(sq)));  // float64, then float32, as LA3D
  }
  ++out.shape[0];
  return Ok{};
}

}  // namespace

struct SnippetScorer::Impl {
  std::unique_ptr<VideoEncoder> encoder;
  std::unique_ptr<VadHead> head;
  std::unique_ptr<MotionAnomalyHead> motion;
  std::vector<cv::Mat> pending;  // frames of the snippet being filled
  double pending_ms = 0;         // their resize time (motion head: their flow time)
  int motion_frames = 0;         // frames of the motion head's current snippet
  NpyArray features;
  std::vector<float> motion_scores;
  VadTimes times;
};

SnippetScorer::SnippetScorer() : impl_(std::make_unique<Impl>()) {}
SnippetScorer::~SnippetScorer() = default;

Result<std::unique_ptr<SnippetScorer>> SnippetScorer::learned(std::unique_ptr<VideoEncoder> encoder,
                                                              std::unique_ptr<VadHead> head) {
  if (encoder_dim(encoder->kind()) != head->config().feature_dim())
    return make_error(head->config().name() + " takes " +
                      std::to_string(head->config().feature_dim()) + "-d features, the " +
                      encoder_name(encoder->kind()) + " encoder gives " +
                      std::to_string(encoder_dim(encoder->kind())));
  std::unique_ptr<SnippetScorer> s(new SnippetScorer());
  s->impl_->encoder = std::move(encoder);
  s->impl_->head = std::move(head);
  return s;
}

std::unique_ptr<SnippetScorer> SnippetScorer::motion(MotionHeadOptions options) {
  std::unique_ptr<SnippetScorer> s(new SnippetScorer());
  s->impl_->motion = std::make_unique<MotionAnomalyHead>(options);
  return s;
}

std::string SnippetScorer::name() const {
  if (impl_->motion) return "motion (training-free)";
  return impl_->head->config().name() + " on " + encoder_name(impl_->encoder->kind());
}

Status SnippetScorer::add_frame(const cv::Mat& bgr) {
  Impl& m = *impl_;
  if (m.motion) {
    // The flow is measured frame by frame; the snippet's head time is the sum.
    const auto t0 = std::chrono::steady_clock::now();
    m.motion->add_frame(bgr);
    if (++m.motion_frames == kSnippetFrames) {
      m.motion_scores.push_back(m.motion->end_snippet());
      m.motion_frames = 0;
    }
    m.pending_ms += ms_since(t0);
    if (m.motion_frames == 0) {
      m.times.head_ms.push_back(m.pending_ms);
      m.pending_ms = 0;
    }
    return Ok{};
  }
  const auto t0 = std::chrono::steady_clock::now();
  m.pending.push_back(encoder_frame(bgr));
  m.pending_ms += ms_since(t0);
  if (m.pending.size() < size_t(kSnippetFrames)) return Ok{};
  Status s = encode_snippet(*m.encoder, m.pending, m.head->config().crops(), m.pending_ms,
                            m.features, m.times);
  m.pending.clear();
  m.pending_ms = 0;
  return s;
}

long long SnippetScorer::snippets() const {
  return impl_->motion                   ? (long long)impl_->motion_scores.size()
         : impl_->features.shape.empty() ? 0
                                         : impl_->features.shape[0];
}

Result<std::vector<float>> SnippetScorer::score_all() {
  Impl& m = *impl_;
  if (m.motion) return m.motion_scores;
  if (snippets() == 0) return make_error("no complete 16-frame snippet to score");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = m.head->score(m.features);
  if (!r) return r.error();
  m.times.head_ms.push_back(ms_since(t0));
  return r->snippet;
}

Result<float> SnippetScorer::score_latest(int window) {
  Impl& m = *impl_;
  if (snippets() == 0) return make_error("no complete 16-frame snippet to score");
  if (m.motion) return m.motion_scores.back();
  const int64_t n = m.features.shape[0], take = std::min<int64_t>(n, std::max(window, 1));
  const int64_t row = m.features.shape[1] * m.features.shape[2];
  NpyArray recent{{take, m.features.shape[1], m.features.shape[2]},
                  std::vector<float>(m.features.data.end() - take * row, m.features.data.end())};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = m.head->score(recent);
  if (!r) return r.error();
  m.times.head_ms.push_back(ms_since(t0));
  return r->snippet.back();
}

const NpyArray& SnippetScorer::features() const {
  return impl_->features;
}
const VadTimes& SnippetScorer::times() const {
  return impl_->times;
}

FeatureExtractor::FeatureExtractor(std::unique_ptr<VideoEncoder> encoder, int crops)
    : encoder_(std::move(encoder)), crops_(crops) {}

Status FeatureExtractor::add_frame(const cv::Mat& bgr) {
  const auto t0 = std::chrono::steady_clock::now();
  pending_.push_back(encoder_frame(bgr));
  pending_ms_ += ms_since(t0);
  if (pending_.size() < size_t(kSnippetFrames)) return Ok{};
  Status s = encode_snippet(*encoder_, pending_, crops_, pending_ms_, features_, times_);
  pending_ms_ = 0;
  pending_.clear();
  return s;
}

}  // namespace la3d
