#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "la3d/engine/pipeline.hpp"
#include "la3d/engine/privacy_floor.hpp"
#include "la3d/server/dashboard.hpp"

namespace la3d {
namespace {

constexpr size_t kMaxScores = 600, kMaxEvents = 100;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A method the dashboard may show: any but no-an, which would show people.
Result<Method> shown_method(const nlohmann::json& value, const std::string& field) {
  if (!value.is_string()) return make_error(field + " must be a method name");
  auto m = parse_method(value.get<std::string>());
  if (!m) return m.error();
  if (m.value() == Method::NoAn)
    return make_error(field +
                      " no-an is not available here: the dashboard shows only anonymized frames");
  return m.value();
}

}  // namespace

DashboardState::DashboardState(std::string source, std::string vad, double threshold, AnParams an,
                               std::string camera)
    : source_(std::move(source)),
      vad_(std::move(vad)),
      camera_(std::move(camera)),
      threshold_(threshold),
      active_(an) {}

void DashboardState::set_health(std::string state, std::string message) {
  std::lock_guard lock(m_);
  health_ = std::move(state);
  health_message_ = std::move(message);
}

void DashboardState::publish_frame(std::string jpeg, const FrameStats& stats, double source_fps) {
  {
    std::lock_guard lock(m_);
    jpeg_ = std::make_shared<const std::string>(std::move(jpeg));
    ++seq_;
    last_ = stats;
    source_fps_ = source_fps;
    ++frames_total_;
    people_total_ += stats.people;
    frame_times_.push_back(now_s());
    while (frame_times_.size() > 60) frame_times_.pop_front();
  }
  frame_cv_.notify_all();
}

void DashboardState::add_score(const ScorePoint& p, const std::string& thumb, double fps) {
  std::lock_guard lock(m_);
  scores_.push_back(p);
  while (scores_.size() > kMaxScores) scores_.pop_front();
  const bool alert = p.score >= threshold_;
  if (alert && !in_alert_) {
    AnomalyEvent e;
    e.id = next_event_id_++;
    e.snippet = p.snippet;
    e.frame = p.frame;
    e.time_s = fps > 0 ? p.frame / fps : 0;
    e.wall_time = iso_now();
    e.peak = p.score;
    e.thumbnail_jpeg = thumb;
    events_.push_back(std::move(e));
    ++events_total_;
    while (events_.size() > kMaxEvents) events_.pop_front();
  } else if (alert && !events_.empty()) {
    events_.back().peak = std::max(events_.back().peak, p.score);
  }
  in_alert_ = alert;
}

std::optional<AnParams> DashboardState::take_config() {
  std::lock_guard lock(m_);
  auto p = pending_;
  pending_.reset();
  return p;
}

void DashboardState::set_active(const AnParams& an) {
  std::lock_guard lock(m_);
  active_ = an;
}

bool DashboardState::wait_frame(uint64_t after, std::chrono::milliseconds timeout,
                                std::shared_ptr<const std::string>& jpeg, uint64_t& seq) {
  std::unique_lock lock(m_);
  if (!frame_cv_.wait_for(lock, timeout, [&] { return stopped_ || seq_ > after; })) return false;
  if (stopped_) return false;
  jpeg = jpeg_;
  seq = seq_;
  return true;
}

Result<nlohmann::json> DashboardState::request_config(const nlohmann::json& body) {
  if (!body.is_object()) return make_error("the body must be a JSON object");
  std::lock_guard lock(m_);
  AnParams next = pending_.value_or(active_);
  std::optional<Method> compare = compare_;
  std::optional<double> threshold;
  for (const auto& [key, value] : body.items()) {
    if (key == "threshold") {
      // The alert threshold: what counts as an anomaly event. It changes no pixel.
      if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1))
        return make_error("threshold must be a number in [0, 1]");
      threshold = value.get<double>();
    } else if (key == "compare") {
      if (value.is_null()) {
        compare.reset();
        continue;
      }
      auto m = shown_method(value, key);
      if (!m) return m.error();
      compare = m.value();
    } else if (key == "method") {
      auto m = shown_method(value, key);
      if (!m) return m.error();
      next.method = m.value();
    } else if (key == "an_scale" || key == "an_bound") {
      if (!value.is_number()) return make_error(key + " must be a number");
      const double v = value.get<double>();
      if (key == "an_scale") {
        if (!(v > 0 && v <= 10)) return make_error("an_scale must be in (0, 10]");
        next.an_scale = v;
      } else {
        if (!(v > 0 && v <= 1)) return make_error("an_bound must be in (0, 1]");
        next.an_bound = v;
      }
    } else {
      return make_error("unknown setting '" + key +
                        "' (method, an_scale, an_bound, compare, threshold)");
    }
  }
  if (Status s = validate(next); !s) return s.error();
  // The privacy floor holds for what the dashboard shows, the side-by-side view included; no
  // request can lower it (there is no --allow-weak here).
  for (const std::optional<Method>& m : {std::optional<Method>(next.method), compare}) {
    if (!m) continue;
    AnParams shown = next;
    shown.method = *m;
    if (const auto weak = weak_settings(shown, MaskOptions{}); !weak.empty())
      return make_error(weak.front() + ": refused, people would stay recognisable");
  }
  pending_ = next;
  if (compare != compare_) compare_jpeg_.clear();
  compare_ = compare;
  if (threshold) threshold_ = *threshold;
  nlohmann::json out = config_json(next);
  out["threshold"] = threshold_;
  out["compare"] = compare ? nlohmann::json(std::string(method_name(*compare))) : nlohmann::json();
  return out;
}

