// Events on MQTT against a real broker: Debian's mosquitto started on a free loopback port, read
// with mosquitto_sub; the broker restarted mid-run.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "la3d/server/camera_name.hpp"
#include "la3d/server/mqtt.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using namespace std::chrono_literals;

// A command started in the background; killed (SIGTERM, or `signal`) when stopped or destroyed.
class Background {
 public:
  Background() = default;
  explicit Background(const std::string& command) {
    auto r = test::run("(" + command + ") >/dev/null 2>&1 & echo $!");
    pid_ = std::atoi(r.out.c_str());
  }
  Background(Background&& o) noexcept : pid_(std::exchange(o.pid_, 0)) {}
  Background& operator=(Background&& o) noexcept {
    stop();
    pid_ = std::exchange(o.pid_, 0);
    return *this;
  }
  ~Background() { stop(); }
  void stop(int signal = SIGTERM) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
    pid_ = 0;
  }
  bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

 private:
  int pid_ = 0;
};

bool tool_missing(const char* tool) {
  return test::run(std::string("command -v ") + tool + " >/dev/null").exit_code != 0;
}

// mosquitto on a loopback port, with persistence: a restart keeps the test subscriber's session
// and the messages queued for it, as a real deployment's broker would.
class Broker {
 public:
  explicit Broker(const fs::path& dir) : dir_(dir), port_(test::free_loopback_port()) {
    std::ofstream(dir / "mosquitto.conf")
        << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\npersistence true\n"
        << "persistence_location " << (dir / "").string() << "\n";
    start();
  }
  void start() {
    process_ = Background("exec mosquitto -c " + test::quote(dir_ / "mosquitto.conf"));
    for (int i = 0; i < 100 && !accepting(); ++i) std::this_thread::sleep_for(50ms);
  }
  void stop() { process_.stop(); }
  int port() const { return port_; }
  bool accepting() const {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
  }

 private:
  fs::path dir_;
  int port_;
  Background process_;
};

// Everything published under `filter`, one "topic payload" line each, in arrival order.
class Subscriber {
 public:
  Subscriber(int port, const std::string& filter, const fs::path& file) : file_(file) {
    process_ = Background("exec mosquitto_sub -h 127.0.0.1 -p " + std::to_string(port) +
                          " -c -i la3d-test-" + std::to_string(::getpid()) + " -q 1 -v -t '" +
                          filter + "' > " + test::quote(file));
  }
  std::vector<std::pair<std::string, nlohmann::json>> messages() const {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    std::ifstream f(file_);
    std::string line;
    while (std::getline(f, line)) {
      const auto sp = line.find(' ');
      if (sp == std::string::npos) continue;
      out.emplace_back(line.substr(0, sp),
                       nlohmann::json::parse(line.substr(sp + 1), nullptr, false));
    }
    return out;
  }
  // The payloads on `topic`.
  std::vector<nlohmann::json> on(const std::string& topic) const {
    std::vector<nlohmann::json> out;
    for (auto& [t, j] : messages())
      if (t == topic) out.push_back(j);
    return out;
  }
  // Waits until `done` holds for what has arrived.
  template <class F>
  bool wait(F done, std::chrono::milliseconds timeout = 20s) const {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (done(*this)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return done(*this);
  }

 private:
  fs::path file_;
  Background process_;
};

template <class F>
bool eventually(F done, std::chrono::milliseconds timeout = 10s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
  return done();
}

std::vector<int> event_ids(const Subscriber& sub, const std::string& topic) {
  std::vector<int> ids;
  for (const auto& e : sub.on(topic))
    if (e.contains("id")) ids.push_back(e["id"]);
  return ids;
}

TEST(Mqtt, UrlsAndNamesAreChecked) {
  auto t = parse_mqtt_url("mqtt://broker.local:1884/site/a");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->host, "broker.local");
  EXPECT_EQ(t->port, 1884);
  EXPECT_EQ(t->prefix, "site/a");
  EXPECT_FALSE(t->tls);
  t = parse_mqtt_url("mqtts://10.0.0.2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->port, 8883);
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->prefix, "");
  for (const char* bad : {"http://x/y", "mqtt://", "mqtt://x:99999/p", "mqtt://x/a/#", "x"})
    EXPECT_FALSE(parse_mqtt_url(bad)) << bad;
  EXPECT_TRUE(validate_camera_name("door-1.cam_2"));
  for (const char* bad : {"", "a/b", "a+b", "#"}) EXPECT_FALSE(validate_camera_name(bad)) << bad;
  MqttOptions o;
  o.url = "mqtt://127.0.0.1:1/x";
  o.camera = "a/b";
  EXPECT_FALSE(MqttPublisher::open(o));  // a name that would split the topic
}

