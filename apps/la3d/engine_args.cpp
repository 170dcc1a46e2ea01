#include "engine_args.hpp"

#include <iostream>
#include <opencv2/core/utility.hpp>

#include "la3d/coco.hpp"
#include "la3d/detections_file.hpp"
#include "la3d/models.hpp"
#include "la3d/privacy_floor.hpp"
#include "la3d/tracker.hpp"

namespace la3d::cli {
namespace {

// "#RRGGBB", or "RRGGBB": CLI11's config reader takes '#' for a comment even inside quotes, so
// --print-config writes the colour without it.
Result<cv::Scalar> parse_colour(const std::string& given) {
  const std::string s = given.size() == 6 ? "#" + given : given;
  if (s.size() != 7 || s[0] != '#' ||
      s.find_first_not_of("0123456789abcdefABCDEF", 1) != std::string::npos)
    return make_error("colour must be #RRGGBB, got '" + given + "'");
  const int r = std::stoi(s.substr(1, 2), nullptr, 16), g = std::stoi(s.substr(3, 2), nullptr, 16),
            b = std::stoi(s.substr(5, 2), nullptr, 16);
  return cv::Scalar(b, g, r);
}

}  // namespace

std::string strength_reference_name(cv::Size reference) {
  if (reference.empty()) return "none";
  return std::to_string(reference.width) + "x" + std::to_string(reference.height);
}

namespace {

Result<cv::Size> parse_size(const std::vector<int>& v, const char* what) {
  if (v.size() != 2 || v[0] <= 0 || v[1] <= 0 || v[0] > 16384 || v[1] > 16384)
    return make_error(std::string(what) + " must be two positive integers W H (at most 16384)");
  return cv::Size(v[0], v[1]);
}

// An embedded model, or an error saying how to install it.
Result<InstalledModel> needed_model(const std::string& name) {
  auto m = installed_model(default_cache_dir(), name);
  if (!m) return make_error("the " + name + " model is needed: " + m.error().message);
  return m;
}
Result<std::string> installed_model_path(const std::string& name) {
  auto m = needed_model(name);
  if (!m) return m.error();
  return m->onnx.string();
}

// The detector for the COCO classes in `d`, as --detector names it.
Result<std::unique_ptr<Detector>> make_object_detector(const EngineArgs& a,
                                                       const DetectOptions& d) {
  if (a.detector == "hog") {
    if (d.classes != std::set<int>{1})
      return make_error("the hog detector finds only 'person'; use --detections for other classes");
    return make_hog_detector(d);
  }
  if (a.detector.rfind("yolo:", 0) == 0)
    // -ods is the network input size for YOLO: a dynamic export is imported at that size, a
    // fixed one must already have it.
    return make_yolo_detector(a.detector.substr(5),
                              a.detect_size_given ? d.detect_size : cv::Size(), d);
  if (a.detector == "nanodet") {
    auto m = needed_model(a.detector);
    if (!m) return m.error();
    const auto& s = m->input_shape;  // NCHW
    if (s.size() != 4) return make_error("the installed nanodet model has no NCHW input");
    return make_nanodet_detector(m->onnx.string(), d, cv::Size(int(s[3]), int(s[2])));
  }
  if (a.detector == "centernet") {
    auto onnx = installed_model_path(a.detector);
    if (!onnx) return onnx.error();
    return make_centernet_detector(onnx.value(), d);
  }
  return make_error("unknown detector '" + a.detector +
                    "' (available: nanodet, centernet, hog, yolo:PATH.onnx)");
}

// Detections file, or the object detector, or BlazeFace for faces, or both at once.
Result<std::unique_ptr<Detector>> make_detector(const EngineArgs& a, DetectOptions d) {
  if (!a.detections_file.empty()) return open_detections_file(a.detections_file, d);
  const bool faces = d.classes.erase(kFaceClassId) > 0;
  std::vector<std::unique_ptr<Detector>> parts;
  if (!d.classes.empty()) {
    auto det = make_object_detector(a, d);
    if (!det) return det.error();
    parts.push_back(std::move(det.value()));
  }
  if (faces) {
    auto onnx = installed_model_path("blazeface-back");
    if (!onnx) return onnx.error();
    DetectOptions f = d;
    f.classes = {kFaceClassId};
    auto det = make_blazeface_detector(onnx.value(), f);
    if (!det) return det.error();
    parts.push_back(std::move(det.value()));
  }
  if (parts.size() == 1) return std::move(parts.front());
  return make_union_detector(std::move(parts));
}

}  // namespace

void add_engine_options(CLI::App& app, EngineArgs& a, const std::string& threshold_flag,
                        bool weak_allowed) {
  if (weak_allowed)
    app.add_flag("--allow-weak", a.allow_weak,
                 "run settings below the privacy floor (README 'Safety'); warns on every run");
  app.add_option("-m,--method", a.method, "AN method (see `la3d methods`)")->capture_default_str();
  app.add_option("--input-size", a.input_size, "resize frames to exactly W H first (-is)")
      ->expected(2);
  app.add_option("--detect-size", a.detect_size,
                 "detection size W H (-ods): frame width for hog, input size of a dynamic yolo "
                 "export; nanodet and centernet use their own")
      ->each([&a](const std::string&) { a.detect_size_given = true; })
      ->expected(2)
      ->capture_default_str();
  app.add_option(threshold_flag, a.threshold, "detection confidence threshold (-odt)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("-c,--classes", a.classes, "COCO class names to hide (-odc)")
      ->expected(1, -1)
      ->capture_default_str();
  app.add_option("--detector", a.detector,
                 "detector: nanodet, centernet, hog, or yolo:PATH.onnx (Ultralytics export)")
      ->capture_default_str();
  app.add_option("--detections", a.detections_file, "use detections from this JSON Lines file");
  app.add_option("--hold", a.hold,
                 "keep masking a lost person for N frames (default 5; 0 with --detections)");
  app.add_option("--detect-every", a.detect_every,
                 "run the detector on every K-th frame and track in between; auto: every frame "
                 "while within 0.2 s of video, at most every 3rd (10 fps: 2, 25-30 fps: 3)")
      ->capture_default_str();
  app.add_option("--camera", a.camera,
                 "fixed: also hide whatever moves where no person was detected (motion guard; the "
                 "default, except with --detections); moving: detector and tracking only")
      ->check(CLI::IsMember({"fixed", "moving"}));
  app.add_option(
         "--tiles", a.tiles,
         "also detect on an N x N grid of overlapping tiles: small people found, (N*N+1)x the cost")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  app.add_flag("--motion-guard", a.motion_guard,
               "the motion guard of --camera fixed, also with --detections (~4 ms/frame at "
               "768x576)");
  app.add_option("--motion-min-area", a.motion_min_area,
                 "smallest moving region the guard hides, as a fraction of the frame")
      ->capture_default_str();
  app.add_option("--mask", a.box_shape,
                 "mask of box-only detections: box, ellipse, or segment (person silhouettes from "
                 "the selfie model)")
      ->check(CLI::IsMember({"box", "ellipse", "segment"}))
      ->capture_default_str();
  app.add_option("--mask-scale", a.mask_scale, "grow boxes about their centre by this factor")
      ->capture_default_str();
  app.add_option("--mask-dilate", a.mask_dilate, "dilate masks by this many pixels")
      ->capture_default_str();
  app.add_option("--an-scale", a.an.an_scale, "adaptive mask-scale factor a_m (-anr)")
      ->capture_default_str();
  app.add_option("--an-bound", a.an.an_bound, "adaptive dimension bound a_d (-anl)")
      ->capture_default_str();
  app.add_option("--scaler", a.scaler,
                 "adaptive scaler: ln, linear, linear_norm, quadratic_norm, exp_norm")
      ->capture_default_str();
  app.add_option("--blur-kernel", a.an.blur_kernel, "base Gaussian kernel k0")
      ->capture_default_str();
  app.add_option("--blur-sigma", a.an.blur_sigma, "base Gaussian sigma")->capture_default_str();
  app.add_option("--block", a.an.pixel_block, "base pixelation block")->capture_default_str();
  app.add_option("--strength-reference", a.strength_reference,
                 "frame size the base strengths are meant for (WxH): larger frames get "
                 "proportionally stronger kernels and blocks; none = LA3D's pixels at any size")
      ->capture_default_str();
  app.add_option("--canny-low", a.an.canny_low, "Canny low threshold (edge)")
      ->capture_default_str();
  app.add_option("--canny-high", a.an.canny_high, "Canny high threshold (edge)")
      ->capture_default_str();
  app.add_option("--colour,--color", a.mask_colour, "mask colour #RRGGBB")->capture_default_str();
  app.add_option("--alpha", a.an.mask_alpha, "mask opacity in [0, 1]")->capture_default_str();
  app.add_option("--on-detector-error", a.on_detector_error,
                 "when detection fails on a frame: fail, or mask-frame (cover the whole frame)")
      ->check(CLI::IsMember({"fail", "mask-frame"}))
      ->capture_default_str();
  app.add_option("--threads", a.threads,
                 "worker threads for OpenCV (0 = all cores; at most the number of cores)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
}

Result<Engine> build_engine(const EngineArgs& a) {
  Engine e;
  PipelineOptions& o = e.options;
  o.an = a.an;
  auto method = parse_method(a.method);
  if (!method) return method.error();
  o.an.method = method.value();
  auto scaler = parse_scaler(a.scaler);
  if (!scaler) return scaler.error();
  o.an.scaler = scaler.value();
  if (a.strength_reference == "none") {
    o.an.strength_reference = cv::Size();
  } else {
    int w = 0, h = 0;
    char x = 0, rest = 0;
    if (std::sscanf(a.strength_reference.c_str(), "%d%c%d%c", &w, &x, &h, &rest) != 3 || x != 'x' ||
        w <= 0 || h <= 0 || w > 16384 || h > 16384)
      return make_error("--strength-reference must be WxH (e.g. 320x240) or none, not '" +
                        a.strength_reference + "'");
    o.an.strength_reference = cv::Size(w, h);
  }
  auto colour = parse_colour(a.mask_colour);
  if (!colour) return colour.error();
  o.an.mask_colour = colour.value();
  if (!a.input_size.empty()) {
    auto s = parse_size(a.input_size, "input size (-is)");
    if (!s) return s.error();
    o.input_size = s.value();
  }
  auto dsize = parse_size(a.detect_size, "detection size (-ods)");
  if (!dsize) return dsize.error();
  o.masks.box_shape = a.box_shape == "ellipse" ? BoxShape::Ellipse : BoxShape::Box;
  o.masks.scale = a.mask_scale;
  o.masks.dilate_px = a.mask_dilate;
  o.on_detector_error =
      a.on_detector_error == "mask-frame" ? OnDetectorError::MaskFrame : OnDetectorError::Fail;

  // Everything the user typed is checked before a model is loaded, so that a typo is reported as
  // such even where a model is missing.
  if (Status s = validate(o.an); !s) return s.error();
  if (Status s = validate(o.masks); !s) return s.error();
  TrackingOptions t;
  t.hold = a.hold >= 0 ? a.hold : (a.detections_file.empty() ? 5 : 0);
  if (a.detect_every == "auto") {
    // Skipping frames saves detector time; a detections file costs nothing per frame.
    t.detect_every = a.detections_file.empty() ? 0 : 1;
  } else {
    try {
      size_t used = 0;
      t.detect_every = std::stoi(a.detect_every, &used);
      if (used != a.detect_every.size() || t.detect_every < 1)
        throw std::invalid_argument(a.detect_every);
    } catch (const std::exception&) {
      return make_error("--detect-every must be auto or a whole number from 1, got '" +
                        a.detect_every + "'");
    }
  }
  if (Status s = validate(t); !s) return s.error();
  if (a.motion_guard && a.camera == "moving")
    return make_error("--motion-guard is for fixed cameras; --camera moving turns it off");
  MotionGuardOptions guard;
  guard.min_area = a.motion_min_area;
  guard.hold = std::max(t.hold, 1);
  if (Status s = validate(guard); !s) return s.error();

  DetectOptions d;
  d.detect_size = dsize.value();
  d.threshold = a.threshold;
  d.classes.clear();
  for (const std::string& name : a.classes) {
    const auto c = class_by_name(name);
    if (!c)
      return make_error("unknown class '" + name +
                        "' (COCO names, e.g. person, 'cell phone', laptop, tv; or face)");
    d.classes.insert(c->id);
  }
  // The privacy floor, before any model loads: every weak setting is named at once.
  if (o.an.method != Method::NoAn) {
    e.weak = weak_settings(o.an, o.masks);
    for (std::string& w : weak_settings(d)) e.weak.push_back(std::move(w));
  }
  if (!e.weak.empty() && !a.allow_weak) {
    std::string all;
    for (const std::string& w : e.weak) all += (all.empty() ? "" : "; ") + w;
    return make_error(all + ": people would stay recognisable (--allow-weak runs it anyway)");
  }
  o.allow_weak = a.allow_weak;
  if (o.an.method != Method::NoAn) {
    auto det = make_detector(a, d);
    if (!det) return det.error();
    e.detector = std::move(det.value());
  }
  if (e.detector && a.tiles > 1 && a.detections_file.empty())
    e.detector = make_tiled_detector(std::move(e.detector), a.tiles);
  if (e.detector && a.box_shape == "segment") {
    auto onnx = installed_model_path("selfie");
    if (!onnx) return onnx.error();
    auto seg = make_selfie_segmenter(std::move(e.detector), onnx.value());
    if (!seg) return seg.error();
    e.detector = std::move(seg.value());
  }
  if (e.detector && (t.hold > 0 || t.detect_every != 1))
    e.detector = std::make_unique<TrackingDetector>(std::move(e.detector), t);
  // Outermost, so that it runs on every frame, also those --detect-every skips.
  // A fixed camera is the common case and the safe one: what moves where nobody was detected is
  // hidden too (README "Fast by default" measures it). A --detections file is taken as given
  // unless the guard is asked for.
  const bool guarded =
      a.motion_guard || a.camera == "fixed" || (a.camera.empty() && a.detections_file.empty());
  if (e.detector && guarded) e.detector = make_motion_guard(std::move(e.detector), guard);
  if (Status s = FramePipeline::check(o, e.detector.get()); !s) return s.error();
  // Debian's OpenCV runs on TBB, which prints its own warning (on stderr, outside la3d's one-line
  // contract) when asked for more workers than cores, and would not use them anyway.
  if (a.threads > 0) cv::setNumThreads(std::min(a.threads, cv::getNumberOfCPUs()));
  return e;
}

void warn_weak(const Engine& e) {
  for (const std::string& w : e.weak)
    std::cerr << "la3d: warning: " << w << " (--allow-weak): people may stay recognisable\n";
}

}  // namespace la3d::cli
