#pragma once
// A live session: one source (camera, URL, or a file played as a camera) through the engine and
// the streaming VAD scorer, frame by frame, handing only anonymized frames to a sink. `la3d serve`
// and any other live front-end (multi-camera server, RTSP, MQTT) reuse it.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "la3d/core/fair_turns.hpp"
#include "la3d/engine/engine.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d {

struct LiveOptions {
  std::string source;       // webcam[:N], a video file or a URL (VideoSource::open)
  bool loop_files = true;   // a file plays again from the start when it ends
  bool pace_files = true;   // a file is played at its own frame rate, as a camera would send it
  double default_fps = 25;  // for sources that do not say their rate
  // Shared by sessions on one machine: each frame's engine and VAD work is done in a turn, so
  // that with more sources than cores each source gets its share, round robin. Null: no turns.
  std::shared_ptr<FairTurns> turns;
  // Frames per second the session tries to hold (0: no target). When the engine's work per frame
  // exceeds 1/target, the detector runs on fewer frames (tracking in between), never fewer than
  // auto_detect_every of the source's rate allows; with time to spare, on more again.
  double target_fps = 0;
};

struct LiveFrameStats {
  long long index = 0;  // counts over the whole session, across loops of a file
  double decode_ms = 0, detect_ms = 0, anonymize_ms = 0;
  double wait_ms = 0;  // waiting for the turn (LiveOptions::turns)
  int people = 0;
  int detect_every = 0;  // the detector's current K (0: no tracker)
};

// Receives a live session's output on the session's thread. Every frame it is given is
// anonymized; a frame whose anonymization failed is reported through skipped() instead.
class LiveSink {
 public:
  virtual ~LiveSink() = default;
  // The anonymized frame. An error stops the session.
  virtual Status frame(const cv::Mat& anonymized, const LiveFrameStats& stats, double fps) = 0;
  // A frame was not anonymized and is dropped (fail closed); the session goes on.
  virtual void skipped(long long /*index*/, const Error& /*why*/) {}
  // A snippet completed with this streaming score; `frame` is the anonymized frame that completed
  // it.
  virtual void score(const SnippetScore& /*score*/, long long /*index*/, const cv::Mat& /*frame*/,
                     double /*fps*/) {}
  // Between frames: new AN parameters for the engine (e.g. a dashboard's controls), and whether
  // they were accepted.
  virtual std::optional<AnParams> take_config() { return std::nullopt; }
  virtual void config_applied(const AnParams& /*params*/) {}
  // A second rendering of the same frame with another method, from the same detections.
  virtual std::optional<Method> compare_method() { return std::nullopt; }
  virtual void compare(const cv::Mat& /*anonymized*/) {}
};

class LiveSession {
 public:
  // Opens the source. `scorer` may be null (no VAD).
  static Result<std::unique_ptr<LiveSession>> open(const LiveOptions& options, Engine engine,
                                                   std::unique_ptr<StreamingScorer> scorer);
  ~LiveSession();
  std::string source_description() const;
  std::string scorer_name() const;  // empty without VAD
  const AnParams& an() const;

  // Runs until the source ends (a file with loop_files off), `stop` returns true (checked before
  // each frame), or an error; returns the frames handed to the sink.
  Result<long long> run(LiveSink& sink, const std::function<bool()>& stop);

 private:
  LiveSession();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace la3d
