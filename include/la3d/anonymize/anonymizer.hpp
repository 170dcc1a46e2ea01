#pragma once
// The ten AN methods of LA3D, as defined in docs (shared research note an-methods.md).
#include <opencv2/core.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/core/types.hpp"

namespace la3d {

enum class Method {
  NoAn,
  Mask,
  Edge,
  Blur,
  Pixelization,
  AdaptiveBlur,
  AdaptiveFullBlur,
  AdaptiveMaxBlur,
  AdaptivePixelization,
  AdaptiveMaxPixelization,
};

struct MethodInfo {
  Method method;
  std::string_view name;  // CLI spelling, as the reference spells it
  std::string_view paper;
  std::string_view description;
};

std::span<const MethodInfo> all_methods();
Result<Method> parse_method(std::string_view name);
// "all" (every method, in the table's order) or a comma-separated list of method names.
Result<std::vector<Method>> parse_method_list(std::string_view spec);
std::string_view method_name(Method method);
bool is_adaptive(Method method);

// How the instance's share of the frame becomes a strength factor g = max(1, f(s)).
enum class Scaler { Ln, Linear, LinearNorm, QuadraticNorm, ExpNorm };
Result<Scaler> parse_scaler(std::string_view name);
std::string_view scaler_name(Scaler scaler);

struct AnParams {
  Method method = Method::AdaptiveBlur;
  int blur_kernel = 13;    // k0
  double blur_sigma = 10;  // sigma0
  int pixel_block = 4;     // d (baseline) and b0 (adaptive)
  double canny_low = 100;
  double canny_high = 200;
  cv::Scalar mask_colour{0, 0, 0};  // BGR
  double mask_alpha = 1.0;
  double an_scale = 1.0;  // a_m, CLI -anr
  double an_bound = 0.5;  // a_d, CLI -anl
  Scaler scaler = Scaler::Ln;
  // LA3D's strengths (k0, sigma0, d/b0) are pixels tuned for 320x240 frames. On a larger frame
  // they grow by min(W/Wr, H/Hr) (at least 1), so a 4K frame is hidden as well as LA3D's 320x240
  // one. An empty size keeps LA3D's pixel semantics at any size (the reference's exact outputs).
  cv::Size strength_reference{320, 240};
};

// The factor by which `frame` scales the base strengths: max(1, min(W/Wr, H/Hr)); 1 without a
// reference.
double strength_factor(cv::Size frame, cv::Size reference);
// `p` with k0, sigma0 and the block scaled for `frame` (k0 rounded to the nearest odd integer, at
// most 255).
AnParams at_frame_size(const AnParams& p, cv::Size frame);

// Checks ranges the formulas need (odd positive kernel, 0 < a_d <= 1, ...).
Status validate(const AnParams& params);

// --- The adaptive arithmetic, exposed so it can be tested and shown on its own. ---

// s = max(1, floor(100 * area / (W * H))), in integers.
int strength_percent(long long mask_area, cv::Size frame);
// g = max(1, f(s)).
double scale_factor(int s, Scaler scaler);

struct BlurSpec {
  cv::Size ksize;                   // odd, >= 1
  double sigma_x = 0, sigma_y = 0;  // as cv::GaussianBlur takes them: sigma_y 0 = sigma_x
};
BlurSpec adaptive_blur_spec(cv::Size crop, double r, const AnParams& params);
BlurSpec adaptive_full_blur_spec(cv::Size crop, double r, const AnParams& params);
BlurSpec max_blur_spec(cv::Size crop);
// Block size (b_x, b_y); the down-sized crop is (w div b_x, h div b_y).
cv::Size adaptive_pixel_block(cv::Size crop, double r, const AnParams& params);

// Applies one AN method to `frame` in place. Every output pixel is computed from the original
// frame, never from a partly anonymized one.
class Anonymizer {
 public:
  explicit Anonymizer(AnParams params);
  const AnParams& params() const { return params_; }
  // An error (a frame that is not 8-bit BGR, an instance outside the frame, OpenCV failing) leaves
  // `frame` unusable: the caller must not show or write it.
  Status apply(cv::Mat& frame, std::span<const Instance> instances) const;

 private:
  void apply_unchecked(cv::Mat& frame, std::span<const Instance> instances) const;
  AnParams params_;
  cv::Mat mask_lut_;  // mask: the blend of every 8-bit value with the colour, made once
};

}  // namespace la3d
