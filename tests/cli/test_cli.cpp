// The la3d binary end to end, on media generated here with ffmpeg and checked with ffprobe (tools
// independent of la3d's own libav code).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>

#include "la3d/io/io.hpp"
#include "test_util.hpp"

namespace la3d::test {
namespace {

void make_video(const fs::path& path, const std::string& rate, int frames, bool audio,
                const std::string& vcodec) {
  std::string cmd = "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=160x120:rate=" + rate;
  if (audio) cmd += " -f lavfi -i sine=frequency=440:sample_rate=44100";
  cmd += " -frames:v " + std::to_string(frames) + " -c:v " + vcodec + " -pix_fmt yuv420p";
  if (audio) cmd += " -c:a aac -shortest";
  const auto r = run(cmd + " " + quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.out;
}

std::string probe(const fs::path& file, const std::string& stream, const std::string& entries,
                  bool count = false) {
  const auto r =
      run("ffprobe -v error " + std::string(count ? "-count_frames " : "") + "-select_streams " +
          stream + " -show_entries stream=" + entries + " -of csv=p=0 " + quote(file));
  std::string s = r.out;
  while (!s.empty() && (s.back() == '\n' || s.back() == ',')) s.pop_back();
  return s;
}

// {"frame": i, ...} for frames [0, n) with one person box.
void write_detections(const fs::path& path, int n, cv::Size size,
                      const std::string& box = "[0, 0, 79, 119]") {
  std::ofstream f(path);
  for (int i = 0; i < n; ++i)
    f << R"({"frame": )" << i << R"(, "width": )" << size.width << R"(, "height": )" << size.height
      << R"(, "objects": [{"class": "person", "score": 0.9, "box": )" << box << "}]}\n";
}

void write_image(const fs::path& path, cv::Size size) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(cv::imwrite(path.string(), textured_frame(size)));
}

TEST(Cli, VideoKeepsFrameCountRateAndAudio) {
  TempDir d;
  make_video(d / "in.mp4", "25", 50, true, "libx264");
  write_detections(d / "det.jsonl", 50, {160, 120});
  auto r = la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "out.mp4") +
                " --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("out.mp4"), std::string::npos);  // says where the output is
  EXPECT_EQ(probe(d / "out.mp4", "v:0", "nb_read_frames", true), "50");
  EXPECT_EQ(probe(d / "out.mp4", "v:0", "r_frame_rate"), "25/1");
  EXPECT_EQ(probe(d / "out.mp4", "a", "codec_name"), "aac");
  // The audio lasts as long as the source's.
  const double src = std::stod(probe(d / "in.mp4", "a", "duration"));
  const double out = std::stod(probe(d / "out.mp4", "a", "duration"));
  EXPECT_NEAR(out, src, 0.05);

  auto quiet = la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "mute.mp4") +
                    " --no-audio --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
  EXPECT_EQ(probe(d / "mute.mp4", "a", "codec_name"), "");
  EXPECT_EQ(probe(d / "mute.mp4", "v:0", "nb_read_frames", true), "50");
}

TEST(Cli, FractionalRateAviGoesNextToTheInput) {
  TempDir d;
  make_video(d / "clip.avi", "30000/1001", 30, false, "mpeg4");
  write_detections(d / "det.jsonl", 30, {160, 120});
  auto r = la3d("anonymize " + quote(d / "clip.avi") + " --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(fs::exists(d / "clip_anonymized.avi")) << r.out;
  EXPECT_EQ(probe(d / "clip_anonymized.avi", "v:0", "nb_read_frames", true), "30");
  EXPECT_EQ(probe(d / "clip_anonymized.avi", "v:0", "r_frame_rate"), "30000/1001");
}

TEST(Cli, MaskHidesTheDetectedHalfOfEveryFrame) {
  TempDir d;
  make_video(d / "in.mp4", "25", 20, false, "libx264");
  write_detections(d / "det.jsonl", 20, {160, 120});
  auto r = la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "out.mp4") +
                " --method mask --crf 0 --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  cv::VideoCapture cap((d / "out.mp4").string());
  cv::Mat f;
  int n = 0;
  while (cap.read(f)) {
    ++n;
    EXPECT_LT(cv::mean(f(cv::Rect(0, 0, 80, 120)))[0], 3.0)
        << "frame " << n;  // black, up to colour conversion
    EXPECT_GT(cv::mean(f(cv::Rect(80, 0, 80, 120)))[0], 30.0)
        << "frame " << n;  // test pattern still there
  }
  EXPECT_EQ(n, 20);
}

