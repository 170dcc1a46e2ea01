#pragma once
// The live dashboard's shared state and HTTP server. The pipeline thread publishes anonymized JPEG
// frames, per-stage costs and VAD scores; HTTP threads read them. Only anonymized frames ever enter
// this state, so no route can send a raw frame.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/core/result.hpp"
#include "la3d/engine/live_session.hpp"

namespace la3d {

struct FrameStats {
  double decode_ms = 0, detect_ms = 0, anonymize_ms = 0, jpeg_ms = 0;
  double wait_ms = 0;    // waiting for this camera's turn (several cameras)
  int detect_every = 0;  // the detector runs on every K-th frame (0: no tracker)
  int people = 0;
  long long index = 0;
};

struct ScorePoint {
  long long snippet = 0, frame = 0;
  float score = 0;
};

struct AnomalyEvent {
  int id = 0;
  long long snippet = 0, frame = 0;
  double time_s = 0;      // in the source
  std::string wall_time;  // ISO 8601, UTC
  float peak = 0;
  std::string thumbnail_jpeg;  // anonymized, 160 px wide
};

class DashboardState {
 public:
  // `camera` names it in every reply and under /cam/NAME/ (one rule: validate_camera_name).
  DashboardState(std::string source, std::string vad, double threshold, AnParams an,
                 std::string camera = "camera");
  const std::string& camera() const { return camera_; }
  // What the camera's session is doing: "running", "ended", "failed" or "retrying", and why.
  void set_health(std::string state, std::string message = "");

  // Pipeline side.
  void publish_frame(std::string jpeg, const FrameStats& stats, double source_fps);
  void add_score(const ScorePoint& p, const std::string& thumbnail_jpeg, double source_fps);
  // A configuration the HTTP side validated, taken by the pipeline between frames.
  std::optional<AnParams> take_config();
  void set_active(const AnParams& an);
  // The side-by-side view: the method to render beside the main one (none when off), and its
  // newest frame, anonymized by the pipeline from the same detections.
  std::optional<Method> compare_method() const;
  void publish_compare(std::string jpeg);
  std::optional<std::string> compare_frame() const;

  // HTTP side. Waits up to `timeout` for a frame newer than `after`; false on timeout or stop.
  // The frame is shared, not copied: many viewers cost the publisher nothing under the lock.
  bool wait_frame(uint64_t after, std::chrono::milliseconds timeout,
                  std::shared_ptr<const std::string>& jpeg, uint64_t& seq);
  // Validates {"method", "an_scale", "an_bound", "compare"} (each optional; "compare" is a method
  // or null) and queues it; the error names the field. no-an is refused: the dashboard never shows
  // un-anonymized frames.
  Result<nlohmann::json> request_config(const nlohmann::json& body);
  nlohmann::json status() const;
  nlohmann::json events() const;
  std::optional<std::string> event_thumbnail(int id) const;
  nlohmann::json scores(size_t max_points) const;
  std::string metrics() const;
  // Prometheus text for several cameras: each metric once, a sample per camera (label camera).
  static std::string metrics_of(const std::vector<const DashboardState*>& cameras);
  // A short line for a grid of cameras: name, health, fps, people, latest score, events.
  nlohmann::json summary() const;
  // Counts a new stream viewer unless `max_viewers` are already watching.
  bool try_join_viewer(int max_viewers);
  void viewer_left(uint64_t frames_skipped);
  void stop();

 private:
  nlohmann::json config_json(const AnParams& an) const;

  mutable std::mutex m_;
  std::condition_variable frame_cv_;
  bool stopped_ = false;
  struct Sample {
    std::string name, type, help, labels;
    double value;
  };
  std::vector<Sample> samples() const;
  std::string source_, vad_, camera_;
  std::string health_ = "running", health_message_;
  double threshold_;
  AnParams active_;
  std::optional<AnParams> pending_;
  std::optional<Method> compare_;
  std::string compare_jpeg_;
  std::shared_ptr<const std::string> jpeg_;
  uint64_t seq_ = 0;
  FrameStats last_;
  std::deque<double> frame_times_;  // steady-clock seconds of recent frames, for fps
  double source_fps_ = 0;
  std::deque<ScorePoint> scores_;
  std::deque<AnomalyEvent> events_;
  int next_event_id_ = 1;
  bool in_alert_ = false;
  long long events_total_ = 0, frames_total_ = 0, people_total_ = 0;
  int viewers_ = 0;
  uint64_t skipped_total_ = 0;
};

// A live session's output into the dashboard's state: frames and thumbnails as JPEG, the
// dashboard's controls back into the engine.
class DashboardSink : public LiveSink {
 public:
  DashboardSink(DashboardState& state, int jpeg_quality = 80);
  Status frame(const cv::Mat& anonymized, const LiveFrameStats& stats, double fps) override;
  void score(const SnippetScore& score, long long index, const cv::Mat& frame, double fps) override;
  std::optional<AnParams> take_config() override { return state_.take_config(); }
  void config_applied(const AnParams& params) override { state_.set_active(params); }
  std::optional<Method> compare_method() override { return state_.compare_method(); }
  void compare(const cv::Mat& anonymized) override;

 private:
  DashboardState& state_;
  int quality_;
};

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;    // 0 = any free port
  std::string token;  // required for any bind other than loopback
  // Host header values served besides the bind address, loopback names and, for a wildcard bind,
  // this machine's own names and addresses: a page on another origin that reaches the server by
  // DNS rebinding sends its own name and is refused.
  std::vector<std::string> allowed_hosts;
  size_t max_body = 4096;  // request bodies, chunked or not
  int max_viewers = 32;
};
// Refuses a non-loopback bind without a token, and a token shorter than 16 characters.
Status validate(const ServerOptions& options);

class DashboardServer {
 public:
  DashboardServer(DashboardState& state, ServerOptions options);
  // Several cameras (at least one, names unique): each at /cam/NAME/..., the first also at /.
  DashboardServer(std::vector<DashboardState*> cameras, ServerOptions options);
  ~DashboardServer();
  // Binds and serves on a background thread; returns once listening (or failing to).
  Status start();
  int port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace la3d
