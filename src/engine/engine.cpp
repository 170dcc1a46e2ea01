// Assembles the engine from EngineOptions: the one place that decides how detector, tiles,
// segmentation, tracking and the motion guard stack, and which settings are refused.
#include "la3d/engine/engine.hpp"

#include <opencv2/core/utility.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/detect/tracker.hpp"
#include "la3d/engine/privacy_floor.hpp"

namespace la3d {
namespace {

// An embedded model's ONNX file, or an error saying how to install it.
Result<InstalledModel> needed_model(const EngineOptions& o, const std::string& name) {
  auto m = installed_model(o.model_dir, name);
  if (!m) return make_error("the " + name + " model is needed: " + m.error().message);
  return m;
}
Result<std::string> model_path(const EngineOptions& o, const std::string& name) {
  auto m = needed_model(o, name);
  if (!m) return m.error();
  return m->onnx.string();
}

// The detector for the COCO classes in `d`, as `o.detector` names it.
Result<std::unique_ptr<Detector>> make_object_detector(const EngineOptions& o,
                                                       const DetectOptions& d) {
  if (o.detector == "hog") {
    if (d.classes != std::set<int>{1})
      return make_error("the hog detector finds only 'person'; use --detections for other classes");
    return make_hog_detector(d);
  }
  if (o.detector.rfind("yolo:", 0) == 0)
    return make_yolo_detector(o.detector.substr(5), o.network_size, d);
  if (o.detector == "nanodet") {
    auto m = needed_model(o, o.detector);
    if (!m) return m.error();
    const auto& s = m->input_shape;  // NCHW
    if (s.size() != 4) return make_error("the installed nanodet model has no NCHW input");
    return make_nanodet_detector(m->onnx.string(), d, cv::Size(int(s[3]), int(s[2])));
  }
  if (o.detector == "centernet") {
    auto onnx = model_path(o, o.detector);
    if (!onnx) return onnx.error();
    return make_centernet_detector(onnx.value(), d);
  }
  return make_error("unknown detector '" + o.detector +
                    "' (available: nanodet, centernet, hog, yolo:PATH.onnx)");
}

// Detections file, or the object detector, or BlazeFace for faces, or both at once.
Result<std::unique_ptr<Detector>> make_detector_unguarded(const EngineOptions& o) {
  DetectOptions d = o.detect;
  if (!o.detections_file.empty()) return open_detections_file(o.detections_file, d);
  const bool faces = d.classes.erase(kFaceClassId) > 0;
  std::vector<std::unique_ptr<Detector>> parts;
  if (!d.classes.empty()) {
    auto det = make_object_detector(o, d);
    if (!det) return det.error();
    parts.push_back(std::move(det.value()));
  }
  if (faces) {
    auto onnx = model_path(o, "blazeface-back");
    if (!onnx) return onnx.error();
    DetectOptions f = d;
    f.classes = {kFaceClassId};
    auto det = make_blazeface_detector(onnx.value(), f);
    if (!det) return det.error();
    parts.push_back(std::move(det.value()));
  }
  if (parts.empty()) return make_error("no classes to hide: name at least one");
  if (parts.size() == 1) return std::move(parts.front());
  return make_union_detector(std::move(parts));
}

Status check_ranges(const EngineOptions& o) {
  if (o.tiles < 1 || o.tiles > 8)
    return make_error("tiles must be from 1 to 8, got " + std::to_string(o.tiles));
  if (o.threads < 0 || o.threads > 256)
    return make_error("threads must be from 0 to 256, got " + std::to_string(o.threads));
  if (o.detect_every < 0)
    return make_error("detect-every must be auto (0) or a whole number from 1, got " +
                      std::to_string(o.detect_every));
  if (!(o.detect.threshold >= 0 && o.detect.threshold <= 1))
    return make_error("detection threshold must be in [0, 1]");
  if (o.detect.detect_size.width <= 0 || o.detect.detect_size.height <= 0)
    return make_error("detection size must be positive");
  if (o.pipeline.input_size &&
      (o.pipeline.input_size->width <= 0 || o.pipeline.input_size->height <= 0))
    return make_error("input size must be positive");
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<Detector>> make_detector(const EngineOptions& o) {
  return guarded("make_detector", [&]() -> Result<std::unique_ptr<Detector>> {
    if (!(o.detect.threshold >= 0 && o.detect.threshold <= 1))
      return make_error("detection threshold must be in [0, 1]");
    return make_detector_unguarded(o);
  });
}

const EngineOptions& engine_defaults() {
  static const EngineOptions defaults;
  return defaults;
}

FramePipeline Engine::pipeline() && {
  return FramePipeline(options, std::move(detector));
}

Result<Engine> build_engine(const EngineOptions& o) {
  return build_engine(o, nullptr);
}

Result<Engine> build_engine(const EngineOptions& o, std::unique_ptr<Detector> given) {
  return guarded("build_engine", [&]() -> Result<Engine> {
    Engine e;
    e.options = o.pipeline;
    if (Status s = check_ranges(o); !s) return s.error();
    if (Status s = validate(e.options.an); !s) return s.error();
    if (Status s = validate(e.options.masks); !s) return s.error();
    const bool from_file = !o.detections_file.empty() || given;
    TrackingOptions t;
    t.hold = o.hold >= 0 ? o.hold : (from_file ? 0 : 5);
    // Skipping frames saves detector time; a detections file costs nothing per frame.
    t.detect_every = o.detect_every > 0 ? o.detect_every : (from_file ? 1 : 0);
    if (Status s = validate(t); !s) return s.error();
    if (o.motion_guard && o.camera == Camera::Moving)
      return make_error("--motion-guard is for fixed cameras; --camera moving turns it off");
    MotionGuardOptions guard = o.guard;
    guard.hold = std::max(t.hold, 1);
    if (Status s = validate(guard); !s) return s.error();

    // The privacy floor, before any model loads: every weak setting is named at once.
    const bool anonymizes = e.options.an.method != Method::NoAn;
    if (anonymizes) {
      e.weak = weak_settings(e.options.an, e.options.masks);
      for (std::string& w : weak_settings(o.detect)) e.weak.push_back(std::move(w));
    }
    if (!e.weak.empty() && !e.options.allow_weak) {
      std::string all;
      for (const std::string& w : e.weak) all += (all.empty() ? "" : "; ") + w;
      return make_error(all + ": people would stay recognisable (--allow-weak runs it anyway)");
    }
    // Before any model loads: oneDNN fixes a network's thread count when it builds it. Debian's
    // OpenCV runs on TBB, which prints its own warning (on stderr, outside la3d's one-line
    // contract) when asked for more workers than cores, and would not use them anyway.
    if (o.threads > 0) cv::setNumThreads(std::min(o.threads, cv::getNumberOfCPUs()));
    if (anonymizes && given) {
      e.detector = std::move(given);
    } else if (anonymizes) {
      auto det = make_detector_unguarded(o);
      if (!det) return det.error();
      e.detector = std::move(det.value());
    }
    if (e.detector && o.tiles > 1 && !from_file)
      e.detector = make_tiled_detector(std::move(e.detector), o.tiles);
    if (e.detector && o.segment) {
      auto onnx = model_path(o, "selfie");
      if (!onnx) return onnx.error();
      auto seg = make_selfie_segmenter(std::move(e.detector), onnx.value());
      if (!seg) return seg.error();
      e.detector = std::move(seg.value());
    }
    if (e.detector && (t.hold > 0 || t.detect_every != 1))
      e.detector = std::make_unique<TrackingDetector>(std::move(e.detector), t);
    // Outermost, so that it runs on every frame, also those detect_every skips. A fixed camera is
    // the common case and the safe one (README "Fast by default" measures it); a detections file is
    // taken as given unless the guard is asked for.
    const bool guarded =
        o.motion_guard || o.camera == Camera::Fixed || (o.camera == Camera::Auto && !from_file);
    if (e.detector && guarded) e.detector = make_motion_guard(std::move(e.detector), guard);
    if (Status s = FramePipeline::check(e.options, e.detector.get()); !s) return s.error();
    return e;
  });
}

Status require_anonymization(const EngineOptions& o, const std::string& what) {
  if (o.pipeline.an.method == Method::NoAn)
    return make_error(what + " handles only anonymized frames: choose a method other than no-an");
  return Ok{};
}

Result<cv::Scalar> parse_colour(const std::string& given) {
  // CLI11's config reader takes '#' for a comment even inside quotes, so --print-config writes
  // the colour without it.
  const std::string s = given.size() == 6 ? "#" + given : given;
  if (s.size() != 7 || s[0] != '#' ||
      s.find_first_not_of("0123456789abcdefABCDEF", 1) != std::string::npos)
    return make_error("colour must be #RRGGBB, got '" + given + "'");
  const int r = std::stoi(s.substr(1, 2), nullptr, 16), g = std::stoi(s.substr(3, 2), nullptr, 16),
            b = std::stoi(s.substr(5, 2), nullptr, 16);
  return cv::Scalar(b, g, r);
}

std::string colour_name(const cv::Scalar& bgr) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02X%02X%02X", int(bgr[2]) & 255, int(bgr[1]) & 255,
                int(bgr[0]) & 255);
  return buf;
}

Result<cv::Size> parse_size_text(const std::string& text, const std::string& what) {
  if (text == "none") return cv::Size();
  int w = 0, h = 0;
  char x = 0, rest = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &rest) != 3 || x != 'x' || w <= 0 ||
      h <= 0 || w > 16384 || h > 16384)
    return make_error(what + " must be WxH (e.g. 320x240) or none, not '" + text + "'");
  return cv::Size(w, h);
}

