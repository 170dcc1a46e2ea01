#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "la3d/anonymize/anonymizer.hpp"

namespace la3d {
namespace {

constexpr std::array<MethodInfo, 10> kMethods{{
    {Method::NoAn, "no-an", "No-AN", "frame unchanged; no detector runs"},
    {Method::Mask, "mask", "mask", "people become a solid colour (alpha-blended)"},
    {Method::Edge, "edge", "edge", "people become the frame's Canny edge map"},
    {Method::Blur, "blur", "G^0", "people take a 13x13 Gaussian blur (sigma 10) of the frame"},
    {Method::Pixelization, "pixelization", "P^0", "people take the frame pixelated in 4x4 blocks"},
    {Method::AdaptiveBlur, "adaptive_blur", "G^a",
     "per-person Gaussian blur, kernel grows with the person's share of the frame"},
    {Method::AdaptiveFullBlur, "adaptive_full_blur", "G^a (full)",
     "as adaptive_blur, and sigma grows too"},
    {Method::AdaptiveMaxBlur, "adaptive_max_blur", "G^a_max",
     "per-person Gaussian blur with a kernel as large as the person"},
    {Method::AdaptivePixelization, "adaptive_pixelization", "P^a",
     "per-person pixelation, block grows with the person's share of the frame"},
    {Method::AdaptiveMaxPixelization, "adaptive_max_pixelization", "P^a_max",
     "each person becomes one colour"},
}};

}  // namespace

std::span<const MethodInfo> all_methods() {
  return kMethods;
}

Result<Method> parse_method(std::string_view name) {
  for (const auto& m : kMethods)
    if (m.name == name) return m.method;
  std::string known;
  for (const auto& m : kMethods) known += (known.empty() ? "" : ", ") + std::string(m.name);
  return make_error("unknown AN method '" + std::string(name) + "' (known: " + known + ")");
}

Result<std::vector<Method>> parse_method_list(std::string_view spec) {
  std::vector<Method> out;
  if (spec == "all") {
    for (const MethodInfo& m : all_methods()) out.push_back(m.method);
    return out;
  }
  for (size_t start = 0; start <= spec.size();) {
    const size_t end = std::min(spec.find(',', start), spec.size());
    auto m = parse_method(spec.substr(start, end - start));
    if (!m) return m.error();
    if (std::find(out.begin(), out.end(), m.value()) == out.end()) out.push_back(m.value());
    start = end + 1;
  }
  return out;
}

std::string_view method_name(Method method) {
  for (const auto& m : kMethods)
    if (m.method == method) return m.name;
  return "?";
}

bool is_adaptive(Method method) {
  switch (method) {
    case Method::AdaptiveBlur:
    case Method::AdaptiveFullBlur:
    case Method::AdaptiveMaxBlur:
    case Method::AdaptivePixelization:
    case Method::AdaptiveMaxPixelization:
      return true;
    default:
      return false;
  }
}

Result<Scaler> parse_scaler(std::string_view name) {
  if (name == "ln") return Scaler::Ln;
  if (name == "linear") return Scaler::Linear;
  if (name == "linear_norm") return Scaler::LinearNorm;
  if (name == "quadratic_norm") return Scaler::QuadraticNorm;
  if (name == "exp_norm") return Scaler::ExpNorm;
  return make_error("unknown scaler '" + std::string(name) +
                    "' (known: ln, linear, linear_norm, quadratic_norm, exp_norm)");
}

std::string_view scaler_name(Scaler s) {
  switch (s) {
    case Scaler::Ln:
      return "ln";
    case Scaler::Linear:
      return "linear";
    case Scaler::LinearNorm:
      return "linear_norm";
    case Scaler::QuadraticNorm:
      return "quadratic_norm";
    case Scaler::ExpNorm:
      return "exp_norm";
  }
  return "ln";
}

Status validate(const AnParams& p) {
  auto finite_positive = [](double v) { return std::isfinite(v) && v > 0; };
  // Upper bounds: far beyond any useful strength, and they keep a_m * k0 etc. well inside an int.
  if (p.blur_kernel < 1 || p.blur_kernel % 2 == 0 || p.blur_kernel > 255)
    return make_error("blur kernel must be an odd number from 1 to 255, got " +
                      std::to_string(p.blur_kernel));
  if (!(finite_positive(p.blur_sigma) && p.blur_sigma <= 100))
    return make_error("blur sigma must be in (0, 100]");
  if (p.pixel_block < 1 || p.pixel_block > 256) return make_error("pixel block must be in 1..256");
  if (!(p.canny_low >= 0 && p.canny_low < p.canny_high && p.canny_high <= 1e6))
    return make_error("Canny thresholds must satisfy 0 <= low < high <= 1e6");
  if (!(p.mask_alpha >= 0 && p.mask_alpha <= 1)) return make_error("mask alpha must be in [0, 1]");
  for (int c = 0; c < 3; ++c)
    if (!(p.mask_colour[c] >= 0 && p.mask_colour[c] <= 255))
      return make_error("mask colour channels must be in [0, 255]");
  if (!(finite_positive(p.an_scale) && p.an_scale <= 10))
    return make_error("-anr (mask-scale factor) must be in (0, 10]");
  // a_d > 1 would allow blocks larger than the crop, whose down-sized image is empty.
  if (!(p.an_bound > 0 && p.an_bound <= 1))
    return make_error("-anl (dimension bound) must be in (0, 1]");
  return Ok{};
}

}  // namespace la3d
