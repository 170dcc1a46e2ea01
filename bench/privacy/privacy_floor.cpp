// Measures the privacy floor (include/la3d/engine/privacy_floor.hpp): for each AN method and each of its
// settings, the worst recoverable PSNR over the reference people of vtest frame 100 at 320x240,
// with the setting swept and every other one at its floor value. A floor value is right when its
// row stays below kLeakPsnrDb and the next weaker value does not. Usage: privacy_floor [VTEST]
#include <fmt/format.h>

#include <functional>
#include "la3d/engine/privacy_floor.hpp"

using namespace la3d;

int main(int argc, char** argv) {
  const std::string vtest =
      argc > 1 ? argv[1] : "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
  auto read = floor_reference_frame(vtest);
  if (!read) return fmt::print(stderr, "{}\n", read.error().message), 1;
  const cv::Mat frame = read.value();
  auto worst_psnr = [&frame](const AnParams& p, double scale) {
    MaskOptions masks;
    masks.scale = scale;
    return worst_reference_psnr(frame, p, masks);
  };

  struct Sweep {
    const char* name;
    std::vector<double> values;
    std::function<void(AnParams&, double&, double)> set;
  };
  const std::vector<Sweep> sweeps = {
      {"alpha",
       {0.9, 0.95, 0.97, 0.98, 0.99, 1},
       [](AnParams& p, double&, double v) { p.mask_alpha = v; }},
      {"blur-kernel",
       {1, 3, 5, 7, 13, 31},
       [](AnParams& p, double&, double v) { p.blur_kernel = int(v); }},
      {"blur-sigma",
       {0.5, 0.8, 1, 1.5, 2, 10},
       [](AnParams& p, double&, double v) { p.blur_sigma = v; }},
      {"block", {1, 2, 3, 4, 8}, [](AnParams& p, double&, double v) { p.pixel_block = int(v); }},
      {"an-scale", {0.5, 0.75, 1, 1.5, 10}, [](AnParams& p, double&, double v) { p.an_scale = v; }},
      {"an-bound",
       {0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 1},
       [](AnParams& p, double&, double v) { p.an_bound = v; }},
      {"mask-scale", {0.5, 0.8, 0.9, 1, 1.5}, [](AnParams&, double& s, double v) { s = v; }},
  };
  fmt::print(
      "worst recoverable PSNR (dB) of {} people, vtest frame 100 at 320x240; leak above {:g}\n",
      FloorReference{}.people.size(), kLeakPsnrDb);
  for (const MethodInfo& mi : all_methods()) {
    AnParams base = at_privacy_floor(mi.method);
    fmt::print("{:<26} at floor: {:5.1f}\n", mi.name, worst_psnr(base, 1.0));
    for (const Sweep& s : sweeps) {
      std::string row;
      bool changes = false;
      double first = -1;
      for (double v : s.values) {
        AnParams p = base;
        double scale = 1.0;
        s.set(p, scale, v);
        if (!validate(p).ok()) continue;
        const double psnr = worst_psnr(p, scale);
        if (first >= 0 && std::abs(psnr - first) > 1e-9) changes = true;
        if (first < 0) first = psnr;
        row += fmt::format("  {:g}:{:.1f}{}", v, psnr, psnr > kLeakPsnrDb ? "!" : "");
      }
      if (changes) fmt::print("    {:<12}{}\n", s.name, row);
    }
  }
  return 0;
}
