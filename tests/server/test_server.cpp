// The dashboard's routes, auth rules and validation, against a server on a free loopback port.
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "la3d/engine/pipeline.hpp"
#include "la3d/server/dashboard.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

// A request that did not complete (refused, timed out on a loaded machine) fails the test with the
// reason; dereferencing its empty result would crash the whole test binary instead.
httplib::Response must(const httplib::Result& r) {
  if (!r) {
    ADD_FAILURE() << "request failed: " << httplib::to_string(r.error());
    return {};
  }
  return *r;
}

std::string jpeg_of(const cv::Mat& m) {
  std::vector<uchar> b;
  cv::imencode(".jpg", m, b);
  return {b.begin(), b.end()};
}

struct Running {
  DashboardState state{"test source", "motion (training-free)", 0.5, AnParams{}};
  std::unique_ptr<DashboardServer> server;
  std::unique_ptr<httplib::Client> client;

  explicit Running(ServerOptions o = {}) {
    o.port = 0;
    server = std::make_unique<DashboardServer>(state, o);
    const Status s = server->start();
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    client->set_read_timeout(5, 0);
  }
  httplib::Response post(const std::string& body, const std::string& type = "application/json") {
    return must(client->Post("/api/config", body, type.c_str()));
  }
};

TEST(Server, StatusEventsScoresAndMetrics) {
  Running r;
  FrameStats st;
  st.people = 3;
  st.detect_ms = 12.5;
  r.state.publish_frame(jpeg_of(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(9))), st, 25);
  r.state.add_score({0, 15, 0.2f}, "", 25);
  r.state.add_score({1, 31, 0.8f}, jpeg_of(cv::Mat(12, 16, CV_8UC3)), 25);
  r.state.add_score({2, 47, 0.9f}, "", 25);  // the same event goes on
  auto s = must(r.client->Get("/api/status"));
  ASSERT_NE(s.status, -1);  // must() said why
  EXPECT_EQ(s.status, 200);
  const auto j = nlohmann::json::parse(s.body);
  EXPECT_EQ(j["people_hidden"], 3);
  EXPECT_EQ(j["config"]["method"], "adaptive_blur");
  EXPECT_DOUBLE_EQ(j["stages_ms"]["detect"].get<double>(), 12.5);
  EXPECT_EQ(j["vad"]["alert"], true);
  EXPECT_FALSE(s.has_header("Access-Control-Allow-Origin"));
  auto e = nlohmann::json::parse(must(r.client->Get("/api/events")).body);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["frame"], 31);
  EXPECT_FLOAT_EQ(e[0]["peak"].get<float>(), 0.9f);
  auto thumb = must(r.client->Get(e[0]["thumbnail"].get<std::string>()));
  ASSERT_NE(thumb.status, -1);  // must() said why
  EXPECT_EQ(thumb.status, 200);
  EXPECT_EQ(thumb.get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(must(r.client->Get("/api/events/99/thumbnail.jpg")).status, 404);
  auto sc = nlohmann::json::parse(must(r.client->Get("/api/scores?n=2")).body);
  EXPECT_EQ(sc["points"].size(), 2u);
  EXPECT_EQ(must(r.client->Get("/api/scores?n=0")).status, 400);
  EXPECT_EQ(must(r.client->Get("/api/scores?n=abc")).status, 400);
  const std::string m = must(r.client->Get("/metrics")).body;
  EXPECT_NE(m.find("# TYPE la3d_frames_total counter\nla3d_frames_total{camera=\"camera\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("la3d_stage_milliseconds{camera=\"camera\",stage=\"detect\"} 12.500000"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("la3d_anomaly_events_total{camera=\"camera\"} 1"), std::string::npos);
  auto nf = must(r.client->Get("/etc/passwd"));
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(must(r.client->Get("/../CMakeLists.txt")).status, 404);
  auto page = must(r.client->Get("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("/app.js"), std::string::npos);
  EXPECT_NE(must(r.client->Get("/app.js")).body.find("/stream.mjpg"), std::string::npos);
  EXPECT_EQ(must(r.client->Get("/vendor/uPlot.iife.min.js")).status, 200);
}

TEST(Server, SeveralCamerasEachAtTheirOwnPathAndInOneMetricsPage) {
  DashboardState gate("gate.mp4", "", 0.5, AnParams{}, "gate");
  DashboardState hall("rtsp://hall", "motion", 0.5, AnParams{}, "hall");
  ServerOptions o;
  o.port = 0;
  DashboardServer server({&gate, &hall}, o);
  ASSERT_TRUE(server.start());
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(5, 0);
  FrameStats st;
  st.people = 2;
  gate.publish_frame(jpeg_of(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(10))), st, 25);
  st.people = 5;
  hall.publish_frame(jpeg_of(cv::Mat(24, 32, CV_8UC3, cv::Scalar::all(200))), st, 10);
  hall.add_score({0, 15, 0.9f}, jpeg_of(cv::Mat(12, 16, CV_8UC3)), 10);
  hall.set_health("retrying", "connection refused");

  auto cams = nlohmann::json::parse(must(c.Get("/api/cameras")).body);
  ASSERT_EQ(cams.size(), 2u);
  EXPECT_EQ(cams[0]["camera"], "gate");
  EXPECT_EQ(cams[1]["camera"], "hall");
  EXPECT_EQ(cams[1]["people_hidden"], 5);
  EXPECT_EQ(cams[1]["health"]["state"], "retrying");
  EXPECT_EQ(nlohmann::json::parse(must(c.Get("/cam/hall/api/status")).body)["people_hidden"], 5);
  EXPECT_EQ(nlohmann::json::parse(must(c.Get("/cam/gate/api/status")).body)["people_hidden"], 2);
  EXPECT_EQ(nlohmann::json::parse(must(c.Get("/api/status")).body)["camera"], "gate");  // the first
  // Each camera's own frame, and its events with thumbnails under its path.
  auto f = must(c.Get("/cam/hall/frame.jpg"));
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(cv::imdecode(std::vector<uchar>(f.body.begin(), f.body.end()), cv::IMREAD_COLOR).cols,
            32);
  auto ev = nlohmann::json::parse(must(c.Get("/cam/hall/api/events")).body);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["camera"], "hall");
  EXPECT_EQ(must(c.Get(ev[0]["thumbnail"].get<std::string>())).status, 200);
  EXPECT_EQ(must(c.Get("/cam/gate/api/events/1/thumbnail.jpg")).status, 404);
  EXPECT_EQ(must(c.Get("/cam/nobody/api/status")).status, 404);
  EXPECT_EQ(must(c.Get("/cam/hall/")).status, 200);  // the detailed page for one camera
  // A setting sent to one camera reaches only that one.
  auto p = must(c.Post("/cam/hall/api/config", R"({"method": "mask"})", "application/json"));
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(hall.take_config().has_value());
  EXPECT_FALSE(gate.take_config().has_value());
  // One metrics page: each metric once, one sample per camera.
  const std::string m = must(c.Get("/metrics")).body;
  EXPECT_NE(m.find("la3d_frames_total{camera=\"gate\"} 1\nla3d_frames_total{camera=\"hall\"} 1\n"),
            std::string::npos)
      << m;
  size_t helps = 0;
  for (size_t at = m.find("# HELP la3d_frames_total"); at != std::string::npos;
       at = m.find("# HELP la3d_frames_total", at + 1))
    ++helps;
  EXPECT_EQ(helps, 1u);
  EXPECT_NE(m.find("la3d_camera_up{camera=\"hall\"} 0"), std::string::npos);
  server.stop();

  DashboardState twin("x", "", 0.5, AnParams{}, "gate");
  DashboardServer same({&gate, &twin}, o);
  EXPECT_FALSE(same.start());  // two cameras of one name
}

TEST(Server, ConfigIsValidated) {
  Running r;
  auto ok = r.post(R"({"method": "pixelization", "an_scale": 2.0, "an_bound": 0.25})");
  ASSERT_NE(ok.status, -1);  // must() said why
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto taken = r.state.take_config();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->method, Method::Pixelization);
  EXPECT_DOUBLE_EQ(taken->an_bound, 0.25);
  EXPECT_FALSE(r.state.take_config().has_value());  // taken once
  // The side-by-side view: on with a method, off with null; its frame is served only while on.
  EXPECT_EQ(must(r.client->Get("/compare.jpg")).status, 404);
  auto on = r.post(R"({"compare": "blur"})");
  EXPECT_EQ(on.status, 200);
  EXPECT_EQ(r.state.compare_method(), Method::Blur);
  r.state.publish_compare("jpeg bytes");
  EXPECT_EQ(must(r.client->Get("/compare.jpg")).body, "jpeg bytes");
  EXPECT_EQ(r.post(R"({"compare": "no-an"})").status, 400);
  EXPECT_EQ(r.post(R"({"compare": null})").status, 200);
  EXPECT_FALSE(r.state.compare_method().has_value());
  EXPECT_EQ(must(r.client->Get("/compare.jpg")).status, 404);
  r.state.take_config();
  const std::pair<std::string, std::string> bad[] = {{"{not json", "not valid JSON"},
                                                     {R"({"method": "no-an"})", "only anonymized"},
                                                     {R"({"method": "smudge"})", "smudge"},
                                                     {R"({"an_bound": 2})", "an_bound"},
                                                     {R"({"an_scale": -1})", "an_scale"},
                                                     {R"({"an_scale": "big"})", "number"},
                                                     {R"({"colour": "#fff"})", "unknown setting"},
                                                     {R"({"threshold": 1.5})", "threshold"},
                                                     {R"({"threshold": "high"})", "threshold"},
                                                     {R"([1, 2])", "object"}};
  for (const auto& [body, why] : bad) {
    auto res = r.post(body);
    ASSERT_NE(res.status, -1);  // must() said why
    EXPECT_EQ(res.status, 400) << body;
    EXPECT_NE(res.body.find(why), std::string::npos) << body << " -> " << res.body;
  }
  // The privacy floor holds for the page too, whatever the request: a 1 px adaptive kernel used to
  // serve the raw person.
  for (const char* weak : {R"({"an_bound": 0.001})", R"({"an_scale": 0.01})",
                           R"({"method": "adaptive_pixelization", "an_scale": 0.2})",
                           R"({"an_bound": 0.001, "compare": "adaptive_blur"})"}) {
    auto res = r.post(weak);
    ASSERT_NE(res.status, -1);  // must() said why
    EXPECT_EQ(res.status, 400) << weak;
    EXPECT_NE(res.body.find("privacy floor"), std::string::npos) << weak << " -> " << res.body;
  }
  EXPECT_FALSE(r.state.take_config().has_value());  // nothing bad got through
  // The alert threshold: taken at once, reported back and in the scores; no pixel changes.
  auto thr = r.post(R"({"threshold": 0.7})");
  ASSERT_NE(thr.status, -1);  // must() said why
  EXPECT_EQ(thr.status, 200) << thr.body;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(thr.body)["accepted"]["threshold"].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(
      nlohmann::json::parse(must(r.client->Get("/api/scores")).body)["threshold"].get<double>(),
      0.7);
  EXPECT_DOUBLE_EQ(r.state.status()["vad"]["threshold"].get<double>(), 0.7);
  EXPECT_EQ(r.post(R"({"method": "blur"})", "text/plain").status, 415);
  EXPECT_EQ(r.post(std::string(5000, ' ') + "{}").status, 413);
  httplib::Headers foreign{{"Origin", "http://evil.example"}};
  auto cross =
      must(r.client->Post("/api/config", foreign, R"({"method": "blur"})", "application/json"));
  EXPECT_EQ(cross.status, 403);
}

// A page elsewhere that reaches the loopback server by DNS rebinding sends its own Host name.
TEST(Server, OnlyServedHostNamesAreAnswered) {
  ServerOptions o;
  o.allowed_hosts = {"camera-box.lan"};
  Running r(o);
  const std::string port = std::to_string(r.server->port());
  auto with_host = [&](const std::string& host) {
    return must(r.client->Get("/api/status", {{"Host", host}, {"Origin", "http://" + host}}))
        .status;
  };
  EXPECT_EQ(with_host("evil.example:" + port), 403);
  EXPECT_EQ(with_host("127.0.0.1.evil.example:" + port), 403);
  EXPECT_EQ(with_host("127.0.0.1:" + port), 200);
  EXPECT_EQ(with_host("localhost:" + port), 200);
  EXPECT_EQ(with_host("LOCALHOST:" + port), 200);
  EXPECT_EQ(with_host("[::1]:" + port), 200);
  EXPECT_EQ(with_host("camera-box.lan:" + port), 200);
  auto post = must(r.client->Post("/api/config", {{"Host", "evil.example:" + port}},
                                  R"({"method": "blur"})", "application/json"));
  EXPECT_EQ(post.status, 403);
  EXPECT_FALSE(r.state.take_config().has_value());
}

// A raw loopback connection, for requests httplib's client would not send.
int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval t{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
  return fd;
}
std::string chunked_head(int port) {
  return "POST /api/config HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
}

TEST(Server, ChunkedBodiesAreLimitedToo) {
  Running r;
  const int port = r.server->port();
  // A small chunked body is read and taken.
  {
    const int fd = connect_to(port);
    const std::string body = R"({"method": "blur"})";
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    const std::string req = chunked_head(port) + size + "\r\n" + body + "\r\n0\r\n\r\n";
    ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), ssize_t(req.size()));
    char reply[512] = {0};
    ASSERT_GT(recv(fd, reply, sizeof reply - 1, 0), 0);
    EXPECT_EQ(std::string(reply).rfind("HTTP/1.1 200", 0), 0u) << reply;
    close(fd);
    EXPECT_EQ(r.state.take_config()->method, Method::Blur);
  }
  // A 256 MB chunked body is cut off after the limit: it used to be read whole into memory.
  const double rss_before = peak_rss_mib();
  const int fd = connect_to(port);
  std::string head = chunked_head(port);
  ASSERT_GT(send(fd, head.data(), head.size(), MSG_NOSIGNAL), 0);
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  size_t accepted = 0;
  for (int i = 0; i < 4096; ++i) {
    const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    accepted += size_t(n);
  }
  close(fd);
  // Socket buffers take a few MB before the server stops reading and closes.
  EXPECT_LT(accepted, 64u << 20) << "the server kept reading";
  EXPECT_LT(peak_rss_mib() - rss_before, 64.0);
  EXPECT_FALSE(r.state.take_config().has_value());
  // Other routes take no chunked body at all.
  EXPECT_EQ(must(r.client->Get("/api/status", {{"Transfer-Encoding", "chunked"}})).status, 411);
}

