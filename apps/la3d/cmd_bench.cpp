// `la3d bench`: per-stage cost of the whole chain on one input, measured in one run.
#include <fmt/format.h>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "la3d/io.hpp"

namespace la3d::cli {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Samples {
  std::vector<double> decode, detect, anonymize, encode;
  long long people = 0;
};

// A frame source for the bench: the video's frames, or one image repeated.
Status collect(const BenchArgs& a, FramePipeline& pipeline, const fs::path& tmp_dir, Samples& s,
               long long& frames, cv::Size& size) {
  const bool image = is_image_path(a.input);
  cv::Mat still;
  std::unique_ptr<VideoSource> video;
  long long limit = a.frames;
  if (image) {
    auto img = read_image(a.input);
    if (!img) return img.error();
    still = img.value();
    if (limit <= 0) limit = 50;
  } else {
    auto v = VideoSource::open(a.input);
    if (!v) return v.error();
    video = std::move(v.value());
  }
  std::unique_ptr<VideoSink> sink;
  cv::Mat frame;
  for (frames = 0; limit <= 0 || frames < limit; ++frames) {
    auto t0 = Clock::now();
    if (image) {
      still.copyTo(frame);
    } else {
      auto more = video->read(frame);
      if (!more) return more.error();
      if (!more.value()) break;
    }
    s.decode.push_back(ms_since(t0));
    auto r = pipeline.process(frame, frames);
    if (!r) return r.error();
    s.detect.push_back(r->detect_ms);
    s.anonymize.push_back(r->anonymize_ms);
    s.people += r->instances;
    if (!sink) {
      size = frame.size();
      auto out = VideoSink::open(tmp_dir / "bench.mp4", frame.size(),
                                 video ? video->fps() : Rational{25, 1}, {});
      if (!out) return out.error();
      sink = std::move(out.value());
    }
    t0 = Clock::now();
    if (Status st = sink->write(frame); !st) return st;
    s.encode.push_back(ms_since(t0));
  }
  if (frames == 0) return make_error("no frames could be decoded from " + a.input);
  // The encoded file is not kept: the sink's destructor removes its temporary file.
  return Ok{};
}

}  // namespace

void add_bench_command(CLI::App& app, BenchArgs& a) {
  auto* cmd =
      app.add_subcommand("bench", "per-stage ms/frame (median, p95) and peak memory on one input");
  cmd->add_option("input", a.input, "image or video")->required();
  cmd->add_option("--frames", a.frames, "frames to measure (0 = whole video; images: 50)")
      ->check(CLI::Range(0, 10000000));
  cmd->add_flag("--json", a.json, "print JSON instead of a table");
  add_engine_options(*cmd, a.engine);
}

int run_bench(const BenchArgs& a) {
  auto engine = build_engine(a.engine);
  if (!engine) return fail(engine.error().message);
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec) / fmt::format("la3d-bench-{}", getpid());
  fs::create_directories(tmp, ec);
  FramePipeline pipeline(engine->options, std::move(engine->detector));
  Samples s;
  long long frames = 0;
  cv::Size size;
  Status st = collect(a, pipeline, tmp, s, frames, size);
  fs::remove_all(tmp, ec);
  if (!st) return fail(st.error().message);

  const std::pair<const char*, const std::vector<double>*> stages[] = {{"decode", &s.decode},
                                                                       {"detect", &s.detect},
                                                                       {"anonymize", &s.anonymize},
                                                                       {"encode", &s.encode}};
  nlohmann::json j{{"input", a.input},
                   {"method", a.engine.method},
                   {"frames", frames},
                   {"width", size.width},
                   {"height", size.height},
                   {"people", s.people},
                   {"peak_rss_mib", peak_rss_mib()}};
  for (const auto& [name, v] : stages) {
    const Summary sum = summarize(*v);
    j["stages"][name] = {{"median_ms", sum.median}, {"p95_ms", sum.p95}, {"mean_ms", sum.mean}};
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{} | {} | {} frames at {}x{} | {} people\n", a.input, a.engine.method,
                           frames, size.width, size.height, s.people);
  std::cout << fmt::format("{:<10} {:>10} {:>10} {:>10}\n", "stage", "median ms", "p95 ms",
                           "mean ms");
  for (const auto& [name, v] : stages) {
    const Summary sum = summarize(*v);
    std::cout << fmt::format("{:<10} {:>10.3f} {:>10.3f} {:>10.3f}\n", name, sum.median, sum.p95,
                             sum.mean);
  }
  std::cout << fmt::format("peak memory {:.1f} MiB\n", peak_rss_mib());
  return 0;
}

}  // namespace la3d::cli
