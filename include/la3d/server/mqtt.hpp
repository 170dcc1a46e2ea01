#pragma once
// A camera's events on MQTT (libmosquitto): anomaly segments as they open and close, every
// snippet's score, and a retained status with a last will, under PREFIX/NAME/{event,score,status}.
// Events made while the broker is away are queued (bounded) and sent when it is back.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "la3d/core/result.hpp"
#include "la3d/engine/live_session.hpp"
#include "la3d/vad/live_segments.hpp"

namespace la3d {

struct MqttOptions {
  std::string url;  // mqtt://HOST[:PORT]/PREFIX, or mqtts:// for TLS (port 8883 by default)
  std::string camera = "camera";  // NAME in the topics
  std::string username, password;
  std::filesystem::path ca_file;  // TLS: the broker's CA; empty: the system's CAs
  size_t queue_limit = 1000;      // events kept while the broker is away; the oldest go first
  int keepalive_s = 10;
};

struct MqttTarget {
  std::string host;
  int port = 1883;
  std::string prefix;  // without a trailing '/'; may be empty
  bool tls = false;
};
Result<MqttTarget> parse_mqtt_url(const std::string& url);

struct MqttCounters {
  bool connected = false;
  long long events_sent = 0;                      // handed to the broker (QoS 1)
  long long events_waiting = 0;                   // queued while the broker is away
  long long events_dropped = 0;                   // the queue overflowed: oldest dropped
  long long scores_sent = 0, scores_dropped = 0;  // QoS 0: dropped while away
  long long reconnects = 0;
};

class MqttPublisher {
 public:
  // Starts connecting in the background (and keeps reconnecting, 1 to 30 s apart); an error only
  // for settings that can never work (a bad URL, an unreadable CA file).
  static Result<std::unique_ptr<MqttPublisher>> open(const MqttOptions& options);
  // Publishes the status `offline` (retained), waits up to 2 s for queued events, disconnects.
  ~MqttPublisher();
  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;

  void event(const nlohmann::json& payload);   // PREFIX/NAME/event, QoS 1, queued when away
  void score(const nlohmann::json& payload);   // PREFIX/NAME/score, QoS 0
  void status(const nlohmann::json& payload);  // PREFIX/NAME/status, QoS 1, retained; the newest
                                               // is kept while away and sent on reconnection
  MqttCounters counters() const;
  std::string topic(const std::string& leaf) const;
  // Waits until the broker has acknowledged every queued event (true) or `timeout` passes.
  bool flush(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  explicit MqttPublisher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What a live camera publishes, from the scores and frames of a session or a streaming VAD run:
// segment start/end events, each score, and the status about once a second.
class CameraEvents {
 public:
  CameraEvents(MqttPublisher& mqtt, std::string camera, std::string method, std::string head,
               double threshold);
  void on_score(const SnippetScore& score, double fps);
  void on_frame(const LiveFrameStats& stats, double fps);
  // Where a run without per-frame stats is (la3d vad --stream): frames done so far.
  void on_progress(long long frames, double fps);
  void on_skipped();
  // The stream ended: an open segment closes.
  void finish(double fps);

 private:
  void publish_status(double fps);
  MqttPublisher& mqtt_;
  std::string camera_, method_, head_;
  double threshold_;
  LiveSegments segments_;
  long long frames_ = 0, people_ = 0, skipped_ = 0, events_ = 0;
  std::chrono::steady_clock::time_point last_status_{};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace la3d