// With SO_REUSEPORT a second server on the same port started and took a share of the requests.
TEST(Server, ASecondServerOnABusyPortIsRefused) {
  Running first;
  DashboardState other_state{"other", "off", 0.5, AnParams{}};
  ServerOptions o;
  o.port = first.server->port();
  DashboardServer second(other_state, o);
  const Status s = second.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("in use"), std::string::npos) << s.error().message;
}

TEST(Server, TokenRules) {
  ServerOptions open_bind;
  open_bind.bind = "0.0.0.0";
  EXPECT_FALSE(validate(open_bind).ok());
  open_bind.token = "short";
  EXPECT_FALSE(validate(open_bind).ok());
  open_bind.token = "0123456789abcdef-secret";
  EXPECT_TRUE(validate(open_bind).ok());

  ServerOptions o;
  o.token = "0123456789abcdef-secret";
  Running r(o);
  EXPECT_EQ(must(r.client->Get("/api/status")).status, 401);
  EXPECT_EQ(must(r.client->Get("/stream.mjpg")).status, 401);
  EXPECT_EQ(must(r.client->Get("/")).status, 401);
  EXPECT_EQ(
      must(r.client->Get("/api/status", {{"Authorization", "Bearer wrong-wrong-wrong-x"}})).status,
      401);
  EXPECT_EQ(must(r.client->Get("/api/status", {{"Authorization", "Bearer " + o.token}})).status,
            200);
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_EQ(must(r.client->Get("/api/status", {{"Authorization", "bearer " + o.token}})).status,
            200);
  EXPECT_EQ(must(r.client->Get("/api/status", {{"Authorization", "BEARER " + o.token}})).status,
            200);
  EXPECT_EQ(must(r.client->Get("/api/status", {{"Cookie", "x=1; la3d_token=" + o.token}})).status,
            200);
  EXPECT_EQ(must(r.client->Get("/login?token=nope")).status, 401);
  auto login = must(r.client->Get("/login?token=" + o.token));
  EXPECT_EQ(login.status, 303);
  EXPECT_NE(login.get_header_value("Set-Cookie").find("HttpOnly"), std::string::npos);
}

