#include "la3d/detect/tracker.hpp"

#include <algorithm>
#include <cmath>

namespace la3d {
namespace {

cv::Point2d centre(const cv::Rect& r) {
  return {r.x + r.width / 2.0, r.y + r.height / 2.0};
}

// Smoothing of the measured velocity: new measurements count for this much.
constexpr double kVelocityGain = 0.5;

}  // namespace

Status validate(const TrackingOptions& o) {
  if (o.hold < 0 || o.hold > 10000) return make_error("--hold must be in [0, 10000] frames");
  if (o.detect_every < 0 || o.detect_every > 1000)
    return make_error("--detect-every must be auto or in [1, 1000]");
  if (!(o.match_iou > 0 && o.match_iou <= 1)) return make_error("match IoU must be in (0, 1]");
  return Ok{};
}

double iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  const double uni = double(a.area()) + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

int auto_detect_every(double fps) {
  if (!(fps > 0)) return 1;
  return std::clamp(int(std::floor(fps * kAutoDetectGapS + 1e-9)), 1, kAutoDetectMax);
}

TrackingDetector::TrackingDetector(std::unique_ptr<Detector> inner, TrackingOptions options)
    : inner_(std::move(inner)),
      options_(options),
      every_(options.detect_every > 0 ? options.detect_every : 1) {}

std::string TrackingDetector::name() const {
  return inner_->name() + "+tracking";
}

// Frames a track outlives its last detection: the hold, and never less than the frames skipped by
// --detect-every, which must not count against it.
long long TrackingDetector::kept_frames() const {
  return std::max<long long>(options_.hold, every_ - 1);
}

void TrackingDetector::reset(double fps) {
  tracks_.clear();
  last_detection_ = -1;
  every_ = options_.detect_every > 0 ? options_.detect_every : auto_detect_every(fps);
  inner_->reset(fps);
}

bool TrackingDetector::set_detect_every(int k) {
  if (k < 1 || k > 1000) return false;
  every_ = k;
  return true;
}

Result<std::vector<Detection>> TrackingDetector::detect(const cv::Mat& frame, long long index) {
  // Counted from the last detection, not from frame 0: a sequence may start at any index (the
  // images of a folder), and its first frame must always be detected.
  if (last_detection_ >= 0 && index > last_detection_ && index - last_detection_ < every_)
    return predict_all(index, frame.size());
  auto found = inner_->detect(frame, index);
  if (!found) return found;
  last_detection_ = index;
  std::vector<Detection> out = std::move(found.value());
  update(out, index);
  // Tracks not seen in this frame are still shown, where they are expected to be now.
  for (const Detection& held : predict_all(index, frame.size())) {
    const bool covered = std::any_of(
        out.begin(), out.end(), [&](const Detection& d) { return (d.box & held.box) == held.box; });
    if (!covered) out.push_back(held);
  }
  return out;
}

void TrackingDetector::update(std::vector<Detection>& detections, long long index) {
  // Greedy matching, best IoU first: few people per frame, so O(tracks x detections) is cheap.
  struct Pair {
    double iou;
    size_t track, det;
  };
  std::vector<Pair> pairs;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    const long long dt = index - tracks_[t].last_seen;
    const cv::Point2d shift = tracks_[t].velocity * double(dt);
    const cv::Rect predicted =
        tracks_[t].last.box + cv::Point(int(std::lround(shift.x)), int(std::lround(shift.y)));
    for (size_t d = 0; d < detections.size(); ++d)
      if (detections[d].label == tracks_[t].last.label)
        if (const double v = iou(predicted, detections[d].box); v >= options_.match_iou)
          pairs.push_back({v, t, d});
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
  std::vector<bool> track_used(tracks_.size()), det_used(detections.size());
  for (const Pair& p : pairs) {
    if (track_used[p.track] || det_used[p.det]) continue;
    track_used[p.track] = det_used[p.det] = true;
    Track& tr = tracks_[p.track];
    const double dt = double(index - tr.last_seen);
    if (dt > 0) {
      const cv::Point2d measured = (centre(detections[p.det].box) - centre(tr.last.box)) / dt;
      // The first measurement is taken as it is: smoothing it with the unknown (zero) start would
      // halve the speed of everyone who just appeared.
      tr.velocity =
          tr.has_velocity ? tr.velocity * (1 - kVelocityGain) + measured * kVelocityGain : measured;
      tr.has_velocity = true;
    }
    tr.last = detections[p.det];
    tr.last_seen = index;
  }
  for (size_t d = 0; d < detections.size(); ++d)
    if (!det_used[d]) tracks_.push_back({detections[d], {0, 0}, false, index});
  // A track is dropped once it has been unseen longer than the hold; skipped frames
  // (--detect-every) never count against it.
  std::erase_if(tracks_, [&](const Track& t) { return index - t.last_seen > kept_frames(); });
}

std::vector<Detection> TrackingDetector::predict_all(long long index, cv::Size frame) const {
  std::vector<Detection> out;
  const cv::Rect frame_rect({0, 0}, frame);
  for (const Track& t : tracks_) {
    const long long dt = index - t.last_seen;
    if (dt <= 0 || dt > kept_frames()) continue;
    // Uncertainty grows outwards: a held box only ever covers more than the person did. It grows
    // with the box's larger side (a person's height), since a walker moves a few percent of their
    // height per frame whatever their width.
    const cv::Rect& b = t.last.box;
    const double pad = std::max(b.width, b.height) *
                       std::min(options_.max_grow, options_.grow_per_frame * double(dt));
    const cv::Point2d c = centre(b) + t.velocity * double(dt);
    const double w = b.width + 2 * pad, h = b.height + 2 * pad;
    const cv::Rect moved(int(std::floor(c.x - w / 2)), int(std::floor(c.y - h / 2)),
                         int(std::ceil(w)), int(std::ceil(h)));
    const cv::Rect clipped = moved & frame_rect;
    if (clipped.empty()) continue;
    // Held as a box: an instance mask from another frame would no longer fit the person.
    out.push_back(Detection{t.last.label, t.last.coco_id, t.last.score, clipped, {}});
  }
  return out;
}

}  // namespace la3d
