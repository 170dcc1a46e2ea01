#include "engine_args.hpp"

#include <iostream>
#include <opencv2/core/utility.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/detect/tracker.hpp"
#include "la3d/engine/privacy_floor.hpp"
#include "la3d/models/models.hpp"

namespace la3d::cli {
namespace {

Result<cv::Size> parse_size(const std::vector<int>& v, const char* what) {
  if (v.size() != 2 || v[0] <= 0 || v[1] <= 0 || v[0] > 16384 || v[1] > 16384)
    return make_error(std::string(what) + " must be two positive integers W H (at most 16384)");
  return cv::Size(v[0], v[1]);
}

}  // namespace

void add_engine_options(CLI::App& app, EngineArgs& a, bool weak_allowed,
                        const std::string& threshold_aliases) {
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
  app.add_option(threshold_aliases + "--detect-threshold", a.threshold,
                 "detection confidence threshold (-odt)")
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
  app.add_option("--inference", a.inference,
                 "CNN forward passes: auto (oneDNN where built in and the model allows, else "
                 "OpenCV's dnn) or opencv")
      ->check(CLI::IsMember({"auto", "opencv"}))
      ->capture_default_str();
  app.add_option("--threads", a.threads,
                 "worker threads for OpenCV (0 = all cores; at most the number of cores)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
}

Result<EngineOptions> engine_options(const EngineArgs& a) {
  EngineOptions e;
  PipelineOptions& o = e.pipeline;
  o.an = a.an;
  auto method = parse_method(a.method);
  if (!method) return method.error();
  o.an.method = method.value();
  auto scaler = parse_scaler(a.scaler);
  if (!scaler) return scaler.error();
  o.an.scaler = scaler.value();
  auto reference = parse_size_text(a.strength_reference, "--strength-reference");
  if (!reference) return reference.error();
  o.an.strength_reference = reference.value();
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
  e.detect.detect_size = dsize.value();
  // -ods is also the network input size for YOLO: a dynamic export is imported at that size, a
  // fixed one must already have it.
  if (a.detect_size_given) e.network_size = dsize.value();
  e.detect.threshold = a.threshold;
  auto classes = parse_classes(a.classes);
  if (!classes) return classes.error();
  e.detect.classes = classes.value();
  auto inference = parse_inference(a.inference);
  if (!inference) return inference.error();
  e.detect.inference = inference.value();
  o.masks.box_shape = a.box_shape == "ellipse" ? BoxShape::Ellipse : BoxShape::Box;
  e.segment = a.box_shape == "segment";
  o.masks.scale = a.mask_scale;
  o.masks.dilate_px = a.mask_dilate;
  o.on_detector_error =
      a.on_detector_error == "mask-frame" ? OnDetectorError::MaskFrame : OnDetectorError::Fail;
  o.allow_weak = a.allow_weak;
  e.detector = a.detector;
  e.detections_file = a.detections_file;
  e.hold = a.hold;
  auto every = parse_detect_every(a.detect_every);
  if (!every) return every.error();
  e.detect_every = every.value();
  auto camera = parse_camera(a.camera);
  if (!camera) return camera.error();
  e.camera = camera.value();
  e.motion_guard = a.motion_guard;
  e.guard.min_area = a.motion_min_area;
  e.tiles = a.tiles;
  e.threads = a.threads;
  return e;
}

void warn_weak(const std::vector<std::string>& weak) {
  for (const std::string& w : weak)
    std::cerr << "la3d: warning: " << w << " (--allow-weak): people may stay recognisable\n";
}

}  // namespace la3d::cli
