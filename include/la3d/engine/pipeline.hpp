#pragma once
// The per-frame pipeline: input resize -> detect -> masks -> anonymize. Sources and sinks stay
// outside it, so the same stage chain serves files, cameras, benchmarks and the server.
#include <chrono>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/anonymize/instances.hpp"
#include "la3d/core/result.hpp"
#include "la3d/core/stats.hpp"
#include "la3d/core/types.hpp"
#include "la3d/detect/detector.hpp"
#include "la3d/io/io.hpp"

namespace la3d {

enum class OnDetectorError { Fail, MaskFrame };

struct PipelineOptions {
  std::optional<cv::Size> input_size;  // -is: exactly W x H before anything else
  AnParams an;
  MaskOptions masks;
  OnDetectorError on_detector_error = OnDetectorError::Fail;
  // Settings below the privacy floor (privacy_floor.hpp) are refused unless this is set; a
  // front-end that sets it must say so to the user on every run.
  bool allow_weak = false;
};

struct FrameReport {
  std::vector<Detection> detections;  // what was used, in frame coordinates
  int instances = 0;                  // masks applied
  bool masked_whole_frame = false;    // detector failed and the frame was covered
  double decode_ms = 0, detect_ms = 0, anonymize_ms = 0;
};

class FramePipeline {
 public:
  // `detector` may be null only for no-an.
  FramePipeline(PipelineOptions options, std::unique_ptr<Detector> detector);
  // Ranges, the privacy floor (unless allow_weak) and the detector a method needs.
  static Status check(const PipelineOptions& options, const Detector* detector);

  // A new, unrelated sequence of frames starts (next image or video): trackers forget.
  // `fps`: its frame rate (0 for images or unknown), for rules that depend on time.
  void start_sequence(double fps = 0);
  // Changes the AN method and its parameters between frames (the dashboard's controls). Refused
  // when invalid, or when it would need a detector this pipeline does not have.
  Status set_an(const AnParams& params);
  const AnParams& an() const { return options_.an; }
  // How often the detector runs where a tracker runs it (0: every frame, no tracker), and a new
  // value for the frames to come (false without a tracker).
  int detect_every() const { return detector_ ? detector_->detect_every() : 0; }
  bool set_detect_every(int k) { return detector_ && detector_->set_detect_every(k); }
  // Renders the same frame with other AN parameters, from its raw copy and the report process()
  // gave for it (same people, no second detection): the dashboard's side-by-side view. no-an is
  // refused, and a frame process() covered whole stays covered.
  Status anonymize_like(cv::Mat& raw, const FrameReport& report, const AnParams& other) const;

  // Anonymizes `frame` in place (after resizing it when asked). On error the frame is not usable:
  // the caller must not write it.
  Result<FrameReport> process(cv::Mat& frame, long long frame_index);

 private:
  PipelineOptions options_;
  std::unique_ptr<Detector> detector_;
  Anonymizer anonymizer_;
};

// Receives each frame after the pipeline has anonymized it; an error stops the stream.
using FrameConsumer =
    std::function<Status(const cv::Mat& frame, const FrameReport& report, long long index)>;

struct StreamOptions {
  // Frames in flight between the stages. 0 runs decode -> pipeline -> consumer in the calling
  // thread, one frame at a time (for consumers that must run there, e.g. a GUI preview);
  // otherwise decoding and the consumer get a thread each and overlap with the pipeline.
  size_t queue_depth = 4;
};

// The streaming graph: source -> pipeline -> consumer, frames in order, memory bounded whatever
// the length of the video. Stops at the end of the source or when `stop` returns true (checked
// before each frame, on the calling thread); returns the number of frames handed on. A frame
// whose processing failed is never handed on; the first error of any stage stops them all and is
// returned. The consumer runs on one thread at a time (never concurrently with itself).
Result<long long> run_stream(VideoSource& source, FramePipeline& pipeline,
                             const FrameConsumer& consume, const std::function<bool()>& stop = {},
                             const StreamOptions& options = {});

}  // namespace la3d
