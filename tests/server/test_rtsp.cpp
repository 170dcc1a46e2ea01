// The RTSP re-stream read back by FFmpeg over loopback: what arrives is what was pushed (the
// anonymized frames), a token is asked for when set, and a stalled viewer holds up nobody.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <thread>

#include "la3d/server/rtsp.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool ffmpeg_missing() {
  return test::run("command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null").exit_code != 0;
}

// `n` frames of the stream at `url` as BGR arrays (empty when FFmpeg fails).
std::vector<cv::Mat> read_rtsp(const std::string& url, int n, cv::Size size, const fs::path& dir) {
  const fs::path raw = dir / ("read" + std::to_string(std::rand()) + ".raw");
  auto r = test::run("timeout 30 ffmpeg -v error -rtsp_transport tcp -i '" + url + "' -frames:v " +
                     std::to_string(n) + " -f rawvideo -pix_fmt bgr24 -y " + test::quote(raw));
  std::vector<cv::Mat> frames;
  if (r.exit_code != 0) return frames;
  std::ifstream f(raw, std::ios::binary);
  const size_t bytes = size_t(size.area()) * 3;
  std::vector<char> buf(bytes);
  while (f.read(buf.data(), std::streamsize(bytes)))
    frames.push_back(cv::Mat(size, CV_8UC3, buf.data()).clone());
  return frames;
}

// What a live session would push: the left half masked (black), the right half the scene.
cv::Mat anonymized_frame(cv::Size size, int i) {
  cv::Mat f = test::textured_frame(size, 1 + i % 5) | cv::Scalar::all(60);
  f(cv::Rect(0, 0, size.width / 2, size.height)).setTo(cv::Scalar::all(0));
  return f;
}

// Pushes frames at `fps` until destroyed.
class Pusher {
 public:
  Pusher(RtspServer& server, std::string name, cv::Size size, double fps)
      : thread_([&server, name, size, fps, this] {
          for (int i = 0; !stop_; ++i) {
            ok_ = ok_ && bool(server.push(name, anonymized_frame(size, i)));
            std::this_thread::sleep_for(std::chrono::microseconds(int(1e6 / fps)));
          }
        }) {}
  ~Pusher() {
    stop_ = true;
    thread_.join();
  }
  bool ok() const { return ok_; }

 private:
  std::atomic<bool> stop_{false}, ok_{true};
  std::thread thread_;
};

// Median spacing of the first `n` frame times of the stream at `url`, in seconds (0 on failure).
double median_frame_spacing(const std::string& url, int n) {
  auto r = test::run("timeout 30 ffprobe -v error -rtsp_transport tcp -i '" + url +
                     "' -select_streams v -read_intervals %+#" + std::to_string(n) +
                     " -show_entries frame=pts_time -of csv=p=0");
  std::vector<double> t;
  std::istringstream lines(r.out);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty() && std::isdigit(static_cast<unsigned char>(l[0]))) t.push_back(std::stod(l));
  if (t.size() < 10) return 0;
  std::vector<double> dt;
  for (size_t i = 1; i < t.size(); ++i) dt.push_back(t[i] - t[i - 1]);
  std::nth_element(dt.begin(), dt.begin() + dt.size() / 2, dt.end());
  return dt[dt.size() / 2];
}

TEST(Rtsp, ServesWhatWasPushedAndRefusesWhatDoesNotFit) {
  if (ffmpeg_missing()) GTEST_SKIP() << "ffmpeg is not installed";
  test::TempDir d;
  RtspOptions o;
  o.port = 0;
  auto server = RtspServer::start(o);
  ASSERT_TRUE(server) << server.error().message;
  const cv::Size size(160, 120);
  ASSERT_TRUE(server.value()->add_camera("gate", size, 25));
  EXPECT_FALSE(server.value()->add_camera("gate", size, 25));            // two of one name
  EXPECT_FALSE(server.value()->add_camera("a/b", size, 25));             // not a path level
  EXPECT_FALSE(server.value()->push("gate", cv::Mat(10, 10, CV_8UC3)));  // wrong size
  EXPECT_FALSE(server.value()->push("nobody", anonymized_frame(size, 0)));
  EXPECT_TRUE(server.value()->push("gate", anonymized_frame(size, 0)));  // no viewer: dropped
  Pusher pusher(*server.value(), "gate", size, 25);
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(server.value()->port()) + "/gate";
  const auto frames = read_rtsp(url, 30, size, d.path());
  ASSERT_EQ(frames.size(), 30u);
  for (const cv::Mat& f : frames) {
    EXPECT_LT(cv::mean(f(cv::Rect(0, 0, 76, 120)))[0], 6.0);  // the masked half stays masked
    EXPECT_GT(cv::mean(f(cv::Rect(84, 0, 76, 120)))[0], 60.0);
  }
  // The stream's frame times follow the source's rate (40 ms apart at 25 fps).
  EXPECT_NEAR(median_frame_spacing(url, 40), 0.040, 0.015);
  EXPECT_TRUE(pusher.ok());
}

TEST(Rtsp, AsksForTheTokenWhenOneIsSet) {
  if (ffmpeg_missing()) GTEST_SKIP() << "ffmpeg is not installed";
  test::TempDir d;
  RtspOptions o;
  o.port = 0;
  o.token = "0123456789abcdef0123";
  auto server = RtspServer::start(o);
  ASSERT_TRUE(server) << server.error().message;
  const cv::Size size(64, 48);
  ASSERT_TRUE(server.value()->add_camera("cam", size, 25));
  Pusher pusher(*server.value(), "cam", size, 25);
  const std::string port = std::to_string(server.value()->port());
  EXPECT_TRUE(read_rtsp("rtsp://127.0.0.1:" + port + "/cam", 5, size, d.path()).empty());
  EXPECT_TRUE(read_rtsp("rtsp://la3d:wrong@127.0.0.1:" + port + "/cam", 5, size, d.path()).empty());
  EXPECT_EQ(
      read_rtsp("rtsp://la3d:" + o.token + "@127.0.0.1:" + port + "/cam", 5, size, d.path()).size(),
      5u);
}