TEST(Server, MjpegSendsTheNewestFrameAndASlowViewerStallsNothing) {
  Running r;
  // A viewer that connects and never reads.
  httplib::Client idle("127.0.0.1", r.server->port());
  std::thread stalled([&] {
    idle.set_read_timeout(3, 0);
    idle.Get("/stream.mjpg", [](const char*, size_t) { return true; });
  });
  // A reader that takes the first frame it gets.
  std::string got;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", r.server->port());
    c.set_read_timeout(5, 0);
    c.Get("/stream.mjpg", [&](const char* data, size_t n) {
      got.append(data, n);
      return got.find("\r\n\r\n") == std::string::npos || got.size() < 2000;
    });
  });
  const cv::Mat big = test::textured_frame({640, 480}, 2);
  const std::string jpeg = jpeg_of(big);
  // Publishing never waits for a viewer: 300 large frames go out while one viewer reads nothing.
  for (int i = 0; i < 300; ++i) {
    r.state.publish_frame(jpeg, FrameStats{}, 25);
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reader.join();
  EXPECT_EQ(nlohmann::json::parse(must(r.client->Get("/api/status")).body)["frames"], 300);
  ASSERT_GT(got.size(), 2000u);
  EXPECT_EQ(got.rfind("--la3dframe\r\nContent-Type: image/jpeg\r\nContent-Length: ", 0), 0u);
  const size_t start = got.find("\r\n\r\n") + 4;
  EXPECT_EQ(uchar(got[start]), 0xFF);  // a JPEG's SOI marker
  EXPECT_EQ(uchar(got[start + 1]), 0xD8);
  r.server->stop();
  stalled.join();
}

}  // namespace
}  // namespace la3d

