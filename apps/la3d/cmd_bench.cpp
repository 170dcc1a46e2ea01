// `la3d bench`: per-stage cost of the whole chain on one input, measured in one run.
#include <fmt/format.h>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "la3d/engine/benchmark.hpp"
#include "scorer_args.hpp"

namespace la3d::cli {
namespace {

// Adds one JSON entry per stage.
void stage(nlohmann::ordered_json& j, const std::string& name, const std::vector<double>& v) {
  const Summary sum = summarize(v);
  j["stages"][name] = {
      {"median_ms", sum.median}, {"p95_ms", sum.p95}, {"mean_ms", sum.mean}, {"count", v.size()}};
}

}  // namespace

void add_bench_command(CLI::App& app, BenchArgs& a) {
  auto* cmd =
      app.add_subcommand("bench", "per-stage ms/frame (median, p95) and peak memory on one input");
  cmd->add_option("input", a.input, "image or video")->required();
  cmd->add_option("--frames", a.frames, "frames to measure (0 = whole video; images: 50)")
      ->check(CLI::Range(0, 10000000));
  cmd->add_flag("--json", a.json, "print JSON instead of a table");
  ScorerFlags flags;
  flags.head = "--vad";  // also measure VAD, per 16-frame snippet
  flags.dataset = "--vad-dataset";
  flags.head_default = false;
  a.vad_head = add_scorer_options(*cmd, a.vad, flags);
  add_engine_options(*cmd, a.engine);
}

int run_bench(const BenchArgs& a) {
  auto engine = engine_options(a.engine);
  if (!engine) return fail(engine.error().message);
  std::optional<ScorerOptions> vad;
  if (a.vad_head && a.vad_head->count() > 0) {
    vad = a.vad;
    vad->threads = a.engine.threads;
  }
  auto r = benchmark_engine({a.input, a.frames}, engine.value(), vad,
                            [](const std::vector<std::string>& weak) { warn_weak(weak); });
  if (!r) return fail(r.error().message);
  const std::string method(method_name(engine->pipeline.an.method));
  nlohmann::ordered_json j{{"input", a.input},
                           {"method", method},
                           {"frames", r->frames},
                           {"width", r->size.width},
                           {"height", r->size.height},
                           {"detections", r->detections},
                           {"wall_s", r->wall_ms / 1000},
                           {"fps", r->wall_ms > 0 ? r->frames * 1000.0 / r->wall_ms : 0.0},
                           {"overlap", r->overlap},
                           {"peak_rss_mib", peak_rss_mib()}};
  if (!r->vad.empty()) {
    j["vad"] = r->vad;
    j["snippets"] = r->snippets;
  }
  for (const auto& [name, v] : r->stages) stage(j, name, v);
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "{} | {} | {} frames at {}x{} | {} detections over {} frames | {:.1f} fps wall-clock, "
      "stages overlap {:.2f}x\n",
      a.input, method, r->frames, r->size.width, r->size.height, r->detections, r->frames,
      j["fps"].get<double>(), r->overlap);
  std::cout << fmt::format("{:<21} {:>10} {:>10} {:>10}\n", "stage", "median ms", "p95 ms",
                           "mean ms");
  for (const auto& [name, st] : j["stages"].items())
    std::cout << fmt::format("{:<21} {:>10.3f} {:>10.3f} {:>10.3f}\n", name,
                             st["median_ms"].get<double>(), st["p95_ms"].get<double>(),
                             st["mean_ms"].get<double>());
  std::cout << fmt::format("peak memory {:.1f} MiB\n", peak_rss_mib());
  return 0;
}

}  // namespace la3d::cli