std::string size_name(cv::Size s) {
  if (s.empty()) return "none";
  return std::to_string(s.width) + "x" + std::to_string(s.height);
}

Result<std::set<int>> parse_classes(const std::vector<std::string>& names) {
  std::set<int> ids;
  for (const std::string& name : names) {
    const auto c = class_by_name(name);
    if (!c)
      return make_error("unknown class '" + name +
                        "' (COCO names, e.g. person, 'cell phone', laptop, tv; or face)");
    ids.insert(c->id);
  }
  return ids;
}

Result<int> parse_detect_every(const std::string& text) {
  if (text == "auto") return 0;
  try {
    size_t used = 0;
    const int k = std::stoi(text, &used);
    if (used == text.size() && k >= 1) return k;
  } catch (const std::exception&) {
  }
  return make_error("--detect-every must be auto or a whole number from 1, got '" + text + "'");
}

Result<Camera> parse_camera(const std::string& text) {
  if (text.empty() || text == "auto") return Camera::Auto;
  if (text == "fixed") return Camera::Fixed;
  if (text == "moving") return Camera::Moving;
  return make_error("camera must be fixed or moving, got '" + text + "'");
}

Result<Inference> parse_inference(const std::string& text) {
  if (text == "auto") return Inference::automatic;
  if (text == "opencv") return Inference::opencv;
  return make_error("inference must be auto or opencv, got '" + text + "'");
}

}  // namespace la3d