namespace la3d {
namespace {

// `la3d serve` as a user runs it, reading the port it printed.
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& args) {
    const std::string cmd = "env -u DISPLAY " + std::string(LA3D_BINARY) + " serve --port 0 " +
                            args + " 2>&1 & echo PID $!";
    pipe_ = popen(cmd.c_str(), "r");
    char line[512];
    while (pipe_ && std::fgets(line, sizeof line, pipe_)) {
      const std::string l = line;
      if (l.rfind("PID ", 0) == 0) pid_ = std::stoi(l.substr(4));
      const auto at = l.find("http://127.0.0.1:");
      if (at != std::string::npos) {
        port_ = std::stoi(l.substr(at + 17));
        break;
      }
      output_ += l;
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    if (pipe_) pclose(pipe_);
  }
  int port() const { return port_; }
  const std::string& output() const { return output_; }

 private:
  FILE* pipe_ = nullptr;
  int pid_ = 0, port_ = 0;
  std::string output_;
};

TEST(Serve, OnlyAnonymizedFramesLeaveTheProcess) {
  test::TempDir d;
  const cv::Size size(160, 120);
  ASSERT_TRUE(test::write_lossless_clip(d / "clip.avi", 40, size, 25, [&](int) {
    return cv::Mat(test::textured_frame(size, 3) | cv::Scalar::all(40));
  }));
  test::write_person_boxes(d / "left.jsonl", 40, size, {0, 0, 80, 120});
  ServeProcess p("--source " + test::quote(d / "clip.avi") + " --detections " +
                 test::quote(d / "left.jsonl") + " --method mask --head off --jpeg-quality 95");
  ASSERT_GT(p.port(), 0) << p.output();
  httplib::Client c("127.0.0.1", p.port());
  c.set_read_timeout(5, 0);
  for (int k = 0; k < 3; ++k) {
    auto r = must(c.Get("/frame.jpg"));
    ASSERT_NE(r.status, -1);  // must() said why
    ASSERT_EQ(r.status, 200);
    const cv::Mat f =
        cv::imdecode(std::vector<uchar>(r.body.begin(), r.body.end()), cv::IMREAD_COLOR);
    ASSERT_EQ(f.size(), size);
    EXPECT_LT(cv::mean(f(cv::Rect(0, 0, 78, 120)))[0], 3.0);    // the person's half is masked
    EXPECT_GT(cv::mean(f(cv::Rect(82, 0, 78, 120)))[0], 40.0);  // the rest is the scene
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  auto s = nlohmann::json::parse(must(c.Get("/api/status")).body);
  EXPECT_EQ(s["vad"]["state"], "off");
  EXPECT_EQ(s["config"]["method"], "mask");
}

// one.avi and two.avi (160x120, 30 frames at 25 fps) and left.jsonl: a person in the left half
// of every frame.
bool two_clips_with_a_person_on_the_left(const fs::path& d) {
  const cv::Size size(160, 120);
  for (const char* name : {"one.avi", "two.avi"})
    if (!test::write_lossless_clip(d / name, 30, size, 25, [&](int) {
          return cv::Mat(test::textured_frame(size, 3) | cv::Scalar::all(40));
        }))
      return false;
  test::write_person_boxes(d / "left.jsonl", 30, size, {0, 0, 80, 120});
  return true;
}

TEST(Serve, SeveralSourcesRunSideBySideAndALostOneIsRetried) {
  test::TempDir d;
  ASSERT_TRUE(two_clips_with_a_person_on_the_left(d.path()));
  // Two files (one named on the command line, one after its file) and a live source that is
  // not there: it is retried while the others play.
  ServeProcess p("--source gate=" + test::quote(d / "one.avi") + " --source " +
                 test::quote(d / "two.avi") + " --source lost=rtsp://127.0.0.1:9/none" +
                 " --detections " + test::quote(d / "left.jsonl") + " --method mask --head off");
  ASSERT_GT(p.port(), 0) << p.output();
  httplib::Client c("127.0.0.1", p.port());
  c.set_read_timeout(5, 0);
  nlohmann::json cams;
  for (int i = 0; i < 50; ++i) {
    const auto r = c.Get("/api/cameras");  // a slow answer on a loaded machine: ask again
    if (!r) continue;
    cams = nlohmann::json::parse(r->body);
    if (cams.size() == 3 && cams[0]["fps"].get<double>() > 0 && cams[1]["fps"].get<double>() > 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(cams.size(), 3u);
  EXPECT_EQ(cams[0]["camera"], "gate");
  EXPECT_EQ(cams[1]["camera"], "two");
  EXPECT_EQ(cams[2]["camera"], "lost");
  EXPECT_EQ(cams[0]["health"]["state"], "running");
  EXPECT_EQ(cams[1]["health"]["state"], "running");
  EXPECT_EQ(cams[2]["health"]["state"], "retrying");
  for (const char* cam : {"gate", "two"}) {
    auto r = must(c.Get(std::string("/cam/") + cam + "/frame.jpg"));
    ASSERT_EQ(r.status, 200) << cam;
    const cv::Mat f =
        cv::imdecode(std::vector<uchar>(r.body.begin(), r.body.end()), cv::IMREAD_COLOR);
    EXPECT_LT(cv::mean(f(cv::Rect(0, 0, 78, 120)))[0], 3.0) << cam;  // masked in each camera
    EXPECT_GT(cv::mean(f(cv::Rect(82, 0, 78, 120)))[0], 40.0) << cam;
  }
  EXPECT_EQ(must(c.Get("/cam/lost/frame.jpg")).status, 503);  // nothing from it, ever un-hidden
  const std::string m = must(c.Get("/metrics")).body;
  EXPECT_NE(m.find("la3d_camera_up{camera=\"lost\"} 0"), std::string::npos) << m;
  EXPECT_NE(m.find("la3d_camera_up{camera=\"gate\"} 1"), std::string::npos) << m;
}

TEST(Serve, EachCameraTakesItsOwnSettingsFromTheCameraConfig) {
  test::TempDir d;
  ASSERT_TRUE(two_clips_with_a_person_on_the_left(d.path()));
  {
    std::ofstream(d / "cams.json")
        << R"({"cameras": {"b": {"method": "pixelization", "alert_threshold": 0.8}}})";
    std::ofstream(d / "noan.json") << R"({"cameras": {"b": {"method": "no-an"}}})";
    std::ofstream(d / "who.json") << R"({"cameras": {"c": {"method": "mask"}}})";
  }
  const std::string sources = " --source a=" + test::quote(d / "one.avi") +
                              " --source b=" + test::quote(d / "two.avi") + " --detections " +
                              test::quote(d / "left.jsonl") + " --method mask --head motion";
  auto r = test::la3d("serve" + sources + " --camera-config " + test::quote(d / "noan.json"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("b: la3d serve handles only anonymized frames"), std::string::npos) << r.out;
  r = test::la3d("serve" + sources + " --camera-config " + test::quote(d / "who.json"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("no source is named 'c'"), std::string::npos) << r.out;

  ServeProcess p(sources.substr(1) + " --camera-config " + test::quote(d / "cams.json"));
  ASSERT_GT(p.port(), 0) << p.output();
  httplib::Client c("127.0.0.1", p.port());
  c.set_read_timeout(5, 0);
  const auto a = nlohmann::json::parse(must(c.Get("/cam/a/api/status")).body);
  const auto b = nlohmann::json::parse(must(c.Get("/cam/b/api/status")).body);
  EXPECT_EQ(a["config"]["method"], "mask");
  EXPECT_EQ(b["config"]["method"], "pixelization");
  EXPECT_DOUBLE_EQ(a["vad"]["threshold"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(b["vad"]["threshold"].get<double>(), 0.8);
  auto frame_of = [&](const std::string& cam) {
    auto res = must(c.Get("/cam/" + cam + "/frame.jpg"));
    return cv::imdecode(std::vector<uchar>(res.body.begin(), res.body.end()), cv::IMREAD_COLOR);
  };
  const cv::Mat fa = frame_of("a"), fb = frame_of("b");
  ASSERT_FALSE(fa.empty());
  ASSERT_FALSE(fb.empty());
  EXPECT_LT(cv::mean(fa(cv::Rect(0, 0, 78, 120)))[0], 3.0);   // masked
  EXPECT_GT(cv::mean(fb(cv::Rect(0, 0, 78, 120)))[0], 20.0);  // pixelized, not black
}

TEST(Serve, SourceNamesAreChecked) {
  auto r = test::la3d("serve --source a=x.mp4 --source a=y.mp4");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("two sources are named 'a'"), std::string::npos) << r.out;
  r = test::la3d("serve --source x.mp4 --source x.mp4");
  EXPECT_NE(r.exit_code, 0);
  r = test::la3d("serve --source missing.mp4 --source y=rtsp://127.0.0.1:9/x");
  EXPECT_NE(r.exit_code, 0);  // a file that is not there fails the command at once
  EXPECT_NE(r.out.find("missing"), std::string::npos) << r.out;
}

TEST(Serve, RefusesNoAnAndOpenBindsWithoutToken) {
  auto r = test::la3d("serve --source x.mp4 --method no-an");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("only anonymized"), std::string::npos) << r.out;
  r = test::la3d("serve --source x.mp4 --bind 0.0.0.0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--token"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace la3d