std::optional<Method> DashboardState::compare_method() const {
  std::lock_guard lock(m_);
  return compare_;
}

void DashboardState::publish_compare(std::string jpeg) {
  std::lock_guard lock(m_);
  if (compare_) compare_jpeg_ = std::move(jpeg);
}

std::optional<std::string> DashboardState::compare_frame() const {
  std::lock_guard lock(m_);
  if (!compare_ || compare_jpeg_.empty()) return std::nullopt;
  return compare_jpeg_;
}

nlohmann::json DashboardState::config_json(const AnParams& an) const {
  return {{"method", std::string(method_name(an.method))},
          {"an_scale", an.an_scale},
          {"an_bound", an.an_bound}};
}

nlohmann::json DashboardState::status() const {
  std::lock_guard lock(m_);
  double fps = 0;
  if (frame_times_.size() > 1)
    fps = (frame_times_.size() - 1) / std::max(1e-9, frame_times_.back() - frame_times_.front());
  nlohmann::json vad{
      {"head", vad_}, {"threshold", threshold_}, {"state", vad_.empty() ? "off" : "on"}};
  if (!scores_.empty()) {
    vad["latest_score"] = scores_.back().score;
    vad["alert"] = scores_.back().score >= threshold_;
  }
  nlohmann::json config = config_json(active_);
  config["compare"] =
      compare_ ? nlohmann::json(std::string(method_name(*compare_))) : nlohmann::json();
  return {{"camera", camera_},
          {"source", source_},
          {"health", {{"state", health_}, {"message", health_message_}}},
          {"config", config},
          {"fps", fps},
          {"source_fps", source_fps_},
          {"frames", frames_total_},
          {"frame_index", last_.index},
          {"people_hidden", last_.people},
          {"detect_every", last_.detect_every},
          {"turn_wait_ms", last_.wait_ms},
          {"stages_ms",
           {{"decode", last_.decode_ms},
            {"detect", last_.detect_ms},
            {"anonymize", last_.anonymize_ms},
            {"jpeg", last_.jpeg_ms}}},
          // The order of the pipeline, for showing the stages as they run.
          {"stage_order", {"decode", "detect", "anonymize", "jpeg"}},
          {"viewers", viewers_},
          {"vad", vad},
          {"events", events_total_}};
}

nlohmann::json DashboardState::events() const {
  std::lock_guard lock(m_);
  nlohmann::json out = nlohmann::json::array();
  for (auto it = events_.rbegin(); it != events_.rend(); ++it)
    out.push_back(
        {{"id", it->id},
         {"camera", camera_},
         {"snippet", it->snippet},
         {"frame", it->frame},
         {"time_s", it->time_s},
         {"wall_time", it->wall_time},
         {"peak", it->peak},
         {"thumbnail", fmt::format("/cam/{}/api/events/{}/thumbnail.jpg", camera_, it->id)}});
  return out;
}

std::optional<std::string> DashboardState::event_thumbnail(int id) const {
  std::lock_guard lock(m_);
  for (const auto& e : events_)
    if (e.id == id) return e.thumbnail_jpeg;
  return std::nullopt;
}

