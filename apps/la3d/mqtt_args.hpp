#pragma once
// The --mqtt options of `la3d serve` and `la3d vad --stream`, and the camera's event publisher
// they open (nothing when --mqtt is not given; an error in a build without libmosquitto).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "la3d/core/result.hpp"
#include "la3d/engine/live_session.hpp"
#include "la3d/vad/vad_scorer.hpp"

namespace la3d::cli {

struct MqttArgs {
  std::string url, camera, username, password, ca_file;
  size_t queue = 1000;
};
void add_mqtt_options(CLI::App& cmd, MqttArgs& args);

// What the command tells the broker; every call is a no-op on a null pointer's owner.
class MqttEvents {
 public:
  virtual ~MqttEvents() = default;
  virtual void on_score(const SnippetScore& score, double fps) = 0;
  virtual void on_frame(const LiveFrameStats& stats, double fps) = 0;
  virtual void on_progress(long long frames, double fps) = 0;
  virtual void on_skipped() = 0;
  virtual void finish(double fps) = 0;
};

// Null when --mqtt was not given. The camera is --camera-name, else named after the source.
Result<std::unique_ptr<MqttEvents>> open_mqtt(const MqttArgs& args, const std::string& source,
                                              const std::string& method, const std::string& head,
                                              double threshold);

// A topic-safe name for a source: a file's stem, a URL's host, webcam0.
std::string camera_name_for(const std::string& source);

}  // namespace la3d::cli
