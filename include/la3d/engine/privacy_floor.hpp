#pragma once
// The privacy floor: the weakest anonymization settings la3d applies (without --allow-weak on the
// command line; never from the dashboard), and the leak measure that chose them. README "Safety"
// gives the measurement; bench/privacy/privacy_floor.cpp repeats it.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/anonymize/instances.hpp"
#include "la3d/core/result.hpp"
#include "la3d/detect/detector.hpp"

namespace la3d {

// How much of a person's appearance survives anonymization: PSNR (dB) between the original pixels
// under `mask` and the best per-channel affine map a * anonymized + b of the anonymized ones
// (least squares, fitted on those pixels). The affine step is the attacker's: a blend with a colour
// (--alpha below 1) looks dark but is undone by it exactly, up to rounding.
double recoverable_psnr(const cv::Mat& original, const cv::Mat& anonymized, const cv::Mat1b& mask);

// Above this a person region counts as recognisable: LA3D's own weakest setting (blur on a 320x240
// pedestrian) measures well below it, the raw frame at infinity.
inline constexpr double kLeakPsnrDb = 25.0;

// The weakest settings that keep every reference person (README "Safety") below kLeakPsnrDb,
// measured at the corner where every setting is at its floor at once. The adaptive methods are
// bounded by what they apply to a small person (at most 2 % of the frame, so g = 1): a kernel of
// int(a_m * k0), a block of int(a_m * b0), a sigma of min(sigma0, kernel), each capped by
// int(a_d * crop side).
struct PrivacyFloor {
  double mask_alpha = 0.99;    // mask: opacity of the colour
  int kernel = 3;              // blur: k0; adaptive blurs: int(a_m * k0)
  double sigma = 1;            // blur, adaptive_blur: sigma0; adaptive_full_blur: int(a_m * sigma0)
  int block = 2;               // pixelization: d; adaptive_pixelization: int(a_m * b0)
  double an_bound = 0.3;       // adaptive: a_d
  double mask_scale = 1.0;     // a box shrunk about its centre shows the person's outline
  float max_threshold = 0.5f;  // a detector threshold above this misses people it finds
};
inline constexpr PrivacyFloor kPrivacyFloor{};

// `method` with every setting at its floor at once: the corner the floor was measured at. a_m is 1,
// so the small-person products a_m * k0 etc. sit exactly at their floors.
AnParams at_privacy_floor(Method method);

// The measurement behind the floor: vtest.avi (Debian's opencv-doc) frame 100, resized to 320x240
// as `-is 320 240` does, and its five pedestrians (NanoDet's boxes, each checked by eye).
struct FloorReference {
  int frame = 100;
  cv::Size size{320, 240};
  std::vector<cv::Rect> people{{144, 82, 15, 33},
                               {205, 61, 11, 31},
                               {215, 63, 11, 29},
                               {245, 64, 13, 35},
                               {157, 74, 13, 33}};
};
// The reference frame read from `vtest` and resized; an error when it cannot be read.
Result<cv::Mat> floor_reference_frame(const std::string& vtest);
// The highest recoverable PSNR over the reference people after anonymizing `frame` with `an` and
// `masks` (each judged over the person's whole box, so a shrunk mask counts what it leaves).
double worst_reference_psnr(const cv::Mat& frame, const AnParams& an, const MaskOptions& masks);

// Each setting weaker than the floor, in words that name the option and the floor; empty when
// every setting holds. Only settings the method uses are checked; no-an is not judged here (it is
// the named "no anonymization" method, refused where anonymization is required).
std::vector<std::string> weak_settings(const AnParams& an, const MaskOptions& masks);
std::vector<std::string> weak_settings(const DetectOptions& detect);

}  // namespace la3d