nlohmann::json DashboardState::scores(size_t max_points) const {
  std::lock_guard lock(m_);
  nlohmann::json out = nlohmann::json::array();
  const size_t first = scores_.size() > max_points ? scores_.size() - max_points : 0;
  for (size_t i = first; i < scores_.size(); ++i)
    out.push_back({{"snippet", scores_[i].snippet},
                   {"frame", scores_[i].frame},
                   {"score", scores_[i].score}});
  return {{"threshold", threshold_}, {"fps", source_fps_}, {"points", out}};
}

std::vector<DashboardState::Sample> DashboardState::samples() const {
  const nlohmann::json s = status();
  std::lock_guard lock(m_);
  const std::string cam = fmt::format("camera=\"{}\"", camera_);
  std::vector<Sample> out{{"la3d_frames_total", "counter", "Frames anonymized and published.", cam,
                           double(frames_total_)},
                          {"la3d_people_hidden_total", "counter",
                           "Regions hidden, summed over frames.", cam, double(people_total_)},
                          {"la3d_fps", "gauge", "Frames per second over the last 60 frames.", cam,
                           s["fps"].get<double>()}};
  for (const auto& [k, v] : s["stages_ms"].items())
    out.push_back({"la3d_stage_milliseconds", "gauge", "Cost of each stage on the last frame.",
                   cam + fmt::format(",stage=\"{}\"", k), v.get<double>()});
  out.push_back({"la3d_vad_score", "gauge", "Latest VAD snippet score.", cam,
                 scores_.empty() ? 0.0 : scores_.back().score});
  out.push_back({"la3d_anomaly_events_total", "counter",
                 "Anomaly events (score crossing the threshold).", cam, double(events_total_)});
  out.push_back(
      {"la3d_viewers", "gauge", "Clients watching the MJPEG stream.", cam, double(viewers_)});
  out.push_back({"la3d_viewer_frames_skipped_total", "counter",
                 "Frames a slow viewer skipped (it always gets the newest frame).", cam,
                 double(skipped_total_)});
  out.push_back({"la3d_camera_up", "gauge", "1 while the camera's session runs.", cam,
                 health_ == "running" ? 1.0 : 0.0});
  return out;
}

std::string DashboardState::metrics() const {
  return metrics_of({this});
}

std::string DashboardState::metrics_of(const std::vector<const DashboardState*>& cameras) {
  // Prometheus wants every sample of a metric under its one HELP and TYPE.
  std::vector<std::vector<Sample>> all;
  for (const DashboardState* c : cameras) all.push_back(c->samples());
  std::string out;
  if (all.empty()) return out;
  std::vector<std::string> done;
  for (const Sample& first : all.front()) {
    if (std::find(done.begin(), done.end(), first.name) != done.end()) continue;
    done.push_back(first.name);
    out +=
        fmt::format("# HELP {} {}\n# TYPE {} {}\n", first.name, first.help, first.name, first.type);
    for (const auto& samples : all)
      for (const Sample& x : samples)
        if (x.name == first.name) {
          // Counts print whole (a counter in exponent form loses its last digits).
          const bool whole = x.value == std::floor(x.value) && std::abs(x.value) < 1e15;
          out += whole ? fmt::format("{}{{{}}} {}\n", x.name, x.labels, (long long)x.value)
                       : fmt::format("{}{{{}}} {:.6f}\n", x.name, x.labels, x.value);
        }
  }
  return out;
}

nlohmann::json DashboardState::summary() const {
  const nlohmann::json s = status();
  return {{"camera", s["camera"]},
          {"source", s["source"]},
          {"health", s["health"]},
          {"fps", s["fps"]},
          {"people_hidden", s["people_hidden"]},
          {"vad", s["vad"]},
          {"events", s["events"]},
          {"detect_every", s["detect_every"]},
          {"method", s["config"]["method"]}};
}

bool DashboardState::try_join_viewer(int max_viewers) {
  std::lock_guard lock(m_);
  if (viewers_ >= max_viewers) return false;
  ++viewers_;
  return true;
}
void DashboardState::viewer_left(uint64_t skipped) {
  std::lock_guard lock(m_);
  --viewers_;
  skipped_total_ += skipped;
}

void DashboardState::stop() {
  {
    std::lock_guard lock(m_);
    stopped_ = true;
  }
  frame_cv_.notify_all();
}

}  // namespace la3d
