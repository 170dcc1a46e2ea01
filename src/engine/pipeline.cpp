#include "la3d/engine/pipeline.hpp"

#include "la3d/engine/privacy_floor.hpp"

#include <chrono>
#include <optional>
#include <thread>

#include <opencv2/imgproc.hpp>
#include "bounded_queue.hpp"

namespace la3d {
namespace {

Result<std::vector<Detection>> run_detector(Detector& detector, const cv::Mat& frame,
                                            long long index) {
  try {
    return detector.detect(frame, index);
  } catch (const std::exception& e) {
    return make_error(detector.name() + " detector failed: " + e.what());
  }
}

}  // namespace

FramePipeline::FramePipeline(PipelineOptions options, std::unique_ptr<Detector> detector)
    : options_(std::move(options)), detector_(std::move(detector)), anonymizer_(options_.an) {}

namespace {
Status check_floor(const AnParams& an, const MaskOptions& masks, bool allow_weak) {
  if (allow_weak) return Ok{};
  const auto weak = weak_settings(an, masks);
  if (weak.empty()) return Ok{};
  return make_error(weak.front() + ": people would stay recognisable");
}
}  // namespace

Status FramePipeline::check(const PipelineOptions& o, const Detector* detector) {
  if (Status s = validate(o.an); !s) return s;
  if (Status s = validate(o.masks); !s) return s;
  if (Status s = check_floor(o.an, o.masks, o.allow_weak); !s) return s;
  if (o.input_size && (o.input_size->width <= 0 || o.input_size->height <= 0))
    return make_error("input size must be positive");
  if (!detector && o.an.method != Method::NoAn)
    return make_error("a detector is required for this method");
  return Ok{};
}

Status FramePipeline::set_an(const AnParams& params) {
  PipelineOptions next = options_;
  next.an = params;
  if (Status s = check(next, detector_.get()); !s) return s;
  options_ = std::move(next);
  anonymizer_ = Anonymizer(options_.an);
  return Ok{};
}

Status FramePipeline::anonymize_like(cv::Mat& raw, const FrameReport& report,
                                     const AnParams& other) const {
  if (other.method == Method::NoAn) return make_error("a second rendering must anonymize");
  if (Status s = validate(other); !s) return s;
  if (Status s = check_floor(other, options_.masks, options_.allow_weak); !s) return s;
  if (options_.input_size && raw.size() != *options_.input_size) {
    cv::Mat resized;
    cv::resize(raw, resized, *options_.input_size, 0, 0, cv::INTER_LINEAR);
    raw = resized;
  }
  if (report.masked_whole_frame) {
    raw.setTo(options_.an.mask_colour);
    return Ok{};
  }
  try {
    return Anonymizer(other).apply(raw,
                                   make_instances(report.detections, raw.size(), options_.masks));
  } catch (const cv::Exception& e) {  // make_instances
    return make_error(std::string("anonymization failed: ") + e.what());
  }
}

void FramePipeline::start_sequence(double fps) {
  if (detector_) detector_->reset(fps);
}

Result<FrameReport> FramePipeline::process(cv::Mat& frame, long long index) {
  if (options_.input_size && frame.size() != *options_.input_size) {
    cv::Mat resized;
    cv::resize(frame, resized, *options_.input_size, 0, 0, cv::INTER_LINEAR);
    frame = resized;
  }
  FrameReport report;
  if (options_.an.method == Method::NoAn) return report;

  auto t0 = std::chrono::steady_clock::now();
  auto detections = run_detector(*detector_, frame, index);
  report.detect_ms = ms_since(t0);
  if (!detections) {
    if (options_.on_detector_error == OnDetectorError::Fail)
      return make_error("frame " + std::to_string(index) + ": " + detections.error().message);
    // Fail closed: with no trustworthy detections nothing of the frame may be shown.
    frame.setTo(options_.an.mask_colour);
    report.masked_whole_frame = true;
    return report;
  }
  report.detections = std::move(detections.value());

  t0 = std::chrono::steady_clock::now();
  try {
    const auto instances = make_instances(report.detections, frame.size(), options_.masks);
    if (Status s = anonymizer_.apply(frame, instances); !s)
      return make_error("frame " + std::to_string(index) + ": " + s.error().message);
    report.instances = int(instances.size());
  } catch (const cv::Exception& e) {
    return make_error("frame " + std::to_string(index) + ": anonymization failed: " + e.what());
  }
  report.anonymize_ms = ms_since(t0);
  return report;
}

namespace {

// One stage's failure as an error, whatever it threw: a worker thread must never let an exception
// escape (std::terminate) nor die silently.
template <class F>
auto guarded(const char* stage, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(std::string(stage) + " failed: " + e.what());
  } catch (...) {
    return make_error(std::string(stage) + " failed");
  }
}

Result<long long> run_sequential(VideoSource& source, FramePipeline& pipeline,
                                 const FrameConsumer& consume, const std::function<bool()>& stop) {
  cv::Mat frame;
  long long index = 0;
  while (!stop || !stop()) {
    const auto t0 = std::chrono::steady_clock::now();
    auto more = guarded("decoding", [&] { return source.read(frame); });
    if (!more) return more.error();
    if (!more.value()) break;
    const double decode_ms = ms_since(t0);
    auto report = pipeline.process(frame, index);
    if (!report) return report.error();
    report->decode_ms = decode_ms;
    if (Status s = guarded("writing", [&] { return consume(frame, report.value(), index); }); !s)
      return s.error();
    ++index;
  }
  return index;
}

struct Decoded {
  cv::Mat frame;
  double decode_ms = 0;
  std::optional<Error> error;  // the source failed here; nothing follows
};
struct Processed {
  cv::Mat frame;
  FrameReport report;
  long long index = 0;
};

// Decoding, the pipeline and the consumer (encoding) each on a thread, joined by bounded queues:
// frames stay in order (FIFO, one thread per stage) and memory stays bounded. The first error
// closes both queues, which stops the other stages; frames processed before it are still consumed,
// as in the sequential loop.
Result<long long> run_overlapped(VideoSource& source, FramePipeline& pipeline,
                                 const FrameConsumer& consume, const std::function<bool()>& stop,
                                 size_t depth) {
  BoundedQueue<Decoded> decoded(depth);
  BoundedQueue<Processed> processed(depth);
  std::optional<Error> consumer_error;  // written by the writer thread, read after join
  long long consumed = 0;

  std::thread reader([&] {
    for (;;) {
      Decoded d;
      const auto t0 = std::chrono::steady_clock::now();
      auto more = guarded("decoding", [&] { return source.read(d.frame); });
      if (!more) {
        d.error = more.error();
        decoded.push(std::move(d));
        break;
      }
      if (!more.value()) break;
      d.decode_ms = ms_since(t0);
      if (!decoded.push(std::move(d))) break;
    }
    decoded.close();
  });
  std::thread writer([&] {
    while (auto item = processed.pop()) {
      Status s =
          guarded("writing", [&] { return consume(item->frame, item->report, item->index); });
      if (!s) {
        consumer_error = s.error();
        processed.close(true);
        decoded.close(true);
        break;
      }
      ++consumed;
    }
  });

  std::optional<Error> error;
  long long index = 0;
  while (!stop || !stop()) {
    auto d = decoded.pop();
    if (!d) break;
    if (d->error) {
      error = d->error;
      break;
    }
    // Nothing may unwind past the joinable threads below (std::terminate).
    auto report = guarded("processing", [&] { return pipeline.process(d->frame, index); });
    if (!report) {
      error = report.error();
      break;
    }
    report->decode_ms = d->decode_ms;
    if (!processed.push({std::move(d->frame), std::move(report.value()), index})) break;
    ++index;
  }
  decoded.close(true);  // the reader stops at its next frame
  processed.close();    // the writer drains what was processed, then stops
  reader.join();
  writer.join();
  if (consumer_error) return *consumer_error;
  if (error) return *error;
  return consumed;
}

}  // namespace

Result<long long> run_stream(VideoSource& source, FramePipeline& pipeline,
                             const FrameConsumer& consume, const std::function<bool()>& stop,
                             const StreamOptions& options) {
  pipeline.start_sequence(source.fps().value());
  if (options.queue_depth == 0) return run_sequential(source, pipeline, consume, stop);
  return run_overlapped(source, pipeline, consume, stop, options.queue_depth);
}

}  // namespace la3d
