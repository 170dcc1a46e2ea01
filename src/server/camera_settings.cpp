#include "la3d/server/camera_config.hpp"

namespace la3d {

Status apply_camera_settings(const CameraSettings& c, EngineOptions& engine,
                             ScorerOptions& scorer) {
  if (c.method) engine.pipeline.an.method = *c.method;
  if (c.an_scale) engine.pipeline.an.an_scale = *c.an_scale;
  if (c.an_bound) engine.pipeline.an.an_bound = *c.an_bound;
  if (c.detector) engine.detector = *c.detector;
  if (c.detect_threshold) engine.detect.threshold = *c.detect_threshold;
  if (c.detect_every) {
    auto k = parse_detect_every(*c.detect_every);
    if (!k) return k.error();
    engine.detect_every = k.value();
  }
  if (c.head) scorer.head = *c.head;
  if (c.alert_threshold) scorer.alert_threshold = *c.alert_threshold;
  return Ok{};
}

}  // namespace la3d
