#pragma once
// Detectors: the interface, and factories for every detector la3d ships (ONNX nets, HOG, tiles,
// the motion guard, segmentation).
#include <memory>
#include <opencv2/core.hpp>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/core/types.hpp"

namespace la3d {

// What runs a CNN's forward pass. automatic: oneDNN where this build has it and the model's
// operators are all supported (NanoDet: about 3x faster convolutions), else OpenCV's dnn.
enum class Inference { automatic, opencv };

struct DetectOptions {
  cv::Size detect_size{320, 240};  // -ods: frames are resized to this width (aspect kept) first
  float threshold = 0.25f;         // -odt
  std::set<int> classes{1};        // COCO ids to keep (-odc); person by default
  Inference inference = Inference::automatic;  // --inference
};

// Finds objects in a frame. `frame_index` counts from 0 over the input and lets file-backed
// detectors find their record. Boxes come back in frame coordinates.
class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string name() const = 0;
  virtual Result<std::vector<Detection>> detect(const cv::Mat& frame, long long frame_index) = 0;
  // A new, unrelated sequence starts (next image, next video) at `fps` frames per second (0 for
  // images or when unknown): forget what was seen.
  virtual void reset(double fps) { (void)fps; }
  // Where a tracker runs the detector every K-th frame: K now, and a new K for the frames to come
  // (decorators pass both on). 0 and false where nothing here tracks.
  virtual int detect_every() const { return 0; }
  virtual bool set_detect_every(int k) {
    (void)k;
    return false;
  }
};

// OpenCV's HOG + linear SVM people detector: the temporary embedded default, persons only.
std::unique_ptr<Detector> make_hog_detector(const DetectOptions& options);

// A CNN detector on NanoDet's COCO-80 ONNX model (from `la3d models install`): letterboxed
// into the model's input size (`input`, W x H, as converted; 416x320 installed), GFL decoding
// (softmax over 11 distance bins, integral), per-class NMS.
Result<std::unique_ptr<Detector>> make_nanodet_detector(const std::string& onnx_path,
                                                        const DetectOptions& options,
                                                        cv::Size input);

// CenterNet (MobileNetV3, COCO-80, 512x512) from `la3d models install`: best recall of the embedded
// models on small people, about 2.5x slower than NanoDet.
Result<std::unique_ptr<Detector>> make_centernet_detector(const std::string& onnx_path,
                                                          const DetectOptions& options);

// BlazeFace from `la3d models install`; reports class "face". `input` 256: the back-camera model
// (small faces, the default for --classes face); 128: the front-camera model (close faces).
Result<std::unique_ptr<Detector>> make_blazeface_detector(const std::string& onnx_path,
                                                          const DetectOptions& options,
                                                          int input = 256);

// All that each of `parts` finds, best score first (e.g. people from one model, faces from
// another).
std::unique_ptr<Detector> make_union_detector(std::vector<std::unique_ptr<Detector>> parts);

// Runs `inner` on the whole frame and on a per_side x per_side grid of overlapping tiles (each
// about 1/(0.8 per_side + 0.2) of the frame per side), merging by NMS: small people are seen about
// per_side times larger, at (per_side^2 + 1) times the cost.
std::unique_ptr<Detector> make_tiled_detector(std::unique_ptr<Detector> inner, int per_side);
// The tiles it uses; empty for per_side < 2.
std::vector<cv::Rect> tiles(cv::Size frame, int per_side);

// A safety net under any detector: moving foreground (OpenCV's MOG2 background model on a
// downscaled copy, shadows ignored) that lies outside every detection is reported as extra regions
// labelled "motion", so a person the detector misses while they move is hidden anyway. It needs
// one frame to learn the background, and a person who stays still long enough becomes background:
// it adds to the detector, it never replaces it. A moving camera makes most of the frame "motion".
struct MotionGuardOptions {
  int work_width = 384;       // the background model runs at this width (aspect kept)
  double min_area = 0.0002;   // smallest region kept, as a fraction of the frame area
  double var_threshold = 16;  // MOG2's squared Mahalanobis threshold
  int history = 300;          // frames of background memory
  double margin = 0.25;       // each region grows by this fraction of its height on every side
  int hold = 5;               // a region stays hidden this many frames after it was last seen
};
Status validate(const MotionGuardOptions& options);
std::unique_ptr<Detector> make_motion_guard(std::unique_ptr<Detector> inner,
                                            MotionGuardOptions options = {});

// Ultralytics YOLO (v5u/v8/v11) ONNX exports, detect or seg, imported for OpenCV on load (see
// import_onnx_for_opencv). `size` fixes a dynamic input (0x0 = the export's own size).
Result<std::unique_ptr<Detector>> make_yolo_detector(const std::string& onnx_path, cv::Size size,
                                                     const DetectOptions& options);

// Wraps a detector: its person boxes without instance masks get silhouettes from the MediaPipe
// selfie segmentation model run on the box crop (mask = box ∩ segmentation). A silhouette that
// covers under 10 % of any horizontal third of its box is not trusted: that person keeps the box.
Result<std::unique_ptr<Detector>> make_selfie_segmenter(std::unique_ptr<Detector> inner,
                                                        const std::string& onnx_path);

// `frame` scaled (aspect kept) into a `size` canvas at its top-left, the rest filled with `pad`.
struct Letterbox {
  cv::Mat image;
  double scale = 1;  // canvas pixels per frame pixel
};
Letterbox letterbox(const cv::Mat& frame, cv::Size size, const cv::Scalar& pad);

// Resizes `frame` to the detection width keeping its aspect ratio (the reference's convention) and
// returns the factor that maps detection pixels back to frame pixels.
double resize_for_detection(const cv::Mat& frame, cv::Size detect_size, cv::Mat& resized);

// Non-maximum suppression per class, keeping the best-scored boxes; returns them best first.
std::vector<Detection> nms_per_class(std::vector<Detection> candidates, float iou_threshold);

}  // namespace la3d
