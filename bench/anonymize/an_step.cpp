// Times la3d's AN step on a frame and instance masks written by bench/an_reference.py, which
// times LA3D's Python AN step on the same inputs: the two are compared side by side in one run.
// Usage: an_step DIR METHOD REPEATS -> prints the median ms; writes DIR/out_cpp_METHOD.png.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/anonymize/instances.hpp"
#include "la3d/engine/pipeline.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: an_step DIR METHOD REPEATS\n";
    return 2;
  }
  const fs::path dir = argv[1];
  auto method = la3d::parse_method(argv[2]);
  const int repeats = std::atoi(argv[3]);
  if (!method || repeats < 1) {
    std::cerr << "an_step: bad method or repeat count\n";
    return 2;
  }
  cv::setNumThreads(1);  // per core, as the Python side
  const cv::Mat frame = cv::imread((dir / "frame.png").string());
  std::vector<fs::path> mask_files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().starts_with("mask_")) mask_files.push_back(e.path());
  std::sort(mask_files.begin(), mask_files.end());
  std::vector<la3d::Detection> dets;
  for (const fs::path& p : mask_files) {
    const cv::Mat1b full = cv::imread(p.string(), cv::IMREAD_GRAYSCALE) > 0;
    const cv::Rect box = cv::boundingRect(full);
    dets.push_back({"person", 1, 1.f, box, full(box).clone()});
  }
  if (frame.empty() || dets.empty()) {
    std::cerr << "an_step: no frame.png or mask_*.png in " << dir << "\n";
    return 1;
  }
  la3d::AnParams p;
  p.method = method.value();
  p.strength_reference = {};  // LA3D's pixels at any size, as its Python step computes them
  const la3d::Anonymizer an(p);
  std::vector<double> ms;
  cv::Mat work;
  for (int r = 0; r < repeats; ++r) {
    frame.copyTo(work);
    const auto t0 = std::chrono::steady_clock::now();
    // The whole AN step, as the Python side times it: masks to instances, then the method.
    const auto inst = la3d::make_instances(dets, frame.size(), {});
    if (!an.apply(work, inst).ok()) return 1;
    ms.push_back(la3d::ms_since(t0));
  }
  cv::imwrite((dir / fmt::format("out_cpp_{}.png", argv[2])).string(), work);
  std::cout << fmt::format("{:.4f}\n", la3d::summarize(ms).median);
  return 0;
}
