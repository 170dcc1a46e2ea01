// Pixel work of the ten methods. Every method first computes, for each instance, a patch over its
// box from the untouched frame, then pastes the patches through the masks in order (later wins).
// Computing all patches before pasting any is what keeps each one independent of the others.
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "exact_gaussian.hpp"
#include "la3d/anonymize/anonymizer.hpp"
#include "local_canny.hpp"
#include "vector_clones.hpp"

namespace la3d {
namespace {

using Patches = std::vector<cv::Mat>;

// out = round((1 - a) * F + a * colour), per channel, as a lookup table.
cv::Mat blend_lut(const AnParams& p) {
  cv::Mat lut(1, 256, CV_8UC3);
  for (int v = 0; v < 256; ++v)
    for (int c = 0; c < 3; ++c)
      lut.at<cv::Vec3b>(0, v)[c] = cv::saturate_cast<uchar>(
          std::lround((1.0 - p.mask_alpha) * v + p.mask_alpha * p.mask_colour[c]));
  return lut;
}

void mask_patches(const cv::Mat& frame, std::span<const Instance> inst, const cv::Mat& lut,
                  Patches& out) {
  for (size_t i = 0; i < inst.size(); ++i) cv::LUT(frame(inst[i].box), lut, out[i]);
}

void edge_patches(const cv::Mat& frame, std::span<const Instance> inst, const AnParams& p,
                  Patches& out) {
  // The frame's Canny map, not a crop's: hysteresis follows weak edges from strong ones anywhere
  // in the image, so a crop's map can differ inside the crop. LocalCanny gives the frame's map
  // inside each box from the neighbourhood it needs; when the boxes cover much of the frame,
  // cv::Canny over all of it is cheaper (same bytes either way).
  long long area = 0;
  for (const Instance& i : inst) area += i.box.area();
  if (3 * area > frame.total()) {
    cv::Mat gray, edges;
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
    cv::Canny(gray, edges, p.canny_low, p.canny_high);
    for (size_t i = 0; i < inst.size(); ++i) out[i] = edges(inst[i].box);
    return;
  }
  detail::LocalCanny canny(frame, p.canny_low, p.canny_high);
  for (size_t i = 0; i < inst.size(); ++i) {
    cv::Mat1b edges;
    canny.edges(inst[i].box, edges);
    out[i] = edges;  // one channel: pasted into all three
  }
}

// cv::GaussianBlur(src, ..., BORDER_REFLECT_101 | BORDER_ISOLATED) inside `roi` of src, by the
// exact recomputation when OpenCV's kernel could be reproduced, else by OpenCV on all of src.
cv::Mat gaussian_patch(const cv::Mat& src, cv::Rect roi, const BlurSpec& spec) {
  cv::Mat out;
  if (detail::exact_gaussian_fits(roi.size(), spec.ksize.height)) {
    const auto kx = detail::fixed_gaussian(spec.ksize.width, spec.sigma_x);
    const auto ky = detail::fixed_gaussian(spec.ksize.height,
                                           detail::effective_sigma_y(spec.sigma_x, spec.sigma_y));
    if (kx && ky && detail::exact_gaussian_blur(src, roi, *kx, *ky, out)) return out;
  }
  cv::GaussianBlur(src, out, spec.ksize, spec.sigma_x, spec.sigma_y,
                   cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
  return out(roi);
}

void blur_patches(const cv::Mat& frame, std::span<const Instance> inst, const AnParams& p,
                  Patches& out) {
  // The whole frame is the source: box pixels see their real neighbours and the frame-edge
  // reflection exactly as a whole-frame blur does, and only the box is computed.
  const BlurSpec spec{{p.blur_kernel, p.blur_kernel}, p.blur_sigma, p.blur_sigma};
  for (size_t i = 0; i < inst.size(); ++i) {
    const cv::Rect b = inst[i].box;
    if (detail::exact_gaussian_fits(b.size(), p.blur_kernel) &&
        detail::fixed_gaussian(p.blur_kernel, p.blur_sigma)) {
      out[i] = gaussian_patch(frame, b, spec);
      continue;
    }
    // OpenCV on the box grown by the kernel radius (clipped to the frame), as an isolated image:
    // the same pixels inside the box without blurring the whole frame. Without BORDER_ISOLATED,
    // OpenCV 4.6 takes another code path for a submatrix and differs by 1 on some pixels.
    const int radius = p.blur_kernel / 2;
    const cv::Rect grown =
        cv::Rect(b.x - radius, b.y - radius, b.width + 2 * radius, b.height + 2 * radius) &
        cv::Rect({0, 0}, frame.size());
    out[i] = gaussian_patch(frame(grown), b - grown.tl(), spec);
  }
}

cv::Mat pixelate(const cv::Mat& src, cv::Size small) {
  cv::Mat down, up;
  cv::resize(src, down, small, 0, 0, cv::INTER_LINEAR);
  cv::resize(down, up, src.size(), 0, 0, cv::INTER_NEAREST);
  return up;
}

void pixelization_patches(const cv::Mat& frame, std::span<const Instance> inst, const AnParams& p,
                          Patches& out) {
  const int W = frame.cols, H = frame.rows;
  const int dx = W <= p.pixel_block ? W : p.pixel_block;
  const int dy = H <= p.pixel_block ? H : p.pixel_block;
  if (W % dx != 0 || H % dy != 0) {
    // The grid of W div d blocks does not tile the frame: each down-sized pixel then samples at a
    // fractional stride, so only the whole-frame resize gives the defined values.
    const cv::Mat P = pixelate(frame, {W / dx, H / dy});
    for (size_t i = 0; i < inst.size(); ++i) out[i] = P(inst[i].box);
    return;
  }
  // With an exact factor d, each down-sized pixel reads only its own d x d block, so resizing the
  // block-aligned hull of the box gives the same pixels as the whole frame.
  for (size_t i = 0; i < inst.size(); ++i) {
    const cv::Rect b = inst[i].box;
    const int x0 = b.x / dx * dx, y0 = b.y / dy * dy;
    const int x1 = (b.x + b.width + dx - 1) / dx * dx, y1 = (b.y + b.height + dy - 1) / dy * dy;
    const cv::Rect hull(x0, y0, x1 - x0, y1 - y0);
    const cv::Mat P = pixelate(frame(hull), {hull.width / dx, hull.height / dy});
    out[i] = P(b - hull.tl());
  }
}

// One row of the paste: where m is set, d takes v (3 channels each), else keeps its own. Written
// without branches so that it vectorises: a person's row is mostly inside the mask.
LA3D_VECTOR_CLONES
void paste_row3(uint8_t* __restrict d, const uint8_t* __restrict v, const uint8_t* __restrict m,
                int n) {
  for (int x = 0; x < n; ++x) {
    const uint8_t keep = m[x] ? 0 : 0xFF;
    for (int c = 0; c < 3; ++c)
      d[3 * x + c] = uint8_t((d[3 * x + c] & keep) | (v[3 * x + c] & ~keep));
  }
}

LA3D_VECTOR_CLONES
void paste_row1(uint8_t* __restrict d, const uint8_t* __restrict v, const uint8_t* __restrict m,
                int n) {
  for (int x = 0; x < n; ++x) {
    const uint8_t keep = m[x] ? 0 : 0xFF;
    for (int c = 0; c < 3; ++c) d[3 * x + c] = uint8_t((d[3 * x + c] & keep) | (v[x] & ~keep));
  }
}

// The patch's pixels under the instance's mask into the frame; a one-channel patch (an edge map)
// goes into all three channels. (Plain loops: cv::Mat::copyTo with a mask costs more than the
// method itself on person-sized boxes, its per-row dispatch dominating there.)
void paste(const cv::Mat& patch, const Instance& inst, cv::Mat& frame) {
  cv::Mat dst = frame(inst.box);
  for (int y = 0; y < dst.rows; ++y) {
    if (patch.channels() == 3)
      paste_row3(dst.ptr<uint8_t>(y), patch.ptr<uint8_t>(y), inst.mask.ptr<uint8_t>(y), dst.cols);
    else
      paste_row1(dst.ptr<uint8_t>(y), patch.ptr<uint8_t>(y), inst.mask.ptr<uint8_t>(y), dst.cols);
  }
}

double instance_r(const Instance& inst, cv::Size frame, const AnParams& p) {
  return p.an_scale * scale_factor(strength_percent(inst.area, frame), p.scaler);
}

void adaptive_patches(const cv::Mat& frame, std::span<const Instance> inst, const AnParams& p,
                      Patches& out) {
  for (size_t i = 0; i < inst.size(); ++i) {
    // The adaptive methods treat each crop as an isolated image (borders reflect inside the crop:
    // BORDER_ISOLATED below; resizes read nothing outside their input).
    const cv::Mat crop = frame(inst[i].box);
    const cv::Size sz = crop.size();
    const double r = instance_r(inst[i], frame.size(), p);
    BlurSpec blur;
    switch (p.method) {
      case Method::AdaptiveBlur:
        blur = adaptive_blur_spec(sz, r, p);
        break;
      case Method::AdaptiveFullBlur:
        blur = adaptive_full_blur_spec(sz, r, p);
        break;
      case Method::AdaptiveMaxBlur:
        blur = max_blur_spec(sz);
        break;
      case Method::AdaptivePixelization: {
        const cv::Size b = adaptive_pixel_block(sz, r, p);
        out[i] = pixelate(crop, {sz.width / b.width, sz.height / b.height});
        continue;
      }
      case Method::AdaptiveMaxPixelization:
        out[i] = pixelate(crop, {1, 1});
        continue;
      default:
        continue;
    }
    out[i] = gaussian_patch(crop, cv::Rect({0, 0}, sz), blur);
  }
}

}  // namespace

Anonymizer::Anonymizer(AnParams params) : params_(params) {
  if (params_.method == Method::Mask) mask_lut_ = blend_lut(params_);
}

double strength_factor(cv::Size frame, cv::Size reference) {
  if (reference.width <= 0 || reference.height <= 0) return 1.0;
  return std::max(1.0, std::min(double(frame.width) / reference.width,
                                double(frame.height) / reference.height));
}

AnParams at_frame_size(const AnParams& p, cv::Size frame) {
  const double f = strength_factor(frame, p.strength_reference);
  if (f == 1.0) return p;
  AnParams out = p;
  // A kernel's cost grows with its size: a tiny reference (1x1) would ask for thousands of pixels
  // and stall a frame for minutes. 255, the largest --blur-kernel accepted, already flattens a
  // person on an 8K frame (the default reference reaches it only above 6000x4500).
  out.blur_kernel = int(std::min(255.0, std::round(p.blur_kernel * f)));
  if (out.blur_kernel % 2 == 0) ++out.blur_kernel;
  out.blur_sigma = p.blur_sigma * f;
  out.pixel_block = std::max(1, int(std::lround(p.pixel_block * f)));
  return out;
}

Status Anonymizer::apply(cv::Mat& frame, std::span<const Instance> instances) const {
  if (params_.method == Method::NoAn || instances.empty()) return Ok{};
  if (frame.empty() || frame.type() != CV_8UC3)
    return make_error("anonymization needs an 8-bit BGR frame");
  const cv::Rect frame_rect({0, 0}, frame.size());
  for (const Instance& in : instances)
    if ((in.box & frame_rect) != in.box || in.mask.size() != in.box.size())
      return make_error("an instance's mask does not fit the frame");
  try {
    apply_unchecked(frame, instances);
  } catch (const cv::Exception& e) {
    return make_error(std::string("anonymization failed: ") + e.what());
  }
  return Ok{};
}

void Anonymizer::apply_unchecked(cv::Mat& frame, std::span<const Instance> instances) const {
  const AnParams p = at_frame_size(params_, frame.size());
  Patches patches(instances.size());
  switch (p.method) {
    case Method::Mask:
      mask_patches(frame, instances, mask_lut_, patches);
      break;
    case Method::Edge:
      edge_patches(frame, instances, p, patches);
      break;
    case Method::Blur:
      blur_patches(frame, instances, p, patches);
      break;
    case Method::Pixelization:
      pixelization_patches(frame, instances, p, patches);
      break;
    default:
      adaptive_patches(frame, instances, p, patches);
      break;
  }
  for (size_t i = 0; i < instances.size(); ++i) paste(patches[i], instances[i], frame);
}

}  // namespace la3d
