// VAD cost per 16-frame snippet: encoders with 1, 5 and 10 crops, heads on N snippets, the
// Lanczos preparation and the motion head. Formula weights: the cost is that of the real models.
#include <benchmark/benchmark.h>

#include <opencv2/imgproc.hpp>

#include "la3d/vad/motion_head.hpp"
#include "la3d/engine/pipeline.hpp"
#include "la3d/vad/vad.hpp"
#include "la3d/vad/vad_encoder.hpp"
#include "la3d/vad/vad_weights.hpp"

namespace la3d {
namespace {

cv::Mat frame(unsigned seed) {
  cv::Mat f(576, 768, CV_8UC3);
  cv::RNG(seed).fill(f, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(f, f, {9, 9}, 3);
  return f;
}

void BM_Encoder(benchmark::State& state) {
  const auto kind = EncoderKind(state.range(0));
  const int crops = int(state.range(1));
  set_vad_threads(0);
  auto enc = make_encoder(
      kind, formula_weights(encoder_schema(kind), kind == EncoderKind::I3dInception ? 2.0 : 1.5));
  if (!enc.ok()) {
    state.SkipWithError(enc.error().message.c_str());
    return;
  }
  std::vector<cv::Mat> resized;
  for (int i = 0; i < kSnippetFrames; ++i)
    resized.push_back(pil_lanczos_resize(frame(i), {340, 256}));
  const std::vector<float> clips = snippet_crops(resized, crops, kind);
  for (auto _ : state) benchmark::DoNotOptimize(enc.value()->encode(clips, crops));
  state.counters["peak_rss_mib"] = peak_rss_mib();
  state.SetLabel(encoder_name(kind));
}
BENCHMARK(BM_Encoder)
    ->ArgsProduct({{int(EncoderKind::I3dInception), int(EncoderKind::I3dResnet50Nl)}, {1, 5, 10}})
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Head(benchmark::State& state) {
  const HeadConfig c{HeadKind(state.range(0)), Dataset(state.range(1))};
  const int n = int(state.range(2));
  set_vad_threads(0);
  const ModelSchema schema = c.kind == HeadKind::Pel4vad
                                 ? pel4vad_schema(c.dataset == Dataset::Ucf ? 9 : 3)
                                 : mgfn_schema(c.feature_dim());
  auto head = make_head(c, formula_weights(schema, 2.0));
  if (!head.ok()) {
    state.SkipWithError(head.error().message.c_str());
    return;
  }
  NpyArray f{{n, c.crops(), c.feature_dim()}, {}};
  cv::RNG rng(1);
  f.data.resize(size_t(n) * size_t(c.crops()) * size_t(c.feature_dim()));
  for (float& v : f.data) v = float(std::fabs(rng.gaussian(0.5)));
  for (auto _ : state) benchmark::DoNotOptimize(head.value()->score(f));
  state.counters["ms_per_snippet"] = benchmark::Counter(
      double(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetLabel(c.name());
}
BENCHMARK(BM_Head)
    ->ArgsProduct({{int(HeadKind::Pel4vad), int(HeadKind::Mgfn)},
                   {int(Dataset::Ucf), int(Dataset::Xd)},
                   {1, 50}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_PrepareSnippet(benchmark::State& state) {
  std::vector<cv::Mat> frames;
  for (int i = 0; i < kSnippetFrames; ++i) frames.push_back(frame(i));
  for (auto _ : state) {
    std::vector<cv::Mat> resized;
    for (const cv::Mat& f : frames) resized.push_back(pil_lanczos_resize(f, {340, 256}));
    benchmark::DoNotOptimize(
        snippet_crops(resized, int(state.range(0)), EncoderKind::I3dInception));
  }
}
BENCHMARK(BM_PrepareSnippet)->Arg(5)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_MotionHead(benchmark::State& state) {
  std::vector<cv::Mat> frames;
  for (int i = 0; i < kSnippetFrames; ++i) frames.push_back(frame(i));
  MotionAnomalyHead head;
  for (auto _ : state) benchmark::DoNotOptimize(head.score_snippet(frames));
}
BENCHMARK(BM_MotionHead)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace la3d

BENCHMARK_MAIN();