TEST(Rtsp, AStalledViewerHoldsUpNobody) {
  if (ffmpeg_missing()) GTEST_SKIP() << "ffmpeg is not installed";
  test::TempDir d;
  RtspOptions o;
  o.port = 0;
  auto server = RtspServer::start(o);
  ASSERT_TRUE(server) << server.error().message;
  const cv::Size size(320, 240);
  ASSERT_TRUE(server.value()->add_camera("cam", size, 25));
  Pusher pusher(*server.value(), "cam", size, 25);
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(server.value()->port()) + "/cam";
  // A viewer that plays, then stops reading (SIGSTOP): its socket fills up.
  auto r = test::run("(exec ffmpeg -v error -rtsp_transport tcp -i '" + url +
                     "' -f null - ) >/dev/null 2>&1 & echo $!");
  const int stalled = std::atoi(r.out.c_str());
  ASSERT_GT(stalled, 0);
  std::this_thread::sleep_for(2s);
  ::kill(stalled, SIGSTOP);
  std::this_thread::sleep_for(3s);  // the stalled one's buffers fill
  // Another viewer still gets a stream that moves on, and so does the pushing.
  const auto frames = read_rtsp(url, 60, size, d.path());
  ::kill(stalled, SIGKILL);
  EXPECT_EQ(frames.size(), 60u);
  EXPECT_TRUE(pusher.ok());
}

TEST(Rtsp, ServeRestreamsOnlyTheAnonymizedFramesOfEachCamera) {
  if (ffmpeg_missing()) GTEST_SKIP() << "ffmpeg is not installed";
  test::TempDir d;
  const cv::Size size(160, 120);
  std::vector<cv::Mat> raw;
  for (int i = 0; i < 50; ++i) {
    // Smooth enough for H.264 to keep what is not hidden.
    cv::Mat f;
    cv::GaussianBlur(test::textured_frame(size, 1 + i % 4), f, {5, 5}, 1.5);
    raw.push_back(f);
  }
  // Two generated clips at 25 fps, the person in the left half of each.
  for (const char* clip : {"door.avi", "gate.avi"})
    ASSERT_TRUE(test::write_lossless_clip(d / clip, 50, size, 25, [&](int i) { return raw[i]; }));
  test::write_person_boxes(d / "people.jsonl", 50, size, {0, 0, 80, 120});
  const fs::path log = d / "serve.log";
  auto r = test::run("(exec env -u DISPLAY " + std::string(LA3D_BINARY) +
                     " serve --port 0 --rtsp-port 0 --source " + test::quote(d / "door.avi") +
                     " --source " + test::quote(d / "gate.avi") + " --detections " +
                     test::quote(d / "people.jsonl") + " --method mask --head off) > " +
                     test::quote(log) + " 2>&1 & echo $!");
  const int pid = std::atoi(r.out.c_str());
  std::map<std::string, std::string> urls;
  for (int i = 0; i < 200 && urls.size() < 2; ++i) {
    std::this_thread::sleep_for(50ms);
    std::ifstream f(log);
    for (std::string l; std::getline(f, l);)
      if (auto at = l.find("rtsp://"); at != std::string::npos)
        urls[l.substr(l.rfind('/') + 1)] = l.substr(at);
  }
  ASSERT_EQ(urls.size(), 2u) << "la3d serve did not name two RTSP streams";
  ASSERT_TRUE(urls.count("door") && urls.count("gate"));
  for (const auto& [camera, url] : urls) {
    const auto frames = read_rtsp(url, 20, size, d.path());
    ASSERT_EQ(frames.size(), 20u) << camera;
    for (const cv::Mat& f : frames) {
      // The person's half is masked (black); the rest is the scene, as close to one of the raw
      // frames as H.264 keeps it.
      EXPECT_LT(cv::mean(f(cv::Rect(0, 0, 78, 120)))[0], 6.0) << camera;
      double best_scene = 1e9;
      for (const cv::Mat& s : raw)
        best_scene = std::min(best_scene, cv::norm(f(cv::Rect(82, 0, 78, 120)),
                                                   s(cv::Rect(82, 0, 78, 120)), cv::NORM_L1) /
                                              (78 * 120 * 3));
      EXPECT_LT(best_scene, 6.0) << camera;
    }
  }
  // A viewer of one camera that stops reading (SIGSTOP) does not hold up the other camera, which
  // still arrives at its source's rate (frames 40 ms apart).
  r = test::run("(exec ffmpeg -v error -rtsp_transport tcp -i '" + urls["door"] +
                "' -f null - ) >/dev/null 2>&1 & echo $!");
  const int stalled = std::atoi(r.out.c_str());
  std::this_thread::sleep_for(1500ms);
  ::kill(stalled, SIGSTOP);
  std::this_thread::sleep_for(2s);
  EXPECT_NEAR(median_frame_spacing(urls["gate"], 40), 0.040, 0.015);
  EXPECT_EQ(read_rtsp(urls["gate"], 40, size, d.path()).size(), 40u);
  ::kill(stalled, SIGKILL);
  ::kill(pid, SIGTERM);
}

}  // namespace
}  // namespace la3d
