#pragma once
// Anomalous segments as a stream of snippet scores arrives: a segment opens on the first alerting
// snippet and closes on the first one below the threshold (or when the stream ends), the live
// form of anomalous_segments() for event publishers.
#include <optional>

#include "la3d/vad/vad_report.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d {

struct SegmentChange {
  enum class Kind { Start, End } kind = Kind::Start;
  Segment segment;  // Start: start_* and peak so far; End: the whole segment
};

class LiveSegments {
 public:
  // The change this snippet makes, if any. `fps` converts frames to seconds (0: times are 0).
  std::optional<SegmentChange> add(const SnippetScore& score, double fps);
  // Closes an open segment at the end of the stream.
  std::optional<SegmentChange> finish(double fps);
  bool open() const { return open_.has_value(); }

 private:
  std::optional<Segment> open_;
};

}  // namespace la3d
