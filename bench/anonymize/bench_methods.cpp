// Each AN method at 320x240 .. 1920x1080 with 1, 5 and 20 person-shaped instances, on one thread
// (the target is per core). Detection is excluded: instances are given.
#include <benchmark/benchmark.h>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/anonymize/instances.hpp"

namespace {

const cv::Size kSizes[] = {{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}};

// People as upright ellipses of about 1/3 of the frame height, spread over the frame.
std::vector<la3d::Instance> people(cv::Size frame, int n) {
  std::vector<la3d::Detection> dets;
  cv::RNG rng(n);
  const int h = frame.height / 3, w = h * 2 / 5;
  for (int i = 0; i < n; ++i)
    dets.push_back({"person",
                    1,
                    0.9f,
                    {rng.uniform(0, frame.width - w), rng.uniform(0, frame.height - h), w, h},
                    {}});
  la3d::MaskOptions o;
  o.box_shape = la3d::BoxShape::Ellipse;
  return la3d::make_instances(dets, frame, o);
}

void BM_Anonymize(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto method = la3d::all_methods()[state.range(0)].method;
  const cv::Size size = kSizes[state.range(1)];
  const int n = int(state.range(2));
  cv::Mat frame(size, CV_8UC3);
  cv::randu(frame, 0, 256);
  const auto inst = people(size, n);
  la3d::AnParams p;
  p.method = method;
  const la3d::Anonymizer an(p);
  cv::Mat work;
  for (auto _ : state) {
    state.PauseTiming();
    frame.copyTo(work);
    state.ResumeTiming();
    if (!an.apply(work, inst).ok()) {
      state.SkipWithError("anonymization failed");
      return;
    }
    benchmark::DoNotOptimize(work.data);
  }
  state.SetLabel(std::string(la3d::method_name(method)) + " " + std::to_string(size.width) + "x" +
                 std::to_string(size.height) + " n=" + std::to_string(n));
}

void all_args(benchmark::internal::Benchmark* b) {
  for (int m = 0; m < int(la3d::all_methods().size()); ++m)
    for (int s = 0; s < 4; ++s)
      for (int n : {1, 5, 20}) b->Args({m, s, n});
}

BENCHMARK(BM_Anonymize)->Apply(all_args)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