TEST(Cli, ImageKeepsItsFormatAndIsAnonymized) {
  TempDir d;
  write_image(d / "p.png", {160, 120});
  write_detections(d / "det.jsonl", 1, {160, 120}, "[10, 20, 49, 69]");
  auto r = la3d("anonymize " + quote(d / "p.png") +
                " --method mask --colour '#ff0000' --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const cv::Mat in = cv::imread((d / "p.png").string()),
                out = cv::imread((d / "p_anonymized.png").string());
  ASSERT_FALSE(out.empty());
  cv::Mat red(50, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  EXPECT_EQ(cv::norm(out(cv::Rect(10, 20, 40, 50)), red, cv::NORM_INF), 0);  // lossless PNG: exact
  cv::Mat a = in.clone(), b = out.clone();
  a(cv::Rect(10, 20, 40, 50)).setTo(0);
  b(cv::Rect(10, 20, 40, 50)).setTo(0);
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0);
}

// --print-config writes the effective settings; --config reads them back (the same settings
// again), and the command line still wins over the file.
TEST(Cli, ConfigFileRoundTripsAndTheCommandLineWins) {
  TempDir d;
  write_image(d / "p.png", {160, 120});
  write_detections(d / "det.jsonl", 1, {160, 120}, "[10, 20, 49, 69]");
  auto printed = run(std::string(LA3D_BINARY) +
                     " anonymize --method mask --colour '#ff0000' --detections " +
                     quote(d / "det.jsonl") + " --print-config");
  ASSERT_EQ(printed.exit_code, 0) << printed.out;
  EXPECT_EQ(printed.out.rfind("[anonymize]\n", 0), 0u) << printed.out;
  EXPECT_NE(printed.out.find("method=\"mask\""), std::string::npos) << printed.out;
  {
    std::ofstream f(d / "la3d.toml");
    f << printed.out;
  }
  const auto again =
      run(std::string(LA3D_BINARY) + " anonymize --config " + quote(d / "la3d.toml") +
          " --print-config");
  EXPECT_EQ(again.out, printed.out);
  auto r = la3d("anonymize " + quote(d / "p.png") + " --config " + quote(d / "la3d.toml") +
                " -o " + quote(d / "from_file.png"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const cv::Mat red(50, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  cv::Mat out = cv::imread((d / "from_file.png").string());
  EXPECT_EQ(cv::norm(out(cv::Rect(10, 20, 40, 50)), red, cv::NORM_INF), 0);  // the file's mask
  r = la3d("anonymize " + quote(d / "p.png") + " --config " + quote(d / "la3d.toml") +
           " --method blur -o " + quote(d / "blurred.png"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  out = cv::imread((d / "blurred.png").string());
  EXPECT_GT(cv::norm(out(cv::Rect(10, 20, 40, 50)), red, cv::NORM_INF), 0);  // blur won
  r = la3d("anonymize " + quote(d / "p.png") + " --config " + quote(d / "missing.toml"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("missing.toml"), std::string::npos) << r.out;
}

TEST(Cli, FolderIsMirroredAndSaveUsesTheReferenceNames) {
  TempDir d;
  write_image(d / "in" / "a.png", {64, 48});
  write_image(d / "in" / "sub" / "b.jpg", {64, 48});
  auto r = la3d("anonymize " + quote(d / "in") + " -o " + quote(d / "out") + " --method no-an");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Inside the output folder the names are the inputs' own.
  EXPECT_EQ(files_below(d / "out"), (std::vector<std::string>{"a.png", "sub/b.jpg"}));

  auto s = la3d("anonymize " + quote(d / "in" / "a.png") + " -s --out-dir " + quote(d / "res") +
                " -is 32 24 --method no-an");
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_EQ(files_below(d / "res"), std::vector<std::string>{"no-an_imwh32x24_a_an.jpg"});
  EXPECT_EQ(cv::imread((d / "res" / "no-an_imwh32x24_a_an.jpg").string()).size(), cv::Size(32, 24));
}

TEST(Cli, ReferenceSpellingWorks) {
  TempDir d;
  write_image(d / "p.jpg", {160, 120});
  write_detections(d / "det.jsonl", 1, {64, 48}, "[0, 0, 31, 47]");
  auto r = la3d(
      "-a an -if image -id " + quote(d / "p.jpg") +
      " -is 64 48 -anm adaptive_blur -odc person -ods 64 48 -odt 0.25 -anr 1.0 -anl 0.5 -s -od " +
      quote(d / "results") + " --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(files_below(d / "results"),
            std::vector<std::string>{"adaptive_blur_imwh64x48_p_an.jpg"});
}

TEST(Cli, SavedDetectionsReplayToTheSameOutput) {
  TempDir d;
  write_image(d / "p.png", {160, 120});
  write_detections(d / "det.jsonl", 1, {160, 120}, "[10, 20, 49, 69]");
  auto r = la3d("anonymize " + quote(d / "p.png") + " -o " + quote(d / "a.png") +
                " --mask ellipse --detections " + quote(d / "det.jsonl") + " --save-detections " +
                quote(d / "saved.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream f(d / "saved.jsonl");
  std::string line;
  std::getline(f, line);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["objects"][0]["box"], nlohmann::json({10, 20, 49, 69}));
  auto again = la3d("anonymize " + quote(d / "p.png") + " -o " + quote(d / "b.png") +
                    " --mask ellipse --detections " + quote(d / "saved.jsonl"));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(cv::norm(cv::imread((d / "a.png").string()), cv::imread((d / "b.png").string()),
                     cv::NORM_INF),
            0);
}

TEST(Cli, FileUrlIsAVideoWithItsAudio) {
  TempDir d;
  make_video(d / "in.mp4", "25", 25, true, "libx264");
  write_detections(d / "det.jsonl", 25, {160, 120});
  auto r = la3d("anonymize file://" + (d / "in.mp4").string() + " -o " + quote(d / "out.mkv") +
                " --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(probe(d / "out.mkv", "v:0", "nb_read_frames", true), "25");
  EXPECT_EQ(probe(d / "out.mkv", "a", "codec_name"), "aac");
}

TEST(Cli, SeveralInputsGoIntoTheOutputFolderAndOddSizesEncode) {
  TempDir d;
  make_video(d / "a.mp4", "25", 8, false, "libx264");
  make_video(d / "b.mp4", "25", 8, false, "libx264");
  auto r = la3d("anonymize " + quote(d / "a.mp4") + " " + quote(d / "b.mp4") + " -o " +
                quote(d / "out") + " -is 161 121 --method no-an");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(files_below(d / "out"), (std::vector<std::string>{"a.mp4", "b.mp4"}));
  EXPECT_EQ(probe(d / "out" / "a.mp4", "v:0", "width,height,nb_read_frames", true), "161,121,8");
}

// A folder as a new user has one: images, videos and other files, some in sub-folders.
TEST(Cli, FolderTakesVideosReportsWhatItSkipsAndCountsFiles) {
  TempDir d;
  write_image(d / "in" / "a.png", {64, 48});
  fs::create_directories(d / "in" / "sub");
  make_video(d / "in" / "sub" / "c.mp4", "25", 6, false, "libx264");
  { std::ofstream(d / "in" / "notes.txt") << "not media"; }
  { std::ofstream(d / "in" / ".hidden.png") << "dot files are not looked at"; }
  const std::string cmd = std::string("env -u DISPLAY ") + LA3D_BINARY + " anonymize " +
                          quote(d / "in") + " -o " + quote(d / "out") + " --method no-an";
  auto r = run(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(files_below(d / "out"), (std::vector<std::string>{"a.png", "sub/c.mp4"}));
  EXPECT_EQ(probe(d / "out" / "sub" / "c.mp4", "v:0", "nb_read_frames", true), "6");
  EXPECT_NE(
      r.out.find("la3d: skipped " + (d / "in" / "notes.txt").string() + ": not an image or video"),
      std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find(".hidden"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file 1/2: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file 2/2: "), std::string::npos) << r.out;
  // A folder of things that are not media says so.
  fs::create_directories(d / "empty");
  { std::ofstream(d / "empty" / "x.txt") << "x"; }
  auto e = la3d("anonymize " + quote(d / "empty") + " --method no-an");
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_NE(e.out.find("no images or videos found in folder"), std::string::npos) << e.out;
}

// Outputs that exist are never replaced silently: refused unless -y, skipped with --no-clobber.
TEST(Cli, ExistingOutputsNeedOverwriteOrAreSkipped) {
  TempDir d;
  write_image(d / "p.png", {64, 48});
  write_image(d / "q.png", {64, 48});
  { std::ofstream(d / "o.png") << "precious"; }
  auto r =
      la3d("anonymize " + quote(d / "p.png") + " -o " + quote(d / "o.png") + " --method no-an");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("la3d: error: the output " + (d / "o.png").string() +
                       " exists (-y overwrites it, --no-clobber skips it)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(la3d::read_file(d / "o.png").value(), "precious");
  auto y =
      la3d("anonymize " + quote(d / "p.png") + " -o " + quote(d / "o.png") + " --method no-an -y");
  ASSERT_EQ(y.exit_code, 0) << y.out;
  EXPECT_EQ(cv::imread((d / "o.png").string()).size(), cv::Size(64, 48));
  // --no-clobber: the folder's existing output is kept and reported, the new one written.
  fs::create_directories(d / "out");
  { std::ofstream(d / "out" / "p.png") << "kept"; }
  fs::create_directories(d / "in");
  fs::copy_file(d / "p.png", d / "in" / "p.png");
  fs::copy_file(d / "q.png", d / "in" / "q.png");
  // A skipped input is not even read: a damaged one whose output exists does not stop the run.
  { std::ofstream(d / "in" / "r.png") << "damaged"; }
  { std::ofstream(d / "out" / "r.png") << "kept too"; }
  auto n = la3d("anonymize " + quote(d / "in") + " -o " + quote(d / "out") +
                " --method no-an --no-clobber --json");
  ASSERT_EQ(n.exit_code, 0) << n.out;
  EXPECT_EQ(la3d::read_file(d / "out" / "p.png").value(), "kept");
  EXPECT_FALSE(cv::imread((d / "out" / "q.png").string()).empty());
  const auto json_start = n.out.find('{');
  ASSERT_NE(json_start, std::string::npos) << n.out;
  const auto j =
      nlohmann::json::parse(n.out.substr(json_start, n.out.find('\n', json_start) - json_start));
  EXPECT_EQ(j["outputs"], nlohmann::json::array({(d / "out" / "q.png").string()}));
  ASSERT_EQ(j["skipped"].size(), 2u);
  EXPECT_EQ(j["skipped"][0]["path"], (d / "in" / "p.png").string());
  EXPECT_EQ(j["skipped"][1]["path"], (d / "in" / "r.png").string());
  EXPECT_EQ(la3d::read_file(d / "out" / "r.png").value(), "kept too");
  EXPECT_NE(j["skipped"][0]["why"].get<std::string>().find("exists"), std::string::npos);
  EXPECT_EQ(j["frames"], 1);
  EXPECT_EQ(j["method"], "no-an");
  // The detections file follows the same rule (it cannot be skipped: refused unless -y).
  { std::ofstream(d / "det.jsonl") << "precious"; }
  auto det = la3d("anonymize " + quote(d / "p.png") + " -o " + quote(d / "o2.png") +
                  " --method no-an --save-detections " + quote(d / "det.jsonl"));
  EXPECT_EQ(det.exit_code, 1);
  EXPECT_NE(det.out.find("the --save-detections file " + (d / "det.jsonl").string() + " exists"),
            std::string::npos)
      << det.out;
  EXPECT_EQ(la3d::read_file(d / "det.jsonl").value(), "precious");
  EXPECT_FALSE(fs::exists(d / "o2.png"));
  // -y and --no-clobber contradict each other.
  EXPECT_EQ(la3d("anonymize " + quote(d / "in") + " -o " + quote(d / "out") +
                 " --method no-an -y --no-clobber")
                .exit_code,
            2);
}

// stdout carries only what a script reads: the paths, or with --json one JSON document; the
// no-an warning is on stderr.
TEST(Cli, StdoutIsForMachinesAndNoAnIsSaid) {
  TempDir d;
  write_image(d / "p.png", {64, 48});
  auto j = run(std::string(LA3D_BINARY) + " anonymize " + quote(d / "p.png") + " -o " +
               quote(d / "o.png") + " --method no-an --json 2>/dev/null | python3 -m json.tool");
  ASSERT_EQ(j.exit_code, 0) << j.out;
  EXPECT_NE(j.out.find("\"outputs\""), std::string::npos) << j.out;
  auto w = run("( " + std::string(LA3D_BINARY) + " anonymize " + quote(d / "p.png") + " -o " +
               quote(d / "o.png") + " --method no-an -y 2>&1 >/dev/null )");
  EXPECT_NE(w.out.find("la3d: warning: --method no-an hides nobody"), std::string::npos) << w.out;
}

// -fps resamples: 20 frames at 25 fps become 8 at 10 fps (frames 0, 2.5, 5, ... kept as shown).
TEST(Cli, FpsResamplesTheVideo) {
  TempDir d;
  make_video(d / "in.mp4", "25", 20, false, "libx264");
  auto r = la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "o.mp4") +
                " --method no-an --fps 10");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(probe(d / "o.mp4", "v:0", "nb_read_frames", true), "8");
  EXPECT_EQ(probe(d / "o.mp4", "v:0", "r_frame_rate"), "10/1");
  EXPECT_EQ(la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "p.mp4") +
                 " --method no-an --fps 0")
                .exit_code,
            2);
}

// More threads than cores are not asked of OpenCV's TBB, which would print its own warning.
TEST(Cli, ThreadsAboveTheCoresSayNothingForeign) {
  TempDir d;
  write_image(d / "p.png", {1280, 720});
  write_detections(d / "det.jsonl", 1, {1280, 720}, "[10, 10, 400, 700]");
  auto r = la3d("anonymize " + quote(d / "p.png") + " -o " + quote(d / "o.png") +
                " --method blur --threads 256 --detections " + quote(d / "det.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, (d / "o.png").string() + "\n");
}

TEST(Cli, UsageNamesTheProgramAndUnknownCommandsAreNamed) {
  auto u = run(std::string(LA3D_BINARY) + " frobnicate");
  EXPECT_EQ(u.exit_code, 2);
  EXPECT_EQ(u.out, "la3d: error: unknown command frobnicate (see la3d --help)\n");
  auto h = run(std::string(LA3D_BINARY) + " anonymize --help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("Usage: la3d anonymize [OPTIONS]"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("Exit status: 0 done; 1 error"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("130/143 interrupted"), std::string::npos) << h.out;
}

TEST(Cli, UnreadableInputIsReported) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  TempDir d;
  write_image(d / "p.png", {32, 32});
  fs::permissions(d / "p.png", fs::perms::none);
  auto r = la3d("anonymize " + quote(d / "p.png") + " -o " + quote(d / "o.png"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("cannot decode image"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "o.png"));
}

TEST(Cli, HoldMasksAFrameTheDetectionsFileMissed) {
  TempDir d;
  make_video(d / "in.mp4", "25", 10, false, "libx264");
  {
    std::ofstream f(d / "gap.jsonl");
    for (int i = 0; i < 10; ++i)
      if (i != 5)
        f << R"({"frame": )" << i
          << R"(, "width": 160, "height": 120, "objects": [{"class": "person", "box": [0, 0, 79, 119]}]})"
          << "\n";
  }
  auto dark_left_half = [&](const fs::path& video) {
    std::vector<bool> dark;
    cv::VideoCapture cap(video.string());
    for (cv::Mat f; cap.read(f);) dark.push_back(cv::mean(f(cv::Rect(0, 0, 80, 120)))[0] < 3.0);
    return dark;
  };
  const std::string base = "anonymize " + quote(d / "in.mp4") +
                           " --method mask --crf 0 --detections " + quote(d / "gap.jsonl");
  ASSERT_EQ(la3d(base + " -o " + quote(d / "as_given.mp4")).exit_code, 0);
  ASSERT_EQ(la3d(base + " -o " + quote(d / "held.mp4") + " --hold 2").exit_code, 0);
  const auto given = dark_left_half(d / "as_given.mp4"), held = dark_left_half(d / "held.mp4");
  ASSERT_EQ(given.size(), 10u);
  ASSERT_EQ(held.size(), 10u);
  EXPECT_FALSE(given[5]);  // --detections are taken as they are by default
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(held[i]) << "frame " << i;
}

TEST(Cli, MotionGuardHidesWhatTheDetectionsMiss) {
  // A red block crossing a still textured scene; the detections file has nobody in it.
  TempDir d;
  const cv::Size size(160, 120);
  const cv::Mat background = textured_frame(size, 9);
  auto block = [](int i) { return cv::Rect(10 + 6 * i, 40, 16, 30); };
  {
    cv::VideoWriter w((d / "in.avi").string(), cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 10,
                      size);
    ASSERT_TRUE(w.isOpened());
    for (int i = 0; i < 15; ++i) {
      cv::Mat f = background.clone();
      f(block(i)).setTo(cv::Scalar(0, 0, 255));
      w.write(f);
    }
  }
  {
    std::ofstream f(d / "nobody.jsonl");
    for (int i = 0; i < 15; ++i)
      f << R"({"frame": )" << i << R"(, "width": 160, "height": 120, "objects": []})"
        << "\n";
  }
  const std::string base = "anonymize " + quote(d / "in.avi") +
                           " --method mask --codec ffv1 --detections " + quote(d / "nobody.jsonl");
  ASSERT_EQ(la3d(base + " -o " + quote(d / "plain.mkv")).exit_code, 0);
  auto r = la3d(base + " --motion-guard -o " + quote(d / "guarded.mkv"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto block_visible = [&](const fs::path& video) {
    std::vector<bool> seen;
    cv::VideoCapture cap(video.string());
    cv::Mat f;
    for (int i = 0; cap.read(f); ++i) {
      cv::Mat1b red;
      cv::inRange(f(block(i)), cv::Scalar(0, 0, 200), cv::Scalar(60, 60, 255), red);
      seen.push_back(2 * size_t(cv::countNonZero(red)) > red.total());
    }
    return seen;
  };
  const auto plain = block_visible(d / "plain.mkv"), guarded = block_visible(d / "guarded.mkv");
  ASSERT_EQ(plain.size(), 15u);
  ASSERT_EQ(guarded.size(), 15u);
  for (int i = 0; i < 15; ++i) EXPECT_TRUE(plain[i]) << "frame " << i;
  // Frame 0 is where the background model starts; from frame 1 on the block is hidden.
  EXPECT_TRUE(guarded[0]);
  for (int i = 1; i < 15; ++i) EXPECT_FALSE(guarded[i]) << "frame " << i;
  EXPECT_NE(la3d(base + " --motion-guard --motion-min-area 1.5 -o " + quote(d / "x.mkv")).exit_code,
            0);
}

// An image is measured 50 times; its detections (frame 0) apply to every repetition.
TEST(Cli, BenchReplaysAnImagesDetectionsOnEveryRepetition) {
  TempDir d;
  write_image(d / "p.png", {160, 120});
  write_detections(d / "det.jsonl", 1, {160, 120});
  auto b = run(std::string(LA3D_BINARY) + " bench " + quote(d / "p.png") +
               " --json --method blur --detections " + quote(d / "det.jsonl") + " 2>/dev/null");
  ASSERT_EQ(b.exit_code, 0) << b.out;
  const auto j = nlohmann::json::parse(b.out);
  EXPECT_EQ(j["frames"], 50);
  EXPECT_EQ(j["detections"], 50);
}

TEST(Cli, MethodsVersionAndBench) {
  auto m = run(std::string(LA3D_BINARY) + " methods");
  ASSERT_EQ(m.exit_code, 0);
  EXPECT_EQ(std::count(m.out.begin(), m.out.end(), '\n'), 10);
  EXPECT_NE(m.out.find("adaptive_max_pixelization"), std::string::npos);
  auto v = run(std::string(LA3D_BINARY) + " --version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("la3d "), std::string::npos);

  TempDir d;
  make_video(d / "in.mp4", "25", 10, false, "libx264");
  auto b = run(std::string(LA3D_BINARY) + " bench " + quote(d / "in.mp4") +
               " --json --method blur --detector hog");
  ASSERT_EQ(b.exit_code, 0) << b.out;
  const auto j = nlohmann::json::parse(b.out);
  EXPECT_EQ(j["frames"], 10);
  for (const char* stage : {"decode", "detect", "anonymize", "encode"}) {
    EXPECT_GE(j["stages"][stage]["median_ms"].get<double>(), 0.0);
    EXPECT_GE(j["stages"][stage]["p95_ms"].get<double>(),
              j["stages"][stage]["median_ms"].get<double>());
  }
  EXPECT_GT(j["peak_rss_mib"].get<double>(), 0.0);
  EXPECT_TRUE(files_below(d.path()) == std::vector<std::string>{"in.mp4"});
}

// --- Bad input: one line naming the problem, non-zero exit, nothing written. ---

struct BadCase {
  std::string name, args, expect;
};

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, OneClearLineAndNoOutput) {
  TempDir d;
  make_video(d / "in.mp4", "25", 10, false, "libx264");
  write_image(d / "p.png", {64, 48});
  std::ofstream(d / "broken.mp4") << "this is not a video";
  std::ofstream(d / "broken.jpg") << "this is not an image";
  std::ofstream(d / "bad.jsonl")
      << R"({"frame": 0, "width": 160, "height": 120, "objects": []})"
      << "\n"
      << R"({"frame": 1, "width": 160, "height": 120, "objects": [{"class": "person", "box": [1]}]})"
      << "\n";
  std::ofstream(d / "late.jsonl") << R"({"frame": 0, "width": 160, "height": 120, "objects": []})"
                                  << "\n"
                                  << R"({"frame": 5, "width": 99, "height": 120, "objects": []})"
                                  << "\n";
  std::ofstream(d / "afile") << "x";
  std::string args = GetParam().args;
  for (std::string::size_type k; (k = args.find("$D")) != std::string::npos;)
    args.replace(k, 2, d.path().string());
  const auto before = files_below(d.path());
  // An empty model cache: errors about the input must not depend on what is installed.
  auto r = run("LA3D_CACHE_DIR=" + quote(d / "no-cache") + " env -u DISPLAY -u WAYLAND_DISPLAY " +
               std::string(LA3D_BINARY) + " " + args + " --quiet");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("la3d: error: ", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find(GetParam().expect), std::string::npos) << r.out;
  EXPECT_EQ(files_below(d.path()), before) << "something was left behind";
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadInput,
    ::testing::Values(
        BadCase{"MissingInput", "anonymize $D/nope.mp4 -o $D/o.mp4", "input not found"},
        BadCase{"NoInput", "anonymize", "no input"},
        BadCase{"CorruptVideo", "anonymize $D/broken.mp4 -o $D/o.mp4 --method no-an",
                "cannot open video"},
        BadCase{"CorruptImage", "anonymize $D/broken.jpg -o $D/o.jpg --method no-an",
                "cannot decode image"},
        BadCase{"UnknownMethod", "anonymize $D/p.png -o $D/o.png --method smudge",
                "unknown AN method 'smudge'"},
        BadCase{"UnknownClass", "anonymize $D/p.png -o $D/o.png --classes person dragon",
                "unknown class 'dragon'"},
        BadCase{"ZeroSize", "anonymize $D/p.png -o $D/o.png -is 0 240", "input size"},
        BadCase{"HalfASize", "anonymize $D/p.png -o $D/o.png --detect-size 320", "detect-size"},
        BadCase{"NotANumberSize", "anonymize $D/p.png -o $D/o.png -is wide 240", "input-size"},
        BadCase{"ThresholdAboveOne", "anonymize $D/p.png -o $D/o.png -odt 1.5", "threshold"},
        BadCase{"BadBound", "anonymize $D/p.png -o $D/o.png -anl 2", "-anl"},
        BadCase{"MalformedDetections", "anonymize $D/in.mp4 -o $D/o.mp4 --detections $D/bad.jsonl",
                "line 2"},
        BadCase{"DetectorFailsMidVideo",
                "anonymize $D/in.mp4 -o $D/o.mp4 --detections $D/late.jsonl", "frame 5"},
        BadCase{"UnwritableOutput", "anonymize $D/in.mp4 -o $D/afile/o.mp4 --method no-an",
                "cannot create output folder"},
        BadCase{"OverwriteInput", "anonymize $D/p.png -o $D/p.png --method no-an",
                "overwrite the input"},
        BadCase{"ImageToVideoName", "anonymize $D/p.png -o $D/o.mp4 --method no-an",
                "must be an image"},
        BadCase{"UnknownCodec", "anonymize $D/in.mp4 -o $D/o.mp4 --method no-an --codec nocodec",
                "encoder 'nocodec'"},
        BadCase{"PreviewWithoutDisplay", "anonymize $D/p.png -o $D/o.png -v", "needs a display"},
        BadCase{"DetectEveryZero", "anonymize $D/p.png -o $D/o.png --detect-every 0",
                "--detect-every"},
        BadCase{"ModelMissing", "anonymize $D/p.png -o $D/o.png --detector nanodet",
                "la3d models install"},
        BadCase{"UnknownDetector", "anonymize $D/p.png -o $D/o.png --detector yolo9000",
                "unknown detector"},
        BadCase{"VadModeWithoutCheckpoint", "-a an-ad -id $D/in.mp4", "PEL4VAD-XD"},
        // The privacy floor: each of these used to leave the person's box unchanged, exit 0.
        BadCase{"AlphaZero", "anonymize $D/p.png -o $D/o.png --method mask --alpha 0",
                "--alpha 0 is below the privacy floor"},
        BadCase{"BlurKernelOne", "anonymize $D/p.png -o $D/o.png --method blur --blur-kernel 1",
                "--blur-kernel 1 is below the privacy floor"},
        BadCase{"BlockOne", "anonymize $D/p.png -o $D/o.png --method pixelization --block 1",
                "--block 1 is below the privacy floor"},
        BadCase{"TinyBound", "anonymize $D/p.png -o $D/o.png --an-bound 1e-6",
                "--an-bound (a_d) 1e-06 is below the privacy floor"},
        BadCase{"ShrunkMasks", "anonymize $D/p.png -o $D/o.png --mask-scale 0.5", "--mask-scale"},
        BadCase{"HighThreshold", "anonymize $D/p.png -o $D/o.png -odt 0.9", "threshold of 0.9"},
        BadCase{"NoPeopleClass", "anonymize $D/p.png -o $D/o.png --classes car",
                "neither person nor face"},
        BadCase{"ServeBelowTheFloor", "serve --source $D/in.mp4 --method mask --alpha 0.5 --port 0",
                "--alpha 0.5 is below the privacy floor"},
        BadCase{"ServeHasNoAllowWeak", "serve --source $D/in.mp4 --allow-weak --port 0",
                "--allow-weak"},
        BadCase{"HugeWebcamIndex", "anonymize webcam:99999999999 -o $D/w.mp4 --method no-an",
                "bad webcam spec"},
        BadCase{"LiveWithoutOutput", "anonymize rtsp://127.0.0.1:1/none --method no-an",
                "cannot open video"}),
    [](const auto& info) { return info.param.name; });

// --allow-weak runs below the floor, and says so on every run.
TEST(Cli, AllowWeakRunsWithAWarning) {
  TempDir d;
  write_image(d / "p.png", {160, 120});
  write_detections(d / "det.jsonl", 1, {160, 120});
  for (int run = 0; run < 2; ++run) {
    auto r = la3d("anonymize " + quote(d / "p.png") + " -o " +
                  quote(d / ("o" + std::to_string(run) + ".png")) + " --detections " +
                  quote(d / "det.jsonl") + " --method mask --alpha 0 --allow-weak");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("warning: --alpha 0 is below the privacy floor"), std::string::npos)
        << r.out;
  }
  EXPECT_TRUE(fs::exists(d / "o1.png"));
}

TEST(Cli, MaskFrameCoversFramesWhoseDetectionFailed) {
  TempDir d;
  make_video(d / "in.mp4", "25", 10, false, "libx264");
  std::ofstream(d / "late.jsonl") << R"({"frame": 5, "width": 99, "height": 120, "objects": []})"
                                  << "\n";
  auto r = la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "o.mp4") +
                " --detections " + quote(d / "late.jsonl") + " --on-detector-error mask-frame");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  cv::VideoCapture cap((d / "o.mp4").string());
  cv::Mat f;
  for (int i = 0; cap.read(f); ++i) {
    if (i == 5)
      EXPECT_LT(cv::mean(f)[0] + cv::mean(f)[1] + cv::mean(f)[2], 6.0);
    else
      EXPECT_GT(cv::mean(f)[0], 30.0) << i;
  }
}

}  // namespace
}  // namespace la3d::test

namespace la3d::test {
namespace {

// --- Outputs that clobber or half-exist (each used to: exit 0 having replaced the input, keep the
// video of a failed run, ignore signals on folders, or write a 1-frame "result"). ---

// la3d started in the background, its output to a file; wait() gives the exit status.
struct Background {
  pid_t pid = -1;
  explicit Background(const std::string& args, const fs::path& log) {
    pid = fork();
    if (pid == 0) {
      const std::string cmd =
          "exec " + std::string(LA3D_BINARY) + " " + args + " > " + quote(log) + " 2>&1";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  int wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

// Waits up to 20 s for a file whose name contains `part` below `dir`.
bool wait_for_file(const fs::path& dir, const std::string& part) {
  for (int i = 0; i < 2000; ++i) {
    std::error_code ec;
    if (fs::is_directory(dir, ec))
      for (const std::string& f : files_below(dir))
        if (f.find(part) != std::string::npos) return true;
    usleep(10000);
  }
  return false;
}

TEST(Outputs, SaveDetectionsMayNotReplaceTheInputOrTheOutput) {
  TempDir d;
  make_video(d / "in.mp4", "25", 5, false, "libx264");
  write_detections(d / "det.jsonl", 5, {160, 120});
  const std::string size_before = probe(d / "in.mp4", "v:0", "nb_frames");
  for (const std::string target : {"in.mp4", "out.mp4"}) {
    auto r =
        la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "out.mp4") + " --detections " +
             quote(d / "det.jsonl") + " --save-detections " + quote(d / target));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("would overwrite"), std::string::npos) << r.out;
  }
  EXPECT_EQ(probe(d / "in.mp4", "v:0", "nb_frames"), size_before);  // still the video
  EXPECT_EQ(files_below(d.path()), (std::vector<std::string>{"det.jsonl", "in.mp4"}));
}

TEST(Outputs, TwoInputsNamedAlikeIntoOneFolderAreRefused) {
  TempDir d;
  write_image(d / "a" / "x.png", {64, 48});
  write_image(d / "b" / "x.png", {64, 48});
  std::ofstream(d / "none.jsonl") << "";
  auto r = la3d("anonymize " + quote(d / "a" / "x.png") + " " + quote(d / "b" / "x.png") + " -o " +
                quote(d / "out") + " --method mask --detections " + quote(d / "none.jsonl"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("would overwrite the output"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "out" / "x_anonymized.png"));
  EXPECT_FALSE(fs::exists(d / "out" / "x.png"));
}

// The detections file cannot be put in place (a folder stands at its name): the video, written
// first, must not be kept either.
TEST(Outputs, ARunWritesAllItsOutputsOrNone) {
  TempDir d;
  make_video(d / "in.mp4", "25", 5, false, "libx264");
  write_detections(d / "det.jsonl", 5, {160, 120});
  fs::create_directories(d / "saved.jsonl" / "occupied");
  auto r =
      la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "out.mp4") + " --detections " +
           quote(d / "det.jsonl") + " --save-detections " + quote(d / "saved.jsonl"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_FALSE(fs::exists(d / "out.mp4"));
  EXPECT_TRUE(fs::is_directory(d / "saved.jsonl"));
  EXPECT_EQ(files_below(d.path()), (std::vector<std::string>{"det.jsonl", "in.mp4"}));
}

// SIGKILL cannot be caught: the partial it leaves is removed by the next run into that folder.
TEST(Outputs, PartialsOfAKilledRunAreRemovedByTheNext) {
  TempDir d;
  make_video(d / "in.mp4", "25", 600, false, "libx264");
  write_detections(d / "det.jsonl", 600, {160, 120});
  fs::create_directories(d / "out");
  Background run("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "out" / "a.mp4") +
                     " --detections " + quote(d / "det.jsonl") + " -q",
                 d / "log");
  ASSERT_TRUE(wait_for_file(d / "out", ".partial-"));
  kill(run.pid, SIGKILL);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
  ASSERT_EQ(files_below(d / "out").size(), 1u);  // the partial is there
  auto r = la3d("anonymize " + quote(d / "in.mp4") + " -o " + quote(d / "out" / "b.mp4") +
                " --detections " + quote(d / "det.jsonl") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(files_below(d / "out"), std::vector<std::string>{"b.mp4"});
}

struct SignalCase {
  std::string name;
  int signal;
  bool folder;
};
class Interrupted : public ::testing::TestWithParam<SignalCase> {};

// SIGINT and SIGTERM stop at the next image or frame, remove what was written, and exit 128 + N.
TEST_P(Interrupted, StopsRemovesItsOutputsAndExits128PlusTheSignal) {
  TempDir d;
  std::string input;
  if (GetParam().folder) {
    for (int i = 0; i < 150; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "img%03d.png", i);
      write_image(d / "in" / name, {640, 480});
    }
    input = quote(d / "in");
    std::ofstream(d / "det.jsonl") << "";
  } else {
    make_video(d / "in.mp4", "25", 600, false, "libx264");
    write_detections(d / "det.jsonl", 600, {160, 120});
    input = quote(d / "in.mp4");
  }
  Background run("anonymize " + input + " -o " +
                     quote(d / "out" / (GetParam().folder ? "" : "o.mp4")) +
                     " --method mask --detections " + quote(d / "det.jsonl") + " -q",
                 d / "log");
  ASSERT_TRUE(wait_for_file(d / "out", ".partial-"));
  kill(run.pid, GetParam().signal);
  EXPECT_EQ(run.wait(), 128 + GetParam().signal);
  std::ifstream log(d / "log");
  const std::string said((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(said.find("interrupted"), std::string::npos) << said;
  EXPECT_TRUE(!fs::exists(d / "out") || files_below(d / "out").empty())
      << files_below(d / "out").size() << " file(s) left";
}
INSTANTIATE_TEST_SUITE_P(Outputs, Interrupted,
                         ::testing::Values(SignalCase{"FolderSigint", SIGINT, true},
                                           SignalCase{"FolderSigterm", SIGTERM, true},
                                           SignalCase{"VideoSigint", SIGINT, false},
                                           SignalCase{"VideoSigterm", SIGTERM, false}),
                         [](const auto& info) { return info.param.name; });

// A faststart MP4 cut at half its size decodes about half its frames and then "ends".
TEST(Outputs, ATruncatedVideoIsNotAResult) {
  TempDir d;
  const auto made =
      run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=160x120:rate=25 -frames:v 50 "
          "-c:v libx264 -pix_fmt yuv420p -movflags +faststart " +
          quote(d / "full.mp4"));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  {
    std::ifstream in(d / "full.mp4", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(d / "cut.mp4", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  fs::remove(d / "full.mp4");
  write_detections(d / "det.jsonl", 50, {160, 120});
  const std::string common =
      "anonymize " + quote(d / "cut.mp4") + " --detections " + quote(d / "det.jsonl");
  auto r = la3d(common + " -o " + quote(d / "o.mp4"));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("of its 50 frames"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "o.mp4"));
  r = la3d(common + " -o " + quote(d / "kept.mp4") + " --allow-truncated");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const int kept = std::stoi(probe(d / "kept.mp4", "v:0", "nb_read_frames", true));
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 50);
}

}  // namespace
}  // namespace la3d::test

namespace la3d::test {
namespace {

// `cmake --install` puts the binary, the bash completion and (with help2man) the man page in
// place; the completion completes subcommands and a subcommand's options from la3d's own help.
TEST(Install, BinaryCompletionAndManPage) {
  TempDir d;
  const auto r = run("cmake --install " + quote(LA3D_BUILD_DIR) + " --prefix " + quote(d.path()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(fs::exists(d / "bin" / "la3d"));
  const fs::path completion = d / "share" / "bash-completion" / "completions" / "la3d";
  ASSERT_TRUE(fs::exists(completion));
  auto complete = [&](const std::string& words, int cword) {
    return run("bash -c " +
               quote("source " + completion.string() + "; COMP_WORDS=(" + words +
                     "); COMP_CWORD=" + std::to_string(cword) +
                     "; _la3d; echo \"${COMPREPLY[@]}\""))
        .out;
  };
  const std::string bin = (d / "bin" / "la3d").string();
  EXPECT_EQ(complete(bin + " pri", 1), "privacy\n");
  const std::string opts = complete(bin + " anonymize --strength", 2);
  EXPECT_EQ(opts, "--strength-reference\n");
  if (fs::exists(fs::path(LA3D_BUILD_DIR) / "la3d.1")) {
    const auto man = read_file(d / "share" / "man" / "man1" / "la3d.1");
    ASSERT_TRUE(man.ok());
    EXPECT_NE(man->find("la3d privacy"), std::string::npos);
    EXPECT_NE(man->find("--strength-reference"), std::string::npos);
  }
}

}  // namespace
}  // namespace la3d::test