TEST(Mqtt, EventsMadeWhileTheBrokerIsDownArriveWhenItIsBack) {
  if (tool_missing("mosquitto") || tool_missing("mosquitto_sub"))
    GTEST_SKIP() << "mosquitto and mosquitto-clients are not installed (scripts/install-deps.sh)";
  test::TempDir d;
  Broker broker(d.path());
  ASSERT_TRUE(broker.accepting());
  Subscriber sub(broker.port(), "site/#", d / "sub.txt");

  MqttOptions o;
  o.url = "mqtt://127.0.0.1:" + std::to_string(broker.port()) + "/site";
  o.camera = "door";
  o.queue_limit = 3;
  auto opened = MqttPublisher::open(o);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& pub = *opened.value();
  EXPECT_EQ(pub.topic("event"), "site/door/event");
  ASSERT_TRUE(eventually([&] { return pub.counters().connected; }));
  // The subscriber is there once a first event comes through.
  pub.event({{"id", 1}});
  ASSERT_TRUE(sub.wait([](const Subscriber& s) { return !s.on("site/door/event").empty(); }));

  // The broker goes away: two events wait in the queue.
  broker.stop();
  ASSERT_TRUE(eventually([&] { return !pub.counters().connected; }));
  pub.event({{"id", 2}});
  pub.event({{"id", 3}});
  pub.score({{"snippet", 9}});  // QoS 0: dropped while away, and counted
  EXPECT_EQ(pub.counters().events_waiting, 2);
  EXPECT_EQ(pub.counters().scores_dropped, 1);
  broker.start();
  ASSERT_TRUE(sub.wait(
      [](const Subscriber& s) { return event_ids(s, "site/door/event").size() >= 3; }, 40s))
      << "events made while the broker was down did not arrive";
  EXPECT_EQ(event_ids(sub, "site/door/event"), (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(pub.flush(5s));
  EXPECT_EQ(pub.counters().reconnects, 1);

  // Down again, five events into a queue of three: the two oldest are dropped, and counted.
  broker.stop();
  ASSERT_TRUE(eventually([&] { return !pub.counters().connected; }));
  for (int id = 4; id <= 8; ++id) pub.event({{"id", id}});
  EXPECT_EQ(pub.counters().events_dropped, 2);
  broker.start();
  ASSERT_TRUE(sub.wait(
      [](const Subscriber& s) { return event_ids(s, "site/door/event").size() >= 6; }, 40s));
  EXPECT_EQ(event_ids(sub, "site/door/event"), (std::vector<int>{1, 2, 3, 6, 7, 8}));
  EXPECT_EQ(pub.counters().events_sent, 6);

  // Closing says `offline` (retained): a subscriber that comes later still reads it.
  opened.value().reset();
  auto r = test::run("mosquitto_sub -h 127.0.0.1 -p " + std::to_string(broker.port()) +
                     " -t site/door/status -C 1 -W 5");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto status = nlohmann::json::parse(r.out);
  EXPECT_EQ(status["state"], "offline");
  EXPECT_EQ(status["reason"], "stopped");
}

TEST(Mqtt, ABrokerThatComesUpLaterGetsWhatWasQueued) {
  if (tool_missing("mosquitto") || tool_missing("mosquitto_sub"))
    GTEST_SKIP() << "mosquitto and mosquitto-clients are not installed (scripts/install-deps.sh)";
  test::TempDir d;
  Broker broker(d.path());
  broker.stop();  // configured, not running: la3d starts first
  MqttOptions o;
  o.url = "mqtt://127.0.0.1:" + std::to_string(broker.port()) + "/late";
  o.camera = "cam";
  auto opened = MqttPublisher::open(o);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& pub = *opened.value();
  pub.event({{"id", 1}});
  EXPECT_FALSE(pub.counters().connected);
  EXPECT_EQ(pub.counters().events_waiting, 1);
  broker.start();
  ASSERT_TRUE(broker.accepting());
  Subscriber sub(broker.port(), "late/#", d / "sub.txt");
  std::this_thread::sleep_for(1s);  // the subscriber's session exists before the event is sent
  ASSERT_TRUE(eventually([&] { return pub.counters().connected; }, 40s))
      << "never connected to a broker that came up after it";
  EXPECT_TRUE(pub.flush(10s));
  EXPECT_EQ(pub.counters().events_sent, 1);
}

TEST(Mqtt, ServePublishesScoresEventsStatusAndItsLastWill) {
  if (tool_missing("mosquitto") || tool_missing("mosquitto_sub"))
    GTEST_SKIP() << "mosquitto and mosquitto-clients are not installed (scripts/install-deps.sh)";
  test::TempDir d;
  Broker broker(d.path());
  ASSERT_TRUE(broker.accepting());
  Subscriber sub(broker.port(), "la3d/#", d / "sub.txt");
  const cv::Size size(160, 120);
  ASSERT_TRUE(test::write_lossless_clip(
      d / "gate.avi", 48, size, 25, [&](int i) { return test::textured_frame(size, 5 + i % 3); }));
  test::write_person_boxes(d / "people.jsonl", 48, size, {10, 10, 40, 90});
  // Threshold 0: every snippet alerts, so a segment opens at the first one.
  Background serve("exec env -u DISPLAY " + std::string(LA3D_BINARY) + " serve --port 0 --source " +
                   test::quote(d / "gate.avi") + " --detections " +
                   test::quote(d / "people.jsonl") +
                   " --method blur --head motion --alert-threshold 0 --mqtt mqtt://127.0.0.1:" +
                   std::to_string(broker.port()) + "/la3d -q");
  ASSERT_TRUE(sub.wait([](const Subscriber& s) {
    return s.on("la3d/gate/score").size() >= 3 && !s.on("la3d/gate/event").empty() &&
           !s.on("la3d/gate/status").empty();
  })) << "nothing arrived";
  const auto scores = sub.on("la3d/gate/score");
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_EQ(scores[i]["camera"], "gate");
    EXPECT_EQ(scores[i]["end_frame"].get<long long>() - scores[i]["start_frame"].get<long long>(),
              15);
    EXPECT_TRUE(scores[i]["alert"].get<bool>());
    EXPECT_GE(scores[i]["score"].get<double>(), 0.0);
  }
  const auto event = sub.on("la3d/gate/event").front();
  EXPECT_EQ(event["type"], "start");
  EXPECT_EQ(event["start_frame"], 0);
  EXPECT_EQ(event["method"], "blur");
  EXPECT_EQ(event["head"], "motion");
  ASSERT_TRUE(sub.wait([](const Subscriber& s) {
    for (const auto& st : s.on("la3d/gate/status"))
      if (st["people_hidden"].get<long long>() > 0) return true;
    return false;
  }));
  const auto status = sub.on("la3d/gate/status").back();
  EXPECT_EQ(status["state"], "online");
  EXPECT_EQ(status["health"], "ok");
  EXPECT_GT(status["frames"].get<long long>(), 0);

  // Killed without a word: the broker publishes the last will, retained.
  serve.stop(SIGKILL);
  ASSERT_TRUE(sub.wait([](const Subscriber& s) {
    const auto st = s.on("la3d/gate/status");
    return !st.empty() && st.back()["state"] == "offline";
  }));
  EXPECT_EQ(sub.on("la3d/gate/status").back()["reason"], "connection lost");
}

TEST(Mqtt, VadStreamPublishesEverySnippetAndRefusesWholeVideoRuns) {
  auto r = test::la3d("vad x.mp4 --mqtt mqtt://127.0.0.1:1/p");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--stream"), std::string::npos) << r.out;
  r = test::la3d("vad x.mp4 --stream --mqtt http://nope");
  EXPECT_NE(r.exit_code, 0);
  if (tool_missing("mosquitto") || tool_missing("mosquitto_sub"))
    GTEST_SKIP() << "mosquitto and mosquitto-clients are not installed (scripts/install-deps.sh)";
  test::TempDir d;
  Broker broker(d.path());
  Subscriber sub(broker.port(), "v/#", d / "sub.txt");
  const cv::Size size(96, 64);
  ASSERT_TRUE(test::write_lossless_clip(d / "clip.avi", 64, size, 25,
                                        [&](int i) { return test::textured_frame(size, 1 + i); }));
  // Wait for the subscriber: a probe through the broker.
  ASSERT_TRUE(sub.wait([&](const Subscriber& s) {
    test::run("mosquitto_pub -h 127.0.0.1 -p " + std::to_string(broker.port()) +
              " -t v/probe -m '{}'");
    return !s.on("v/probe").empty();
  }));
  r = test::la3d("vad " + test::quote(d / "clip.avi") + " --stream --head motion --no-video " +
                 "--camera-name hall --out-dir " + test::quote(d / "out") +
                 " --mqtt mqtt://127.0.0.1:" + std::to_string(broker.port()) + "/v -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(sub.wait([](const Subscriber& s) {
    const auto st = s.on("v/hall/status");
    return s.on("v/hall/score").size() == 4 && !st.empty() && st.back()["state"] == "offline";
  })) << "64 frames: 4 snippet scores, then the status offline";
  const auto scores = sub.on("v/hall/score");
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(scores[k]["snippet"], k);
    EXPECT_EQ(scores[k]["start_frame"], 16 * k);
  }
  // The same scores as the run's own JSON lines on stdout.
  std::vector<double> printed;
  std::istringstream lines(r.out);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty() && l[0] == '{') printed.push_back(nlohmann::json::parse(l)["score"]);
  ASSERT_EQ(printed.size(), 4u);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(scores[k]["score"].get<double>(), printed[k], 1e-6);
  EXPECT_EQ(sub.on("v/hall/status").back()["reason"], "stopped");
}

}  // namespace
}  // namespace la3d
