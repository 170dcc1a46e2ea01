// run_vad as a library call: outputs, snippet counting and the stop rule, without the CLI.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "la3d/io/io.hpp"
#include "la3d/engine/vad_run.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using test::TempDir;

// 40 textured frames at 64x48, 10 fps, and a detections file with one box per frame.
void make_input(const TempDir& d) {
  auto sink = VideoSink::open(d / "v.mp4", {64, 48}, {10, 1}, {});
  ASSERT_TRUE(sink);
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(sink.value()->write(test::textured_frame({64, 48}, unsigned(i % 5 + 1))));
  ASSERT_TRUE(sink.value()->finish());
  std::ofstream f(d / "det.jsonl");
  for (int i = 0; i < 40; ++i)
    f << "{\"frame\": " << i
      << ", \"width\": 64, \"height\": 48, \"objects\": [{\"class\": \"person\", \"score\": 1, "
         "\"box\": [4, 4, 20, 30]}]}\n";
}

// The input above, and a run of it into out/ with the detections file.
struct Input {
  TempDir d;
  VadRunOptions run;
  EngineOptions engine;
  Input() {
    make_input(d);
    run.input = (d / "v.mp4").string();
    run.out_dir = d / "out";
    engine.detections_file = d / "det.jsonl";
  }
};

TEST(VadRun, WholeVideoWritesItsReportsAndCountsSnippets) {
  Input in;
  auto r = run_vad(in.run, in.engine, ScorerOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->streaming);
  EXPECT_EQ(r->frames, 40);
  EXPECT_EQ(r->snippets, 40 / 16);
  ASSERT_EQ(r->written.size(), 4u);
  for (const auto& p : r->written) EXPECT_TRUE(fs::exists(p)) << p;
  std::ifstream j(r->written[1]);
  const auto json = nlohmann::json::parse(j);
  // Frame scores cover the whole snippets only (LA3D drops the frames past 16N).
  EXPECT_EQ(json["frame_scores"].size(), 32u);
  EXPECT_EQ(json["snippet_scores"].size(), 2u);
  EXPECT_EQ(json["method"], "adaptive_blur");
}

TEST(VadRun, AStoppedWholeVideoRunWritesNothing) {
  Input in;
  const TempDir& d = in.d;
  const VadRunOptions& run = in.run;
  const EngineOptions& engine = in.engine;
  long long seen = 0;
  VadRunCallbacks cb;
  cb.progress = [&](long long done) { seen = done; };
  cb.stop = [&] { return seen >= 20; };
  auto r = run_vad(run, engine, ScorerOptions{}, cb);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("interrupted"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(VadRun, AnImageIsRefusedBeforeAnythingOpens) {
  TempDir d;
  ASSERT_TRUE(write_image(d / "p.png", test::textured_frame({32, 24})));
  VadRunOptions run;
  run.input = (d / "p.png").string();
  const EngineOptions engine;
  auto r = run_vad(run, engine, ScorerOptions{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not an image"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace la3d
