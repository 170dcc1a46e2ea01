#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "la3d/server/mqtt.hpp"

namespace la3d {
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

}  // namespace

CameraEvents::CameraEvents(MqttPublisher& mqtt, std::string camera, std::string method,
                           std::string head, double threshold)
    : mqtt_(mqtt),
      camera_(std::move(camera)),
      method_(std::move(method)),
      head_(std::move(head)),
      threshold_(threshold) {
  publish_status(0);
}

void CameraEvents::on_score(const SnippetScore& s, double fps) {
  mqtt_.score({{"camera", camera_},
               {"snippet", s.snippet},
               {"start_frame", s.first_frame},
               {"end_frame", s.last_frame},
               {"score", s.score},
               {"alert", s.alert}});
  if (auto change = segments_.add(s, fps)) {
    const Segment& g = change->segment;
    nlohmann::json e{{"camera", camera_},       {"start_frame", g.start_frame},
                     {"start_s", g.start_s},    {"peak", g.peak},
                     {"method", method_},       {"head", head_},
                     {"threshold", threshold_}, {"time", utc_now()}};
    if (change->kind == SegmentChange::Kind::Start) {
      e["type"] = "start";
      ++events_;
    } else {
      e["type"] = "end";
      e["end_frame"] = g.end_frame;
      e["end_s"] = g.end_s;
    }
    mqtt_.event(e);
  }
}

void CameraEvents::on_frame(const LiveFrameStats& stats, double fps) {
  ++frames_;
  people_ += stats.people;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_status_ >= std::chrono::seconds(1)) publish_status(fps);
}

void CameraEvents::on_progress(long long frames, double fps) {
  frames_ = frames;
  if (std::chrono::steady_clock::now() - last_status_ >= std::chrono::seconds(1))
    publish_status(fps);
}

void CameraEvents::on_skipped() {
  ++skipped_;
}

void CameraEvents::finish(double fps) {
  if (auto change = segments_.finish(fps)) {
    const Segment& g = change->segment;
    mqtt_.event({{"camera", camera_},
                 {"type", "end"},
                 {"start_frame", g.start_frame},
                 {"start_s", g.start_s},
                 {"end_frame", g.end_frame},
                 {"end_s", g.end_s},
                 {"peak", g.peak},
                 {"method", method_},
                 {"head", head_},
                 {"threshold", threshold_},
                 {"time", utc_now()}});
  }
  publish_status(fps);
}

void CameraEvents::publish_status(double fps) {
  last_status_ = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(last_status_ - started_).count();
  const MqttCounters c = mqtt_.counters();
  mqtt_.status({{"camera", camera_},
                {"state", "online"},
                {"health", skipped_ == 0 && c.events_dropped == 0 ? "ok" : "degraded"},
                {"method", method_},
                {"head", head_},
                {"source_fps", fps},
                {"fps", elapsed > 0 ? frames_ / elapsed : 0.0},
                {"frames", frames_},
                {"frames_skipped", skipped_},
                {"people_hidden", people_},
                {"events", events_},
                {"events_waiting", c.events_waiting},
                {"events_dropped", c.events_dropped},
                {"time", utc_now()}});
}

}  // namespace la3d
