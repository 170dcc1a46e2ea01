#include "mqtt_args.hpp"

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "la3d/io/io.hpp"
#ifdef LA3D_WITH_MQTT
#include "la3d/server/mqtt.hpp"
#endif

namespace la3d::cli {

void add_mqtt_options(CLI::App& cmd, MqttArgs& a) {
  cmd.add_option(
      "--mqtt", a.url,
      "publish events, scores and status to mqtt://HOST[:PORT]/PREFIX (mqtts:// for TLS) "
      "as PREFIX/NAME/{event,score,status}");
  cmd.add_option("--camera-name", a.camera,
                 "the camera's name in MQTT topics and the RTSP path (default: the source's file "
                 "name or host)");
  cmd.add_option("--mqtt-user", a.username, "MQTT user name");
  cmd.add_option("--mqtt-password", a.password,
                 "MQTT password (or the LA3D_MQTT_PASSWORD environment variable, kept out of ps)");
  cmd.add_option("--mqtt-cafile", a.ca_file, "mqtts://: the broker's CA certificate (PEM)");
  cmd.add_option("--mqtt-queue", a.queue,
                 "events kept while the broker is away (the oldest are dropped past it, and the "
                 "status says how many)")
      ->check(CLI::Range(size_t(1), size_t(1000000)))
      ->capture_default_str();
}

std::string camera_name_for(const std::string& source) {
  std::string name;
  if (source.rfind("webcam", 0) == 0) {
    name = "webcam" + (source.size() > 7 ? source.substr(7) : std::string("0"));
  } else if (is_live_spec(source)) {
    static const std::regex host(R"(^[a-z0-9+.-]+://(?:[^@/]*@)?([^:/?#]+))", std::regex::icase);
    std::smatch m;
    name = std::regex_search(source, m, host) ? m[1].str() : "stream";
  } else {
    name = std::filesystem::path(source).stem().string();
  }
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  if (name.size() > 64) name.resize(64);
  return name.empty() ? "camera" : name;
}

#ifdef LA3D_WITH_MQTT
namespace {

class Events final : public MqttEvents {
 public:
  Events(std::unique_ptr<MqttPublisher> p, const std::string& camera, const std::string& method,
         const std::string& head, double threshold)
      : publisher_(std::move(p)), events_(*publisher_, camera, method, head, threshold) {}
  void on_score(const SnippetScore& s, double fps) override { events_.on_score(s, fps); }
  void on_frame(const LiveFrameStats& st, double fps) override { events_.on_frame(st, fps); }
  void on_progress(long long frames, double fps) override { events_.on_progress(frames, fps); }
  void on_skipped() override { events_.on_skipped(); }
  void finish(double fps) override { events_.finish(fps); }

 private:
  std::unique_ptr<MqttPublisher> publisher_;  // outlives events_ (declared first)
  CameraEvents events_;
};

}  // namespace

Result<std::unique_ptr<MqttEvents>> open_mqtt(const MqttArgs& a, const std::string& source,
                                              const std::string& method, const std::string& head,
                                              double threshold) {
  if (a.url.empty()) return std::unique_ptr<MqttEvents>();
  MqttOptions o;
  o.url = a.url;
  o.camera = a.camera.empty() ? camera_name_for(source) : a.camera;
  o.username = a.username;
  o.password = a.password;
  if (o.password.empty())
    if (const char* env = std::getenv("LA3D_MQTT_PASSWORD")) o.password = env;
  o.ca_file = a.ca_file;
  o.queue_limit = a.queue;
  auto p = MqttPublisher::open(o);
  if (!p) return p.error();
  return std::unique_ptr<MqttEvents>(
      std::make_unique<Events>(std::move(p.value()), o.camera, method, head, threshold));
}
#else
Result<std::unique_ptr<MqttEvents>> open_mqtt(const MqttArgs& a, const std::string&,
                                              const std::string&, const std::string&, double) {
  if (a.url.empty()) return std::unique_ptr<MqttEvents>();
  return make_error("--mqtt: this la3d was built without MQTT (install libmosquitto-dev, rebuild)");
}
#endif

}  // namespace la3d::cli
