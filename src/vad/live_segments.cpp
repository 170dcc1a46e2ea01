#include "la3d/vad/live_segments.hpp"

#include <algorithm>

namespace la3d {
namespace {

double seconds(long long frame, double fps) {
  return fps > 0 ? frame / fps : 0.0;
}

}  // namespace

std::optional<SegmentChange> LiveSegments::add(const SnippetScore& s, double fps) {
  if (s.alert) {
    if (open_) {
      open_->end_frame = s.last_frame;
      open_->end_s = seconds(s.last_frame + 1, fps);
      open_->peak = std::max(open_->peak, s.score);
      return std::nullopt;
    }
    open_ = Segment{s.first_frame, s.last_frame, seconds(s.first_frame, fps),
                    seconds(s.last_frame + 1, fps), s.score};
    return SegmentChange{SegmentChange::Kind::Start, *open_};
  }
  return finish(fps);
}

std::optional<SegmentChange> LiveSegments::finish(double) {
  if (!open_) return std::nullopt;
  SegmentChange c{SegmentChange::Kind::End, *open_};
  open_.reset();
  return c;
}

}  // namespace la3d
